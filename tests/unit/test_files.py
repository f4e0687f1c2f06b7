"""Offline input (-f): every shape `kubectl get -o json|yaml` writes, and one clear line for bad input."""

import io
import json
import os

import pytest
import yaml

from kubectl_sidecars.errors import EXIT_API, EXIT_INPUT, ApiError, InputError
from kubectl_sidecars.files import FileSource, load_objects
from kubectl_sidecars.model import build_pod_view
from kubectl_sidecars.selection import Selection
from tests.factory import T0, container, job_pod, pod, pod_list, running, terminated

WEB = pod("web-1", containers=[container("app")], statuses=[running("app")], labels={"app": "web"})
API = pod("api-1", namespace="shop", containers=[container("api")], statuses=[running("api")],
          labels={"app": "api"})
JOB_POD = job_pod("nightly", "x9k2p", containers=[container("report")], phase="Succeeded",
                  statuses=[terminated("report", 0)])
JOB = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "nightly", "namespace": "default"},
       "spec": {"template": {"spec": {"containers": [{"name": "report", "image": "report:1"}]}}},
       "status": {"succeeded": 1}}


def names(objects):
    return [(o["kind"], o["metadata"]["name"]) for o in objects]


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def kubectl_yaml(obj) -> str:
    """YAML the way kubectl writes it: strings that look like other types are quoted."""
    return yaml.safe_dump(obj, sort_keys=False, default_flow_style=False)


# ---------------------------------------------------------------- shapes


def test_single_pod_json(tmp_path):
    objects = load_objects([write(tmp_path, "pod.json", json.dumps(WEB, indent=4))])
    assert objects == [WEB]


def test_single_pod_yaml(tmp_path):
    objects = load_objects([write(tmp_path, "pod.yaml", kubectl_yaml(WEB))])
    assert objects == [WEB]


def test_kubectl_list_of_pods_and_jobs(tmp_path):
    document = pod_list(WEB, JOB_POD, JOB)
    objects = load_objects([write(tmp_path, "all.json", json.dumps(document))])
    assert names(objects) == [("Pod", "web-1"), ("Pod", "nightly-x9k2p"), ("Job", "nightly")]


def test_podlist_items_without_kind_become_pods(tmp_path):
    document = pod_list(WEB, API, kind="PodList")
    assert all("kind" not in item for item in document["items"])
    objects = load_objects([write(tmp_path, "pods.json", json.dumps(document))])
    assert names(objects) == [("Pod", "web-1"), ("Pod", "api-1")]
    assert objects[1]["metadata"]["namespace"] == "shop"


def test_nested_list(tmp_path):
    document = {"apiVersion": "v1", "kind": "List", "items": [pod_list(WEB, kind="PodList"), JOB]}
    objects = load_objects([write(tmp_path, "nested.json", json.dumps(document))])
    assert names(objects) == [("Pod", "web-1"), ("Job", "nightly")]


def test_json_array_of_objects(tmp_path):
    objects = load_objects([write(tmp_path, "array.json", json.dumps([WEB, API]))])
    assert names(objects) == [("Pod", "web-1"), ("Pod", "api-1")]


def test_multi_document_yaml(tmp_path):
    text = ("---\n" + kubectl_yaml(WEB) + "---\n# a comment only\n---\n" + kubectl_yaml(pod_list(API, JOB_POD))
            + "---\n" + kubectl_yaml(JOB) + "...\n")
    objects = load_objects([write(tmp_path, "many.yaml", text)])
    assert names(objects) == [("Pod", "web-1"), ("Pod", "api-1"), ("Pod", "nightly-x9k2p"), ("Job", "nightly")]
    assert objects[0] == WEB


def test_empty_list(tmp_path):
    assert load_objects([write(tmp_path, "none.json", json.dumps(pod_list()))]) == []


def test_folder_reads_json_and_yaml_files_in_name_order(tmp_path):
    folder = tmp_path / "dump"
    folder.mkdir()
    write(folder, "b-api.yml", kubectl_yaml(API))
    write(folder, "a-web.json", json.dumps(WEB))
    write(folder, "c-job.yaml", kubectl_yaml(pod_list(JOB_POD, JOB)))
    write(folder, "README.md", "# not an input\n")
    write(folder, "notes.txt", "{ not json")
    (folder / "sub").mkdir()
    write(folder / "sub", "d.json", json.dumps(WEB))
    objects = load_objects([str(folder)])
    assert names(objects) == [("Pod", "web-1"), ("Pod", "api-1"), ("Pod", "nightly-x9k2p"), ("Job", "nightly")]


def test_several_inputs_keep_their_order(tmp_path):
    first = write(tmp_path, "z.json", json.dumps(API))
    second = write(tmp_path, "a.yaml", kubectl_yaml(WEB))
    assert names(load_objects([first, second])) == [("Pod", "api-1"), ("Pod", "web-1")]


def test_stdin(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(kubectl_yaml(pod_list(WEB, API))))
    assert names(load_objects(["-"])) == [("Pod", "web-1"), ("Pod", "api-1")]


def test_stdin_json(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(WEB)))
    assert load_objects(["-"]) == [WEB]


def test_unquoted_yaml_timestamps_still_read_as_times(tmp_path):
    # YAML written by hand or by other tools often leaves timestamps unquoted
    text = kubectl_yaml(WEB).replace("'2025-", "2025-").replace("Z'", "Z")
    assert "creationTimestamp: 2025-03-04T10:00:00Z" in text
    view = build_pod_view(load_objects([write(tmp_path, "pod.yaml", text)])[0])
    assert view.created == T0
    assert view.container("app").started_at is not None


# ---------------------------------------------------------------- bad input


def _input_error(paths) -> str:
    with pytest.raises(InputError) as error:
        load_objects(paths)
    assert error.value.exit_code == EXIT_INPUT
    message = str(error.value)
    assert "\n" not in message and "Traceback" not in message
    return message


def test_missing_file(tmp_path):
    path = str(tmp_path / "nope.json")
    assert _input_error([path]) == f"cannot read {path}: No such file or directory"


def test_folder_without_inputs(tmp_path):
    write(tmp_path, "README.md", "nothing")
    assert _input_error([str(tmp_path)]) == f"{tmp_path}: folder holds no .json, .yaml or .yml file"


@pytest.mark.parametrize("text", [
    '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "x"',
    '{"kind": "Pod", "metadata": {"name": "x"}}}',
    '[{"kind": "Pod"}',
])
def test_malformed_json(tmp_path, text):
    path = write(tmp_path, "bad.json", text)
    message = _input_error([path])
    assert message.startswith(f"{path}: not valid JSON or YAML")


@pytest.mark.parametrize("text, line", [
    ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n   labels: {a: b}\n", 5),
    ("kind: Pod\nmetadata: {name: [x\n", 3),
    ("kind: Pod\n\tname: x\n", 2),
])
def test_malformed_yaml(tmp_path, text, line):
    path = write(tmp_path, "bad.yaml", text)
    message = _input_error([path])
    assert message.startswith(f"{path}: not valid JSON or YAML (line {line}): ")


def test_malformed_document_after_good_ones(tmp_path):
    path = write(tmp_path, "mixed.yaml", kubectl_yaml(WEB) + "---\nkind: Pod\n  oops: [\n")
    assert _input_error([path]).startswith(f"{path}: not valid JSON or YAML")


@pytest.mark.parametrize("text", ["just a sentence\n", "42\n", '["a", "b"]', "- 1\n- 2\n", "true"])
def test_not_an_object(tmp_path, text):
    path = write(tmp_path, "scalar.yaml", text)
    assert _input_error([path]).startswith(f"{path}: not a Kubernetes object (no 'kind')")


def test_object_without_kind(tmp_path):
    path = write(tmp_path, "nokind.json", json.dumps({"apiVersion": "v1", "metadata": {"name": "x"}}))
    assert _input_error([path]) == (f"{path}: not a Kubernetes object (no 'kind'); expected what "
                                    "`kubectl get -o json|yaml` prints")


def test_list_item_without_kind(tmp_path):
    document = {"apiVersion": "v1", "kind": "List", "items": [WEB, {"metadata": {"name": "x"}}]}
    path = write(tmp_path, "list.json", json.dumps(document))
    assert _input_error([path]).startswith(f"{path}: items[1]: not a Kubernetes object (no 'kind')")


def test_stdin_error_names_stdin(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO('{"metadata": {}}'))
    assert _input_error(["-"]).startswith("stdin: not a Kubernetes object")


def test_bytes_that_are_not_utf8_decode_as_replacement_characters(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("kind: Pod\nmetadata: {name: caf\xe9, annotations: {a: \x9b31m}}\n".encode("latin-1"))
    [pod] = load_objects([str(path)])
    assert pod["metadata"]["name"] == "caf\ufffd"
    assert pod["metadata"]["annotations"]["a"] == "\ufffd31m"  # a C1 CSI byte never becomes a control


def test_first_bad_input_stops_the_load(tmp_path):
    good = write(tmp_path, "good.json", json.dumps(WEB))
    bad = write(tmp_path, "bad.json", "{")
    assert _input_error([good, bad]).startswith(f"{bad}: ")


# ---------------------------------------------------------------- FileSource


def test_file_source_selects_pods_only_in_the_api_servers_order():
    source = FileSource([WEB, API, JOB_POD, JOB])
    assert source.default_namespace is None
    # by namespace/name, as the API server lists them, whatever the order of the files
    assert [p["metadata"]["name"] for p in source.pods(Selection(None))] == ["nightly-x9k2p", "web-1", "api-1"]
    assert [p["metadata"]["name"] for p in source.pods(Selection("shop"))] == ["api-1"]
    assert [p["metadata"]["name"] for p in source.pods(Selection(None, label_selector="app=web"))] == ["web-1"]
    assert [p["metadata"]["name"] for p in source.pods(Selection("default", ("nightly-x9k2p",)))] == [
        "nightly-x9k2p"]


def test_file_source_missing_named_pod_is_not_found():
    with pytest.raises(ApiError) as error:
        FileSource([WEB]).pods(Selection("default", ("web-1", "ghost")))
    assert error.value.exit_code == EXIT_API
    assert str(error.value) == 'pods "ghost" not found in the input files'


def test_file_source_get_and_list():
    source = FileSource([WEB, JOB_POD, JOB])
    assert source.get("Job", "default", "nightly") is JOB
    assert [o["metadata"]["name"] for o in source.list("Pod", None, "job-name=nightly")] == ["nightly-x9k2p"]
    with pytest.raises(ApiError) as error:
        source.get("Job", "default", "weekly")
    assert str(error.value) == 'jobs "weekly" not found in the input files'


def test_realcases_fixtures_load():
    folder = os.path.join(os.path.dirname(__file__), os.pardir, "fixtures", "realcases")
    paths = sorted(os.path.join(folder, n) for n in os.listdir(folder)
                   if n.endswith(".json") and not n.endswith(".expected.json"))
    objects = load_objects(paths)
    raw = 0
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            raw += sum(item.get("kind") == "Pod" for item in json.load(handle)["items"])
    assert sum(o["kind"] == "Pod" for o in objects) == raw > 0


@pytest.mark.parametrize("fields, complaint", [
    ({"spec": []}, "spec: expected an object, got a list"),
    ({"spec": {"containers": ["c"]}}, r"spec.containers\[0\]: expected an object, got a string"),
    ({"spec": {"containers": [{"name": "c", "env": "x"}]}}, r"spec.containers\[0\].env: expected a list, got a string"),
    ({"spec": {"containers": [{"name": "c"}, {"name": "d", "ports": "80"}]}},
     r"spec.containers\[1\].ports: expected a list, got a string"),
    ({"spec": {"containers": [{"name": "c", "startupProbe": "x"}]}}, "startupProbe: expected an object, got a string"),
    ({"spec": {"containers": [{"name": 7}]}}, r"spec.containers\[0\].name: expected a string, got a number"),
    ({"spec": {"containers": [{"name": "c", "ports": [{"containerPort": 10 ** 30}]}]}},
     "containerPort: expected an integer, got a number out of range"),
    ({"status": {"containerStatuses": [{"name": "c", "state": "running"}]}},
     r"status.containerStatuses\[0\].state: expected an object, got a string"),
    ({"status": {"containerStatuses": [{"name": "c", "state": {"terminated": {"exitCode": "1"}}}]}},
     "state.terminated.exitCode: expected an integer, got a string"),
    ({"status": {"containerStatuses": [{"name": "c", "restartCount": "3"}]}},
     "restartCount: expected an integer, got a string"),
    ({"status": {"containerStatuses": [{"name": "c", "ready": "true"}]}}, "ready: expected a boolean, got a string"),
    ({"status": {"conditions": ["Ready"]}}, r"status.conditions\[0\]: expected an object, got a string"),
    ({"metadata": {"name": "p", "annotations": []}}, "metadata.annotations: expected an object, got a list"),
    ({"metadata": {"name": "p", "annotations": {"a": 1}}}, r"metadata.annotations\[a\]: expected a string"),
    ({"metadata": None}, "metadata.name: expected a name"),
])
def test_wrongly_typed_fields_are_bad_input(tmp_path, fields, complaint):
    path = tmp_path / "pod.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, **fields}))
    with pytest.raises(InputError, match=complaint):
        load_objects([str(path)])


def test_a_job_with_a_text_counter_is_bad_input(tmp_path):
    path = tmp_path / "job.json"
    path.write_text(json.dumps({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"},
                                "spec": {"parallelism": "3"}}))
    with pytest.raises(InputError, match=f"^{path}: Job j: spec.parallelism: expected an integer, got a string$"):
        load_objects([str(path)])


BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(ord('a') + i + 1)}: &{chr(ord('a') + i + 1)} [{', '.join([f'*{chr(ord(chr(97)) + i)}'] * 9)}]\n"
    for i in range(8)) + "kind: Pod\nmetadata: {name: p}\n"


def test_an_alias_bomb_is_refused_at_once(tmp_path):
    path = write(tmp_path, "bomb.yaml", BOMB)
    assert len(BOMB) < 700
    assert _input_error([path]) == f"{path}: not valid YAML: excessive aliasing"


def test_a_recursive_alias_is_refused(tmp_path):
    path = write(tmp_path, "loop.yaml", "kind: Pod\nmetadata: {name: p}\nspec: &s {containers: [*s]}\n")
    assert _input_error([path]) == f"{path}: not valid YAML: excessive aliasing"


def test_a_few_aliases_are_fine(tmp_path):
    text = "kind: Pod\nmetadata: {name: p, labels: &l {app: web}, annotations: *l}\n"
    [pod] = load_objects([write(tmp_path, "ok.yaml", text)])
    assert pod["metadata"]["annotations"] == {"app": "web"}


@pytest.mark.parametrize("name, text", [
    ("deep.json", "[" * 2000 + "]" * 2000),
    ("deep.yaml", "a: " + "[" * 2000 + "]" * 2000),
    ("deep-block.yaml", "".join("  " * i + f"k{i}:\n" for i in range(1500)) + "  " * 1500 + "v\n"),
])
def test_deep_nesting_is_bad_input(tmp_path, name, text):
    path = write(tmp_path, name, text)
    assert _input_error([path]).startswith(f"{path}: ")


def test_binary_where_a_string_is_expected(tmp_path):
    text = "kind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: !!binary aGk=}]}\n"
    path = write(tmp_path, "binary.yaml", text)
    assert _input_error([path]) == f"{path}: Pod p: spec.containers[0].name: expected a string, got binary data"


@pytest.mark.parametrize("items, got", [("true", "a boolean"), ('"x"', "a string"), ("{}", "an object")])
def test_list_items_that_are_not_a_list(tmp_path, items, got):
    path = write(tmp_path, "list.json", f'{{"kind": "List", "items": {items}}}')
    assert _input_error([path]) == f"{path}: List: items: expected a list, got {got}"


def test_a_huge_integer_is_out_of_range_not_a_crash(tmp_path):
    text = json.dumps(dict(WEB, spec={"terminationGracePeriodSeconds": 0}))
    text = text.replace('Seconds": 0', 'Seconds": ' + "9" * 5000)
    path = write(tmp_path, "huge.json", text)
    assert _input_error([path]).endswith("spec.terminationGracePeriodSeconds: expected an integer, "
                                         "got a number out of range")
    [loaded] = load_objects([write(tmp_path, "unused.yaml", "kind: Pod\nmetadata: {name: p}\nx: " + "7" * 5000)])
    assert loaded["x"] == float("inf")  # a field the plugin does not read stays harmless


def test_closed_stdin(monkeypatch):
    monkeypatch.setattr("sys.stdin", None)
    assert _input_error(["-"]) == "cannot read stdin: it is closed"


def test_unreadable_folder(tmp_path, monkeypatch):
    def refuse(path):
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr("os.listdir", refuse)
    assert _input_error([str(tmp_path)]) == f"cannot read {tmp_path}: Permission denied"


def test_a_folder_inside_a_folder_is_passed_over_as_kubectl_does(tmp_path):
    (tmp_path / "nested.json").mkdir()
    write(tmp_path, "web.json", json.dumps(WEB))
    assert [o["metadata"]["name"] for o in load_objects([str(tmp_path)])] == [WEB["metadata"]["name"]]
