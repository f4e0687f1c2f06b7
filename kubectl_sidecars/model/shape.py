"""The typed input boundary: the fields the plugin reads from each kind, with their types, checked once
before any view is built, so the pure core never meets a wrongly typed value.

Only fields the plugin uses are described; anything else in an object is left alone. A null counts as
absent (dumps write `creationTimestamp: null`). The schema is declared once, as data, and two checkers come
from it: `passes`, Python source written from the schema when the module loads, that only answers yes or no
(no path, no exception, a scalar's condition inline in its parent's code), and `first_problem`, which walks
the same schema and says where the first wrongly typed field is. `problem` asks the second only when the
first says no, so a valid pod costs one pass over the fields it has.
"""

import math
from typing import Callable, Dict, List, Optional, Set, Union

# Integers in the Kubernetes API are int32 or int64; anything wider is not a value the API server wrote.
INT64 = (-(2 ** 63), 2 ** 63)


class ShapeError(ValueError):
    """A field whose type is not the one the API defines. `path` is kubectl's field path notation."""

    def __init__(self, expected: str, got: str):
        super().__init__()
        self.expected, self.got = expected, got
        self.segments: List[str] = []

    @property
    def path(self) -> str:
        return "".join(reversed(self.segments)).lstrip(".") or "(the object)"

    def __str__(self) -> str:
        return f"{self.path}: expected {self.expected}, got {self.got}"


def describe(value) -> str:
    """What a value is, in the words of the error message."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "a number" if INT64[0] <= value < INT64[1] else "a number out of range"
    if isinstance(value, float):
        return "a number" if math.isfinite(value) else "a number out of range"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, (bytes, bytearray)):
        return "binary data"
    return f"a {type(value).__name__}"


def _defined(source: str) -> Dict[str, Callable]:
    """The functions that `source` defines: source written from the schema, never from input."""
    namespace: Dict[str, Callable] = {}
    exec(compile(source, "<shape>", "exec"), namespace)
    return namespace


class Scalar:
    """A leaf type. `condition` is a Python expression about `v`, in one place for both checkers: the
    path-building check evaluates it as a function, the validators write it inline."""

    def __init__(self, expected: str, condition: str):
        self.expected, self.condition = expected, condition
        self.accepts = _defined(f"def accepts(v):\n    return {condition}\n")["accepts"]

    def __call__(self, value) -> None:
        if not self.accepts(value):
            raise ShapeError(self.expected, describe(value))


def _within(segment: str, check: "Node", value) -> None:
    """Checks a part of a value; a failure learns where it happened, on its way out."""
    try:
        check(value)
    except ShapeError as error:
        error.segments.append(segment)
        raise


def _not_null(value) -> None:
    raise ShapeError("an item", "null")


class Object:
    """An object whose listed fields, where present and not null, pass their checks."""

    def __init__(self, **fields: "Node"):
        self.fields = tuple(fields.items())

    def __call__(self, value) -> None:
        if type(value) is not dict:
            raise ShapeError("an object", describe(value))
        for key, check_field in self.fields:
            field = value.get(key)
            if field is not None:
                _within("." + key, check_field, field)


class ListOf:
    """A list whose items, none of them null, pass one check."""

    def __init__(self, item: "Node"):
        self.item = item

    def __call__(self, value) -> None:
        if type(value) is not list:
            raise ShapeError("a list", describe(value))
        for index, item in enumerate(value):
            _within(f"[{index}]", _not_null if item is None else self.item, item)


class MapOf:
    """Labels, annotations, resource lists: string keys, values of one scalar type."""

    def __init__(self, value: Scalar):
        self.value = value

    def __call__(self, value) -> None:
        if type(value) is not dict:
            raise ShapeError("an object", describe(value))
        for key, item in value.items():
            if type(key) is not str:
                raise ShapeError("string keys", f"the key {key!r}")
            _within(f"[{key}]", self.value, item)


Node = Union[Scalar, Object, ListOf, MapOf]

_IN_INT64 = f"{INT64[0]} <= v < {INT64[1]}"
STRING = Scalar("a string", "type(v) is str")
BOOLEAN = Scalar("a boolean", "type(v) is bool")
INTEGER = Scalar("an integer", f"type(v) is int and {_IN_INT64}")
# IntOrString (ports of probes): the API accepts either.
INT_OR_STRING = Scalar("an integer or a string", f"type(v) is str or (type(v) is int and {_IN_INT64})")
STRINGS = ListOf(STRING)
STRING_MAP = MapOf(STRING)
# Resource quantities are strings in the API ("128Mi"); YAML written by hand often has plain numbers.
QUANTITY = Scalar("a quantity", f"type(v) is str or (type(v) in (int, float) and abs(v) < {INT64[1]})")

OWNER_REFERENCE = Object(kind=STRING, name=STRING, uid=STRING, controller=BOOLEAN)
METADATA = Object(name=STRING, namespace=STRING, uid=STRING, labels=STRING_MAP, annotations=STRING_MAP,
                  ownerReferences=ListOf(OWNER_REFERENCE), creationTimestamp=STRING, deletionTimestamp=STRING,
                  finalizers=STRINGS)
CONDITION = Object(type=STRING, status=STRING, reason=STRING, message=STRING, lastTransitionTime=STRING)
CONDITIONS = ListOf(CONDITION)

PORT_HANDLER = Object(port=INT_OR_STRING, path=STRING, host=STRING)
# What a probe and a lifecycle hook both run.
ACTIONS = dict(exec=Object(command=STRINGS), httpGet=PORT_HANDLER, tcpSocket=PORT_HANDLER, grpc=Object(port=INTEGER))
HANDLER = Object(**ACTIONS, sleep=Object(seconds=INTEGER))
PROBE = Object(**ACTIONS, initialDelaySeconds=INTEGER, periodSeconds=INTEGER, timeoutSeconds=INTEGER,
               failureThreshold=INTEGER, successThreshold=INTEGER)
CONTAINER = Object(
    name=STRING, image=STRING, restartPolicy=STRING, command=STRINGS, args=STRINGS,
    env=ListOf(Object(name=STRING, value=STRING)),
    ports=ListOf(Object(containerPort=INTEGER, name=STRING, protocol=STRING)),
    startupProbe=PROBE, readinessProbe=PROBE, livenessProbe=PROBE,
    lifecycle=Object(postStart=HANDLER, preStop=HANDLER),
    resources=Object(limits=MapOf(QUANTITY), requests=MapOf(QUANTITY)),
    volumeMounts=ListOf(Object(name=STRING, mountPath=STRING)),
)
CONTAINERS = ListOf(CONTAINER)
POD_SPEC = Object(initContainers=CONTAINERS, containers=CONTAINERS, ephemeralContainers=CONTAINERS,
                  restartPolicy=STRING, terminationGracePeriodSeconds=INTEGER, nodeName=STRING,
                  serviceAccountName=STRING, schedulerName=STRING)

TERMINATED = Object(exitCode=INTEGER, signal=INTEGER, reason=STRING, message=STRING, startedAt=STRING,
                    finishedAt=STRING)
CONTAINER_STATE = Object(waiting=Object(reason=STRING, message=STRING), running=Object(startedAt=STRING),
                         terminated=TERMINATED)
CONTAINER_STATUSES = ListOf(Object(name=STRING, image=STRING, ready=BOOLEAN, started=BOOLEAN,
                                   restartCount=INTEGER, state=CONTAINER_STATE, lastState=CONTAINER_STATE))
POD_STATUS = Object(phase=STRING, reason=STRING, message=STRING, conditions=CONDITIONS, podIP=STRING,
                    nominatedNodeName=STRING, startTime=STRING, initContainerStatuses=CONTAINER_STATUSES,
                    containerStatuses=CONTAINER_STATUSES, ephemeralContainerStatuses=CONTAINER_STATUSES)

POD_TEMPLATE = Object(metadata=METADATA, spec=POD_SPEC)
LABEL_SELECTOR = Object(matchLabels=STRING_MAP,
                        matchExpressions=ListOf(Object(key=STRING, operator=STRING, values=STRINGS)))
POD_FAILURE_POLICY = Object(rules=ListOf(Object(
    action=STRING,
    onExitCodes=Object(containerName=STRING, operator=STRING, values=ListOf(INTEGER)),
    onPodConditions=ListOf(Object(type=STRING, status=STRING)))))
JOB_SPEC = Object(completions=INTEGER, parallelism=INTEGER, backoffLimit=INTEGER, suspend=BOOLEAN,
                  selector=LABEL_SELECTOR, podFailurePolicy=POD_FAILURE_POLICY, template=POD_TEMPLATE)
INVOLVED = Object(kind=STRING, namespace=STRING, name=STRING, uid=STRING, fieldPath=STRING)

KINDS: Dict[str, Object] = {
    "Pod": Object(metadata=METADATA, spec=POD_SPEC, status=POD_STATUS),
    "Job": Object(metadata=METADATA, spec=JOB_SPEC,
                  status=Object(active=INTEGER, succeeded=INTEGER, failed=INTEGER, ready=INTEGER,
                                startTime=STRING, completionTime=STRING, conditions=CONDITIONS)),
    "CronJob": Object(metadata=METADATA, spec=Object(schedule=STRING, suspend=BOOLEAN,
                                                     jobTemplate=Object(metadata=METADATA, spec=JOB_SPEC))),
    "Event": Object(metadata=METADATA, involvedObject=INVOLVED, regarding=INVOLVED, reason=STRING, message=STRING,
                    note=STRING, type=STRING, count=INTEGER, firstTimestamp=STRING, lastTimestamp=STRING,
                    eventTime=STRING, series=Object(count=INTEGER, lastObservedTime=STRING)),
    "Node": Object(metadata=METADATA, status=Object(conditions=CONDITIONS, nodeInfo=Object(kubeletVersion=STRING))),
}
_WORKLOAD = Object(metadata=METADATA, spec=Object(selector=LABEL_SELECTOR, template=POD_TEMPLATE))
KINDS.update(dict.fromkeys(("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"), _WORKLOAD))
# Any other kind is checked for what every object has: the plugin reads nothing else of it.
ANY_KIND = Object(metadata=METADATA)


# ---------------------------------------------------------------- the validators written from the schema

def _children(node: Node) -> List[Node]:
    if isinstance(node, Object):
        return [check for _, check in node.fields]
    if isinstance(node, ListOf):
        return [node.item]
    return [node.value] if isinstance(node, MapOf) else []


class _Writer:
    """The source of the validators: one function per root and per object field's type used in more than one
    place (containers, a probe, object metadata); every other type is written out inline in its parent, with
    scalar conditions on the local `v`. A validator answers True or False and never raises: every step is a
    type test, a dict lookup with a string key, an integer or float comparison or a loop over a list or dict."""

    def __init__(self, roots: List[Node]):
        uses: Dict[int, int] = {}
        pending, seen = list(roots), set()
        while pending:
            node = pending.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            for child in _children(node):
                uses[id(child)] = uses.get(id(child), 0) + 1
                pending.append(child)
        self.names: Dict[int, str] = {}
        self.shared = {key for key, count in uses.items() if count > 1}
        self.lines: List[str] = []
        self.written: Set[int] = set()
        self.last_local = 0
        for node in roots:
            self.function(node)

    def function(self, node: Node) -> str:
        """The name of the node's own validator, written on first use."""
        name = self.names.setdefault(id(node), f"valid_{len(self.names)}")
        if id(node) not in self.written:
            self.written.add(id(node))
            body: List[str] = []
            self.check(node, "value", 1, body)
            self.lines += [f"def {name}(value):", *body, "    return True", ""]
        return name

    def fresh(self) -> str:
        """A local name not used before in any validator (one function's body may write another's)."""
        self.last_local += 1
        return f"x{self.last_local}"

    def own_function(self, node: Node) -> bool:
        """Maps and lists of scalars are a line or two: written where they are used even when shared."""
        small = isinstance(node, MapOf) or (isinstance(node, ListOf) and isinstance(node.item, Scalar))
        return id(node) in self.shared and not small

    def check(self, node: Node, var: str, depth: int, out: List[str]) -> None:
        """Lines that return False unless the value in `var` passes the node (an object, a list or a map;
        scalars are written by their container, as a condition on `v`)."""
        pad = "    " * depth
        if isinstance(node, Object):
            out.append(f"{pad}if type({var}) is not dict: return False")
            for key, child in node.fields:
                self.field(child, f"{var}.get({key!r})", depth, out)
        elif isinstance(node, ListOf):
            out.append(f"{pad}if type({var}) is not list: return False")
            item = node.item
            if isinstance(item, Scalar):
                out.append(f"{pad}for v in {var}:")
                out.append(f"{pad}    if v is None or not ({item.condition}): return False")
            else:  # a null item fails the item's own first test, as the item is not a scalar
                name = self.fresh()
                out.append(f"{pad}for {name} in {var}:")
                self.check(item, name, depth + 1, out)
        else:
            key = self.fresh()
            out.append(f"{pad}if type({var}) is not dict: return False")
            out.append(f"{pad}for {key}, v in {var}.items():")
            out.append(f"{pad}    if type({key}) is not str or not ({node.value.condition}): return False")

    def field(self, node: Node, lookup: str, depth: int, out: List[str]) -> None:
        """An object's field: absent and null pass, anything else must pass the node."""
        pad = "    " * depth
        if isinstance(node, Scalar):
            out.append(f"{pad}v = {lookup}")
            out.append(f"{pad}if not ({node.condition}) and v is not None: return False")
            return
        name = self.fresh()
        out.append(f"{pad}{name} = {lookup}")
        if self.own_function(node):
            out.append(f"{pad}if {name} is not None and not {self.function(node)}({name}): return False")
        else:
            out.append(f"{pad}if {name} is not None:")
            self.check(node, name, depth + 1, out)


def validators(roots: List[Node]) -> List[Callable[[object], bool]]:
    """A yes/no validator for each root, from one generated source."""
    writer = _Writer(roots)
    namespace = _defined("\n".join(writer.lines))
    return [namespace[writer.names[id(root)]] for root in roots]


*_KIND_VALIDATORS, _VALID_ANY_KIND = validators([*KINDS.values(), ANY_KIND])
_VALID = dict(zip(KINDS, _KIND_VALIDATORS))


def _named(document: dict) -> bool:
    """Whether an object that passed its schema has a name (its metadata is an object or absent)."""
    return bool((document.get("metadata") or {}).get("name"))


def passes(document) -> bool:
    """Whether the plugin can read all of one object: the fast answer, without saying where it fails."""
    if type(document) is not dict:
        return False
    kind = document.get("kind")
    return type(kind) is str and _VALID.get(kind, _VALID_ANY_KIND)(document) and _named(document)


def first_problem(document) -> Optional[ShapeError]:
    """The first wrongly typed field of one object, with its path, or None when there is none."""
    try:
        if type(document) is not dict:
            raise ShapeError("an object", describe(document))
        kind = document.get("kind")
        if type(kind) is not str:
            error = ShapeError("a string", describe(kind))
            error.segments.append(".kind")
            raise error
        KINDS.get(kind, ANY_KIND)(document)
        if not _named(document):
            error = ShapeError("a name", "none")
            error.segments.append(".metadata.name")
            raise error
    except ShapeError as error:
        return error
    return None


def problem(document) -> Optional[ShapeError]:
    """The first wrongly typed field of one object, or None when the plugin can read all of it. Most objects
    are valid: they cost the validator alone; the path is looked for only when it says no."""
    return None if passes(document) else first_problem(document)


def title(document) -> str:
    """How an error names an object: `Pod default/web`, as far as the object's own fields allow."""
    if type(document) is not dict:
        return "an item"
    kind = document.get("kind") if type(document.get("kind")) is str else "object"
    metadata = document.get("metadata") if type(document.get("metadata")) is dict else {}
    name = metadata.get("name") if type(metadata.get("name")) is str else None
    namespace = metadata.get("namespace") if type(metadata.get("namespace")) is str else None
    if not name:
        return f"a {kind} without a name"
    return f"{kind} {namespace}/{name}" if namespace else f"{kind} {name}"
