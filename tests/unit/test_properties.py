"""Property tests: whatever documents `-f` is given, every command ends with a documented exit code and a
clean terminal (see tests/unit/hostile.py for what is checked after every run).

The documents start as the realistic dumps of examples/ and are broken field by field: a value of the
wrong type, a dropped field, a hostile string, an injector annotation of an odd shape. They are written as
JSON or YAML and run through the real CLI, in this process, with every output format.

Runs are reproducible (derandomised) and sized for CI; `KUBECTL_SIDECARS_HYPOTHESIS=hunt` runs many more
random examples for a local search.
"""

import copy
import json
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.unit.hostile import (
    HOSTILE_STRINGS,
    ODD_ANNOTATION_VALUES,
    PARSED_ANNOTATIONS,
    HugeInt,
    check_result,
    deep,
    dropped,
    examples,
    objects_of,
    paths,
    replaced,
    run_cli,
    serialise,
)
from tests.unit.hunting import profile

PROFILE = profile(40)

EXAMPLES = {name: (document, target) for name, document, target in examples()}

# ---------------------------------------------------------------- strategies

# single characters no terminal should receive raw, mixed into ordinary text below
HOSTILE_CHARACTERS = sorted({ch for text in HOSTILE_STRINGS for ch in text if not ch.isascii() or not ch.isprintable()}
                            | {"\x7f", "\x9f", "\u200e", "\u2067", "\U000e0020", "\udfff", "\ufff9"})

hostile_text = st.one_of(
    st.sampled_from(HOSTILE_STRINGS),
    st.lists(st.one_of(st.sampled_from(HOSTILE_CHARACTERS), st.sampled_from(string.ascii_letters + "-./:="),
                       st.characters(exclude_categories=())), max_size=40).map("".join),
)

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-2 ** 70, max_value=2 ** 70),
    st.floats(allow_nan=True, allow_infinity=True), hostile_text,
    st.integers(min_value=4_400, max_value=12_000).map(HugeInt),
)

# a value of any type for any field: scalars, containers of them, deep nesting
wrong_values = st.one_of(
    scalars,
    st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                  st.dictionaries(hostile_text, inner, max_size=4)), max_leaves=12),
    st.integers(min_value=1, max_value=60).map(deep),
)


def commands(path: str, target: list):
    """Every way the CLI reads a file, with the output format each run is checked against."""
    runs = [
        (["status", "-f", path], "table"),
        (["status", "-f", path, "-o", "json"], "json"),
        (["status", "-f", path, "-o", "yaml"], "yaml"),
        (["status", "-f", path, "-o", "wide"], "wide"),
        (["status", "-f", path, "--containers"], "table"),
        (["diagnose", "-f", path, "-A"], "table"),
        (["diagnose", "-f", path, "-o", "json"], "json"),
        (["diagnose", "-f", path, "-A", "-o", "yaml"], "yaml"),
    ]
    if target:
        runs.append((["diagnose", *target, "-f", path, "-o", "json"], "json"))
    return runs


def run_everything(document, language: str, target: list, folder) -> list:
    """Write the document, run every command on it (and `status -f -` on stdin), check each run."""
    text = serialise(document, language)
    path = folder / f"input.{language}"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    codes = []
    for args, output in commands(str(path), target):
        result = run_cli(args)
        check_result(result, output, describe=" ".join(args))
        codes.append(result.exit_code)
    stdin = run_cli(["status", "-f", "-", "-o", "json"], stdin=text.encode("utf-8", "surrogatepass"))
    check_result(stdin, "json", describe="status -f - -o json")
    return codes


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("hostile")


def _mutate(data, document):
    """One step: a field of any depth gets a wrongly typed value, or disappears."""
    every = list(paths(document))
    where = data.draw(st.sampled_from(every), label="path")
    if data.draw(st.booleans(), label="drop"):
        return dropped(document, where)
    return replaced(document, where, data.draw(wrong_values, label="value"))


# ---------------------------------------------------------------- properties


@PROFILE
@given(example=st.sampled_from(sorted(EXAMPLES)), language=st.sampled_from(("json", "yaml")),
       steps=st.integers(1, 4), data=st.data())
def test_wrongly_typed_or_missing_fields_never_crash(folder, example, language, steps, data):
    document, target = EXAMPLES[example]
    for _ in range(steps):
        document = _mutate(data, document)
    run_everything(document, language, target, folder)


# where the plugin reads text from a pod: names, images, reasons, messages, commands, env values
POD_TEXT_FIELDS = (
    ("metadata", "name"), ("metadata", "namespace"), ("status", "reason"), ("status", "message"),
    ("spec", "nodeName"),
)
CONTAINER_TEXT_FIELDS = (("name",), ("image",), ("command", 0), ("args", 0))
STATUS_TEXT_FIELDS = (("image",), ("state", "waiting", "reason"), ("state", "waiting", "message"),
                      ("state", "terminated", "reason"), ("state", "terminated", "message"))


def _pod_text_paths(pod: dict):
    """Paths of the string fields of a pod the plugin shows or parses (that exist in it)."""
    found = [path for path in POD_TEXT_FIELDS if path[0] in pod and path[-1] in pod[path[0]]]
    for section in ("initContainers", "containers"):
        for index, spec in enumerate(pod["spec"].get(section) or []):
            found += [("spec", section, index) + path for path in CONTAINER_TEXT_FIELDS
                      if path[0] in spec and (len(path) == 1 or len(spec[path[0]]) > path[1])]
    for section in ("initContainerStatuses", "containerStatuses"):
        for index, status in enumerate(pod.get("status", {}).get(section) or []):
            for path in STATUS_TEXT_FIELDS:
                node = status
                for step in path[:-1]:
                    node = node.get(step) if isinstance(node, dict) else None
                if isinstance(node, dict) and path[-1] in node:
                    found.append(("status", section, index) + path)
    return found


@PROFILE
@given(example=st.sampled_from(sorted(EXAMPLES)), language=st.sampled_from(("json", "yaml")),
       annotations=st.dictionaries(st.one_of(st.sampled_from(PARSED_ANNOTATIONS), hostile_text),
                                   st.one_of(st.sampled_from(ODD_ANNOTATION_VALUES), hostile_text), max_size=3),
       env=st.dictionaries(st.sampled_from(("DB_PORT", "PORT", "PROXY_PORT", "ADMIN_PORT", "http_proxy")), hostile_text,
                           min_size=1, max_size=3),
       labels=st.dictionaries(hostile_text, hostile_text, max_size=2), data=st.data())
def test_hostile_strings_where_strings_belong_are_shown_not_fatal(folder, example, language, annotations, env,
                                                                   labels, data):
    """Annotations, env values, labels and text fields that are strings, as the API allows, whatever they hold:
    a bad value is evidence ignored, so every run succeeds."""
    document, target = copy.deepcopy(EXAMPLES[example][0]), EXAMPLES[example][1]
    pods = objects_of(document, "Pod")
    for pod in pods:
        pod["metadata"].setdefault("annotations", {}).update(annotations)
        pod["metadata"].setdefault("labels", {}).update(labels)
        for spec in pod["spec"]["containers"]:
            spec.setdefault("env", []).extend({"name": key, "value": value} for key, value in env.items())
    first = pods[0]
    for path in data.draw(st.lists(st.sampled_from(_pod_text_paths(first)), max_size=4, unique=True),
                          label="text fields"):
        pods[0] = replaced(pods[0], path, data.draw(hostile_text.filter(str.strip)))
    document["items"] = [pods[0] if item is first else item for item in document["items"]]
    codes = run_everything(document, language, target, folder)
    if language == "yaml" and _holds_lone_surrogate(document):
        # YAML has no way to write one: libyaml refuses the \uD800 escape (not valid JSON or YAML, exit 4), the
        # pure-Python parser reads it
        assert set(codes) in ({0}, {4}), example
    else:
        assert set(codes) == {0}, f"{example}: a string field with any text is valid input"


def _holds_lone_surrogate(document) -> bool:
    return any("\ud800" <= ch <= "\udfff" for ch in json.dumps(document, ensure_ascii=False))


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), hostile_text),
    lambda inner: st.one_of(st.lists(inner, max_size=5), st.dictionaries(hostile_text, inner, max_size=5)),
    max_leaves=25)
KINDS = ("Pod", "Job", "CronJob", "List", "PodList", "JobList", "Event", "Node", "Deployment", "ReplicaSet")


@PROFILE
@given(kind=st.sampled_from(KINDS), name=st.one_of(hostile_text, json_values),
       body=st.dictionaries(st.sampled_from(("metadata", "spec", "status", "items", "involvedObject")), json_values,
                            max_size=4),
       language=st.sampled_from(("json", "yaml")))
def test_arbitrary_documents_of_any_kind_never_crash(folder, kind, name, body, language):
    document = dict(body, kind=kind, apiVersion="v1")
    if isinstance(document.get("metadata"), dict):
        document["metadata"]["name"] = name
    run_everything(document, language, [], folder)
