"""The typed boundary's two checkers, both derived from one schema: the validators written from it (`passes`,
yes or no, the fast path every valid object takes) and the walk that names the first wrongly typed field
(`first_problem`). They must agree on every input, and `problem` must say exactly what the walk says."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubectl_sidecars.model.shape import (
    ANY_KIND,
    BOOLEAN,
    INT64,
    INT_OR_STRING,
    INTEGER,
    KINDS,
    QUANTITY,
    STRING,
    ListOf,
    MapOf,
    Object,
    first_problem,
    passes,
    problem,
)
from tests.factory import container, pod, running
from tests.unit.hostile import deep, examples, paths
from tests.unit.hunting import profile

PROFILE = profile(150)


def agree(document) -> bool:
    """Whether the validator and the walk give the same verdict, and `problem` the walk's error; the verdict."""
    valid, found = passes(document), first_problem(document)
    assert valid == (found is None), f"passes says {valid}, the walk says {found}"
    given_problem = problem(document)
    assert (given_problem is None) == valid and str(given_problem) == str(found)
    return valid


# ---------------------------------------------------------------- documents the schema accepts, then broken

SCALAR_VALUES = {
    id(STRING): st.text(max_size=4),
    id(BOOLEAN): st.booleans(),
    id(INTEGER): st.integers(INT64[0], INT64[1] - 1),
    id(INT_OR_STRING): st.one_of(st.integers(INT64[0], INT64[1] - 1), st.text(max_size=4)),
    id(QUANTITY): st.one_of(st.text(max_size=4), st.integers(INT64[0] + 1, INT64[1] - 1),
                            st.floats(-9.2e18, 9.2e18, allow_nan=False)),
}


def conforming(node, built=None) -> st.SearchStrategy:
    """Values the node accepts: fields present or absent or null, short lists and maps."""
    built = {} if built is None else built
    if id(node) not in built:
        if isinstance(node, Object):
            strategy = st.fixed_dictionaries({}, optional={key: st.one_of(st.none(), conforming(child, built))
                                                           for key, child in node.fields})
        elif isinstance(node, ListOf):
            strategy = st.lists(conforming(node.item, built), max_size=2)
        elif isinstance(node, MapOf):
            strategy = st.dictionaries(st.text(max_size=3), conforming(node.value, built), max_size=2)
        else:
            strategy = SCALAR_VALUES[id(node)]
        built[id(node)] = strategy
    return built[id(node)]


KIND_DOCUMENTS = {kind: conforming(root) for kind, root in {**KINDS, "ConfigMap": ANY_KIND}.items()}

# Every type a parser hands over, at the edges each scalar type draws.
EDGES = [INT64[1] - 1, INT64[1], INT64[0], INT64[0] - 1, -0.0, 1.5, 9.3e18, math.nan, math.inf, -math.inf]
anything = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-2 ** 70, 2 ** 70), st.floats(), st.text(max_size=4),
              st.binary(max_size=2), st.sampled_from(EDGES)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.tuples(inner),
                            st.dictionaries(st.one_of(st.text(max_size=3), st.integers(), st.booleans(), st.none()),
                                            inner, max_size=3)),
    max_leaves=6)


@PROFILE
@given(st.data())
def test_the_validator_and_the_walk_agree_on_schema_shaped_documents_broken_anywhere(data):
    kind = data.draw(st.sampled_from(sorted(KIND_DOCUMENTS)))
    document = data.draw(KIND_DOCUMENTS[kind])
    document.update(kind=kind, metadata=dict(document.get("metadata") or {}, name="web"))
    for _ in range(data.draw(st.integers(0, 2))):
        path = data.draw(st.sampled_from(list(paths(document))))
        parent = document
        for step in path[:-1]:
            parent = parent[step]
        if data.draw(st.booleans()):
            parent[path[-1]] = data.draw(anything)
        else:
            del parent[path[-1]]
    agree(document)


@PROFILE
@given(anything)
def test_the_validator_and_the_walk_agree_on_any_value(value):
    assert not agree(value)  # no parser value without a kind is an object the plugin reads
    for kind in ("Pod", "Job", "ConfigMap"):
        for field in ("metadata", "spec", "status"):
            agree({"kind": kind, "metadata": {"name": "web"}, field: value})


WRONG_VALUES = [None, True, 0, INT64[1], 1.5, math.nan, "text", [None], {1: "one"}]


@pytest.mark.parametrize("name, document", [(name, document) for name, document, _ in examples()])
def test_every_field_of_the_examples_replaced_by_every_type(name, document):
    """Each field of each example object (kubectl's own dumps) in turn given a value of each type."""
    verdicts = set()
    for obj in document.get("items", [document]):
        assert agree(obj)
        for path in list(paths(obj)):
            parent = obj
            for step in path[:-1]:
                parent = parent[step]
            before = parent[path[-1]]
            for value in WRONG_VALUES:
                parent[path[-1]] = value
                verdicts.add(agree(obj))
            parent[path[-1]] = before
    assert verdicts == {True, False}


# ---------------------------------------------------------------- each rule of the schema, by its message

def web_pod() -> dict:
    return pod("web-1", containers=[container("web", args=["serve", "--port=8080"])], statuses=[running("web")])


def with_value(path: tuple, value) -> dict:
    document = web_pod()
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = value
    return document


@pytest.mark.parametrize("path, value, message", [
    (("status", "containerStatuses", 0, "restartCount"), True,
     "status.containerStatuses[0].restartCount: expected an integer, got a boolean"),
    (("status", "containerStatuses", 0, "restartCount"), 1.0,
     "status.containerStatuses[0].restartCount: expected an integer, got a number"),
    (("status", "containerStatuses", 0, "restartCount"), INT64[1],
     "status.containerStatuses[0].restartCount: expected an integer, got a number out of range"),
    (("status", "containerStatuses", 0, "restartCount"), INT64[0] - 1,
     "status.containerStatuses[0].restartCount: expected an integer, got a number out of range"),
    (("status", "containerStatuses", 0, "ready"), "true",
     "status.containerStatuses[0].ready: expected a boolean, got a string"),
    (("spec", "containers", 0, "resources"), {"limits": {"memory": math.inf}},
     "spec.containers[0].resources.limits[memory]: expected a quantity, got a number out of range"),
    (("spec", "containers", 0, "resources"), {"requests": {"memory": 2.0 ** 63}},
     "spec.containers[0].resources.requests[memory]: expected a quantity, got a number"),
    (("spec", "containers", 0, "resources"), {"limits": {"cpu": True}},
     "spec.containers[0].resources.limits[cpu]: expected a quantity, got a boolean"),
    (("spec", "containers", 0, "args", 1), None, "spec.containers[0].args[1]: expected an item, got null"),
    (("spec", "containers", 0), None, "spec.containers[0]: expected an item, got null"),
    (("metadata", "labels"), {"app": None}, "metadata.labels[app]: expected a string, got null"),
    (("metadata", "labels"), {1: "web"}, "metadata.labels: expected string keys, got the key 1"),
    (("metadata", "annotations"), {"note": deep(100_000)}, "metadata.annotations[note]: expected a string, got a list"),
    (("spec", "containers"), ({"name": "web"},), "spec.containers: expected a list, got a list"),
    (("metadata", "name"), "", "metadata.name: expected a name, got none"),
    (("kind",), ["Pod"], "kind: expected a string, got a list"),
])
def test_a_wrongly_typed_field_is_named_with_its_path(path, value, message):
    document = with_value(path, value)
    assert not passes(document)
    assert str(problem(document)) == message


@pytest.mark.parametrize("path, value", [
    (("metadata", "creationTimestamp"), None),  # dumps write `creationTimestamp: null`: absent
    (("spec", "containers", 0, "livenessProbe"), None),
    (("status", "containerStatuses", 0, "restartCount"), INT64[1] - 1),
    (("status", "containerStatuses", 0, "restartCount"), INT64[0]),
    (("spec", "containers", 0, "resources"), {"limits": {"cpu": 2, "memory": 1.5e9}, "requests": {}}),
    (("spec", "containers", 0, "readinessProbe"), {"httpGet": {"port": "http"}, "tcpSocket": {"port": 8080}}),
    (("metadata", "managedFields"), deep(100_000)),  # a field the plugin does not read is never walked
    (("spec", "volumes"), [None, 1, "odd"]),
])
def test_what_the_api_allows_passes(path, value):
    document = with_value(path, value)
    assert passes(document)
    assert problem(document) is None


def test_not_an_object():
    assert not passes(["Pod"]) and str(problem(["Pod"])) == "(the object): expected an object, got a list"
