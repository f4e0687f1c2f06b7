"""The typed input boundary: the fields the plugin reads from each kind, with their types, checked once
before any view is built, so the pure core never meets a wrongly typed value.

Only fields the plugin uses are described; anything else in an object is left alone. A null counts as
absent (dumps write `creationTimestamp: null`). Checks are compiled into closures once, and a path is
only built on failure, so a valid pod costs one walk over the fields it has.
"""

import math
from typing import Callable, Dict, List, Optional

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


Check = Callable[[object], None]


def _scalar(expected: str, accepts: Callable[[object], bool]) -> Check:
    def check(value) -> None:
        if not accepts(value):
            raise ShapeError(expected, describe(value))
    return check


STRING = _scalar("a string", lambda v: type(v) is str)
BOOLEAN = _scalar("a boolean", lambda v: type(v) is bool)
INTEGER = _scalar("an integer", lambda v: type(v) is int and INT64[0] <= v < INT64[1])
# IntOrString (ports of probes): the API accepts either.
INT_OR_STRING = _scalar("an integer or a string", lambda v: type(v) is str or (type(v) is int
                                                                            and INT64[0] <= v < INT64[1]))


def _within(segment: str, check: Check, value) -> None:
    """Checks a part of a value; a failure learns where it happened, on its way out."""
    try:
        check(value)
    except ShapeError as error:
        error.segments.append(segment)
        raise


def _not_null(value) -> None:
    raise ShapeError("an item", "null")


def obj(**fields: Check) -> Check:
    """An object whose listed fields, where present and not null, pass their checks."""
    items = tuple(fields.items())

    def check(value) -> None:
        if type(value) is not dict:
            raise ShapeError("an object", describe(value))
        for key, check_field in items:
            field = value.get(key)
            if field is not None:
                _within("." + key, check_field, field)
    return check


def list_of(check_item: Check) -> Check:
    def check(value) -> None:
        if type(value) is not list:
            raise ShapeError("a list", describe(value))
        for index, item in enumerate(value):
            _within(f"[{index}]", _not_null if item is None else check_item, item)
    return check


def map_of(check_value: Check) -> Check:
    """Labels, annotations, resource lists: string keys, values of one type."""
    def check(value) -> None:
        if type(value) is not dict:
            raise ShapeError("an object", describe(value))
        for key, item in value.items():
            if type(key) is not str:
                raise ShapeError("string keys", f"the key {key!r}")
            _within(f"[{key}]", check_value, item)
    return check


STRINGS = list_of(STRING)
STRING_MAP = map_of(STRING)
# Resource quantities are strings in the API ("128Mi"); YAML written by hand often has plain numbers.
QUANTITY = _scalar("a quantity", lambda v: type(v) is str or (type(v) in (int, float) and abs(v) < INT64[1]))

OWNER_REFERENCE = obj(kind=STRING, name=STRING, uid=STRING, controller=BOOLEAN)
METADATA = obj(name=STRING, namespace=STRING, uid=STRING, labels=STRING_MAP, annotations=STRING_MAP,
               ownerReferences=list_of(OWNER_REFERENCE), creationTimestamp=STRING, deletionTimestamp=STRING,
               finalizers=STRINGS)
CONDITION = obj(type=STRING, status=STRING, reason=STRING, message=STRING, lastTransitionTime=STRING)
CONDITIONS = list_of(CONDITION)

PORT_HANDLER = obj(port=INT_OR_STRING, path=STRING, host=STRING)
HANDLER = obj(exec=obj(command=STRINGS), httpGet=PORT_HANDLER, tcpSocket=PORT_HANDLER, grpc=obj(port=INTEGER),
              sleep=obj(seconds=INTEGER))
PROBE = obj(exec=obj(command=STRINGS), httpGet=PORT_HANDLER, tcpSocket=PORT_HANDLER, grpc=obj(port=INTEGER),
            initialDelaySeconds=INTEGER, periodSeconds=INTEGER, timeoutSeconds=INTEGER,
            failureThreshold=INTEGER, successThreshold=INTEGER)
CONTAINER = obj(
    name=STRING, image=STRING, restartPolicy=STRING, command=STRINGS, args=STRINGS,
    env=list_of(obj(name=STRING, value=STRING)),
    ports=list_of(obj(containerPort=INTEGER, name=STRING, protocol=STRING)),
    startupProbe=PROBE, readinessProbe=PROBE, livenessProbe=PROBE,
    lifecycle=obj(postStart=HANDLER, preStop=HANDLER),
    resources=obj(limits=map_of(QUANTITY), requests=map_of(QUANTITY)),
    volumeMounts=list_of(obj(name=STRING, mountPath=STRING)),
)
CONTAINERS = list_of(CONTAINER)
POD_SPEC = obj(initContainers=CONTAINERS, containers=CONTAINERS, ephemeralContainers=CONTAINERS,
               restartPolicy=STRING, terminationGracePeriodSeconds=INTEGER, nodeName=STRING,
               serviceAccountName=STRING, schedulerName=STRING)

TERMINATED = obj(exitCode=INTEGER, signal=INTEGER, reason=STRING, message=STRING, startedAt=STRING,
                 finishedAt=STRING)
CONTAINER_STATE = obj(waiting=obj(reason=STRING, message=STRING), running=obj(startedAt=STRING),
                      terminated=TERMINATED)
CONTAINER_STATUSES = list_of(obj(name=STRING, image=STRING, ready=BOOLEAN, started=BOOLEAN,
                                 restartCount=INTEGER, state=CONTAINER_STATE, lastState=CONTAINER_STATE))
POD_STATUS = obj(phase=STRING, reason=STRING, message=STRING, conditions=CONDITIONS, podIP=STRING,
                 nominatedNodeName=STRING, startTime=STRING, initContainerStatuses=CONTAINER_STATUSES,
                 containerStatuses=CONTAINER_STATUSES, ephemeralContainerStatuses=CONTAINER_STATUSES)

POD_TEMPLATE = obj(metadata=METADATA, spec=POD_SPEC)
LABEL_SELECTOR = obj(matchLabels=STRING_MAP,
                     matchExpressions=list_of(obj(key=STRING, operator=STRING, values=STRINGS)))
POD_FAILURE_POLICY = obj(rules=list_of(obj(
    action=STRING,
    onExitCodes=obj(containerName=STRING, operator=STRING, values=list_of(INTEGER)),
    onPodConditions=list_of(obj(type=STRING, status=STRING)))))
JOB_SPEC = obj(completions=INTEGER, parallelism=INTEGER, backoffLimit=INTEGER, suspend=BOOLEAN,
               selector=LABEL_SELECTOR, podFailurePolicy=POD_FAILURE_POLICY, template=POD_TEMPLATE)
INVOLVED = obj(kind=STRING, namespace=STRING, name=STRING, uid=STRING, fieldPath=STRING)

KINDS: Dict[str, Check] = {
    "Pod": obj(metadata=METADATA, spec=POD_SPEC, status=POD_STATUS),
    "Job": obj(metadata=METADATA, spec=JOB_SPEC,
               status=obj(active=INTEGER, succeeded=INTEGER, failed=INTEGER, ready=INTEGER,
                          startTime=STRING, completionTime=STRING, conditions=CONDITIONS)),
    "CronJob": obj(metadata=METADATA, spec=obj(schedule=STRING, suspend=BOOLEAN,
                                               jobTemplate=obj(metadata=METADATA, spec=JOB_SPEC))),
    "Event": obj(metadata=METADATA, involvedObject=INVOLVED, regarding=INVOLVED, reason=STRING, message=STRING,
                 note=STRING, type=STRING, count=INTEGER, firstTimestamp=STRING, lastTimestamp=STRING,
                 eventTime=STRING, series=obj(count=INTEGER, lastObservedTime=STRING)),
    "Node": obj(metadata=METADATA, status=obj(conditions=CONDITIONS, nodeInfo=obj(kubeletVersion=STRING))),
}
_WORKLOAD = obj(metadata=METADATA, spec=obj(selector=LABEL_SELECTOR, template=POD_TEMPLATE))
KINDS.update(dict.fromkeys(("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"), _WORKLOAD))
# Any other kind is checked for what every object has: the plugin reads nothing else of it.
_ANY_KIND = obj(metadata=METADATA)


def problem(document: dict) -> Optional[ShapeError]:
    """The first wrongly typed field of one object, or None when the plugin can read all of it."""
    try:
        if type(document) is not dict:
            raise ShapeError("an object", describe(document))
        kind = document.get("kind")
        if type(kind) is not str:
            error = ShapeError("a string", describe(kind))
            error.segments.append(".kind")
            raise error
        KINDS.get(kind, _ANY_KIND)(document)
        if not (document.get("metadata") or {}).get("name"):
            error = ShapeError("a name", "none")
            error.segments.append(".metadata.name")
            raise error
    except ShapeError as error:
        return error
    return None


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
