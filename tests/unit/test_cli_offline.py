"""The CLI end to end on -f inputs, in a real process: output, narrowing, exit codes, one-line errors."""

import glob
import json
import os
import shutil
import subprocess
import sys

import pytest
import yaml

from tests.factory import container, pod, pod_list, running

REALCASES = os.path.normpath(os.path.join(os.path.dirname(__file__), os.pardir, "fixtures", "realcases"))
INPUTS = sorted(p for p in glob.glob(os.path.join(REALCASES, "*.json")) if not p.endswith(".expected.json"))
ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir))
# the narrowing tests work on these five, whatever fixtures are added later
KNOWN = [os.path.join(REALCASES, name + ".json") for name in (
    "01-legacy-slow-sidecar-app-crash-cronjob", "04-native-sidecar-with-startupprobe-job-completes",
    "10-katib-trial-job-notready-istio-proxy", "14-istio-legacy-sidecar-healthy-bookinfo",
    "51-native-sidecar-sigkilled-137-after-grace-period")]


def raw_pods(paths):
    """(namespace, name) of every Pod in the files, read without the code under test."""
    found = []
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
        for item in document.get("items", [document]):
            if item.get("kind") == "Pod":
                found.append((item["metadata"].get("namespace", "default"), item["metadata"]["name"]))
    return found


def expected_of(path):
    with open(path[:-len(".json")] + ".expected.json", encoding="utf-8") as handle:
        return json.load(handle)


def cli(*args, stdin=None, env=None):
    environment = dict(os.environ, NO_COLOR="1", KUBECONFIG=os.devnull)
    environment.pop("KUBECTL_SIDECARS_DEBUG", None)
    environment.update(env or {})
    return subprocess.run([sys.executable, "-m", "kubectl_sidecars", *args], input=stdin, capture_output=True,
                          text=True, cwd=ROOT, env=environment, timeout=60)


def table_rows(text):
    """Cells by header, cut at the header's column starts (cells may contain single spaces)."""
    lines = text.splitlines()
    head = lines[0]
    names = head.split()
    starts, position = [], 0
    for name in names:
        position = head.index(name, position)
        starts.append(position)
        position += len(name)
    bounds = list(zip(starts, starts[1:] + [None]))
    return [{name: line[a:b].strip() for name, (a, b) in zip(names, bounds)} for line in lines[1:]]


def assert_one_line_error(result, code, starts):
    assert result.returncode == code, result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.endswith("\n")
    assert result.stderr.startswith(starts), result.stderr


# ---------------------------------------------------------------- the transcribed real cases


@pytest.mark.parametrize("path", INPUTS, ids=os.path.basename)
def test_status_table_has_kubectls_ready_and_status(path):
    result = cli("status", "-f", path)
    assert result.returncode == 0, result.stderr
    rows = {row["NAME"]: row for row in table_rows(result.stdout)}
    expected = expected_of(path)["kubectl"]
    assert set(rows) == set(expected)
    for name, cells in expected.items():
        assert (rows[name]["READY"], rows[name]["STATUS"]) == (cells["ready"], cells["status"]), name


@pytest.mark.parametrize("path", INPUTS, ids=os.path.basename)
def test_status_json_has_the_classification(path):
    result = cli("status", "-f", path, "-o", "json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    expected = expected_of(path)
    assert document["apiVersion"] == "kubectl-sidecars/v1" and document["kind"] == "SidecarStatus"
    seen = {}
    for entry in document["pods"]:
        assert (entry["ready"], entry["status"]) == (expected["kubectl"][entry["name"]]["ready"],
                                                     expected["kubectl"][entry["name"]]["status"])
        for item in entry["containers"]:
            seen[f"{entry['name']}/{item['name']}"] = item
    for key, kind in expected["classification"].items():
        allowed = kind if isinstance(kind, list) else [kind]
        assert seen[key]["type"] in allowed, key
        assert (seen[key]["evidence"] is not None) == (seen[key]["type"] == "legacy-sidecar"), key


def test_status_yaml_is_the_json_document():
    as_json = json.loads(cli("status", "-f", KNOWN[0], "-o", "json").stdout)
    as_yaml = yaml.safe_load(cli("status", "-f", KNOWN[0], "-o", "yaml").stdout)
    assert as_yaml == as_json


def test_every_input_file_together_sorted_by_namespace_and_name():
    args = [arg for path in KNOWN for arg in ("-f", path)]
    document = json.loads(cli("status", *args, "-o", "json").stdout)
    assert [(p["namespace"], p["name"]) for p in document["pods"]] == [
        ("analytics", "daily-report-5mz8t"),
        ("default", "reviews-v1-545db77b95-w8hlc"),
        ("default", "sidecar-cronjob-28689938-5n5x9"),
        ("default", "sidecar-cronjob-28689977-lt77c"),
        ("kubeflow", "random-example-2-78plm8nq-d94xl"),
    ]


def test_folder_input(tmp_path):
    for path in INPUTS:
        shutil.copy(path, tmp_path)
    document = json.loads(cli("status", "-f", str(tmp_path), "-o", "json").stdout)
    assert sorted((p["namespace"], p["name"]) for p in document["pods"]) == sorted(raw_pods(INPUTS))


def test_stdin_input():
    with open(KNOWN[0], encoding="utf-8") as handle:
        result = cli("status", "-f", "-", "-o", "json", stdin=handle.read())
    assert result.returncode == 0, result.stderr
    assert [p["name"] for p in json.loads(result.stdout)["pods"]] == ["sidecar-cronjob-28689938-5n5x9"]


# ---------------------------------------------------------------- narrowing


ALL = [arg for path in KNOWN for arg in ("-f", path)]


def names(result):
    assert result.returncode == 0, result.stderr
    return [p["name"] for p in json.loads(result.stdout)["pods"]]


def test_namespace_narrows():
    assert names(cli("status", *ALL, "-n", "kubeflow", "-o", "json")) == ["random-example-2-78plm8nq-d94xl"]
    assert names(cli("status", *ALL, "--namespace=analytics", "-o", "json")) == ["daily-report-5mz8t"]


def test_label_selector_narrows():
    assert names(cli("status", *ALL, "-l", "job-name=sidecar-cronjob-28689938", "-o", "json")) == [
        "sidecar-cronjob-28689938-5n5x9"]
    assert names(cli("status", *ALL, "-l", "app=reviews", "-o", "json")) == ["reviews-v1-545db77b95-w8hlc"]
    assert names(cli("status", *ALL, "-l", "job-name,!katib.kubeflow.org/trial", "-n", "default",
                     "-o", "json")) == ["sidecar-cronjob-28689938-5n5x9", "sidecar-cronjob-28689977-lt77c"]


def test_field_selector_narrows():
    assert names(cli("status", *ALL, "--field-selector", "status.phase=Succeeded", "-o", "json")) == [
        "daily-report-5mz8t"]


def test_without_namespace_every_object_is_shown_with_a_namespace_column():
    rows = table_rows(cli("status", *ALL).stdout)
    assert [(r["NAMESPACE"], r["NAME"]) for r in rows][0] == ("analytics", "daily-report-5mz8t")
    assert len(rows) == len(KNOWN)


def test_with_namespace_there_is_no_namespace_column():
    result = cli("status", *ALL, "-n", "default")
    assert result.stdout.split()[0] == "NAME"
    assert [r["NAME"] for r in table_rows(result.stdout)] == [
        "reviews-v1-545db77b95-w8hlc", "sidecar-cronjob-28689938-5n5x9", "sidecar-cronjob-28689977-lt77c"]


def test_nothing_selected():
    result = cli("status", *ALL, "-n", "payments")
    assert result.returncode == 0
    assert result.stdout == ""
    assert result.stderr == "No resources found in payments namespace.\n"
    assert json.loads(cli("status", *ALL, "-l", "app=none", "-o", "json").stdout)["pods"] == []


def test_one_named_pod_shows_its_containers():
    result = cli("status", "daily-report-5mz8t", *ALL, "-n", "analytics")
    assert result.returncode == 0, result.stderr
    rows = table_rows(result.stdout)
    assert [(r["CONTAINER"], r["TYPE"]) for r in rows] == [("logshipper", "sidecar"), ("report", "app")]


def test_containers_flag():
    rows = table_rows(cli("status", *ALL, "-n", "kubeflow", "--containers").stdout)
    assert [(r["CONTAINER"], r["TYPE"]) for r in rows] == [
        ("istio-init", "init"), ("training-container-2", "app"), ("istio-proxy", "legacy-sidecar"),
        ("metrics-logger-and-collector", "legacy-sidecar")]


def test_wide_output():
    rows = table_rows(cli("status", *ALL, "-n", "default", "-o", "wide").stdout)
    reviews = rows[0]
    assert reviews["NODE"] != "" and reviews["CONTAINERS"] == "init=istio-init legacy=istio-proxy app=reviews"


def test_pod_name_with_escape_sequence_is_neutralised(tmp_path):
    evil = pod("evil\x1b[2J-pod", containers=[container("app")], statuses=[running("app")])
    path = tmp_path / "evil.json"
    path.write_text(json.dumps(pod_list(evil)), encoding="utf-8")
    result = cli("status", "-f", str(path))
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout
    assert "evil\\x1b[2J-pod" in result.stdout


# ---------------------------------------------------------------- errors and exit codes


def test_missing_file_exits_4(tmp_path):
    missing = str(tmp_path / "missing.json")
    assert_one_line_error(cli("status", "-f", missing), 4, f"error: cannot read {missing}: No such file")


@pytest.mark.parametrize("text", ['{"kind": "Pod", "metadata": {', "kind: Pod\n  bad: [\n", "just words\n",
                                  '{"apiVersion": "v1"}'])
def test_malformed_file_exits_4(tmp_path, text):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    assert_one_line_error(cli("status", "-f", str(path)), 4, f"error: {path}: ")


def test_malformed_stdin_exits_4():
    assert_one_line_error(cli("status", "-f", "-", stdin="{"), 4, "error: stdin: ")


@pytest.mark.parametrize("flag, selector", [("-l", "app in web"), ("-l", "app=web=x"), ("-l", "=web"),
                                            ("--field-selector", "status.phase"),
                                            ("--field-selector", "metadata.labels=x")])
def test_bad_selector_exits_2(flag, selector):
    result = cli("status", "-f", KNOWN[0], flag, selector)
    assert_one_line_error(result, 2, "error: ")
    assert selector in result.stderr


def test_namespace_and_all_namespaces_together_exit_2():
    result = cli("status", "-f", KNOWN[0], "-n", "default", "-A")
    assert_one_line_error(result, 2, "error: -n/--namespace and -A/--all-namespaces cannot be used together")


def test_unknown_output_format_exits_2():
    result = cli("status", "-f", KNOWN[0], "-o", "xml")
    assert_one_line_error(result, 2, "error: Invalid value for '-o' / '--output': 'xml' is not one of")


def test_unknown_flag_is_one_line_and_exits_2():
    assert_one_line_error(cli("status", "--bogus"), 2, "error: No such option '--bogus'; see --help")


def test_bare_plugin_prints_help():
    result = cli()
    assert result.returncode == 0 and result.stdout.startswith("Usage: kubectl sidecars [OPTIONS] COMMAND")


def test_named_pod_missing_from_the_input_exits_3():
    assert_one_line_error(cli("status", "ghost", "-f", KNOWN[0]), 3,
                          'error: pods "ghost" not found in the input files')


# ---------------------------------------------------------------- help and version stay light

PROBE = """
import sys
from kubectl_sidecars.cli import main
try:
    main(sys.argv[1:])
except SystemExit as stop:
    code = stop.code
heavy = sorted(m for m in sys.modules if m == "kubernetes" or m.startswith("kubernetes."))
sys.stderr.write("EXIT=%s HEAVY=%s\\n" % (code, ",".join(heavy)))
"""


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["status", "--help"], ["-h"]])
def test_help_and_version_do_not_import_the_kubernetes_client(args):
    result = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, cwd=ROOT,
                            timeout=60)
    assert result.stderr.strip().splitlines()[-1] == "EXIT=0 HEAVY="
    assert result.stdout


def test_version_output():
    from kubectl_sidecars import __version__

    result = cli("--version")
    assert (result.returncode, result.stdout) == (0, f"kubectl-sidecars {__version__}\n")


def test_help_lists_the_exit_codes_and_status():
    result = cli("--help")
    assert result.returncode == 0
    assert "status" in result.stdout
    assert "4 unreadable or invalid input file" in result.stdout


def test_status_help_lists_the_kubectl_flags():
    result = cli("status", "--help")
    assert result.returncode == 0
    for flag in ("--namespace", "--all-namespaces", "--selector", "--field-selector", "--filename", "--kubeconfig",
                 "--context", "--request-timeout", "--no-color", "--chunk-size", "--output"):
        assert flag in result.stdout, flag



# ---------------------------------------------------------------- stderr: every line sanitised

HOSTILE = "\x1b[31m\u202e\u061c\U000e0041\x9b"


def assert_no_raw_controls(text):
    from kubectl_sidecars.sanitize import CONTROL

    assert not CONTROL.search(text.replace("\n", "")), repr(text)


def kubeconfig_with(tmp_path, context="ctx", namespace="default", server="https://127.0.0.1:1"):
    path = tmp_path / "config"
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": context,
        "clusters": [{"name": "c", "cluster": {"server": server}}],
        "contexts": [{"name": context, "context": {"cluster": "c", "user": "u", "namespace": namespace}}],
        "users": [{"name": "u", "user": {"token": "t"}}]}), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("args, code", [
    (["status", "-f", KNOWN[0], "-n", HOSTILE], 2),
    (["status", "-f", KNOWN[0], "-l", f"app={HOSTILE}"], 2),
    (["status", "-f", f"/missing/{HOSTILE}.json"], 4),
    (["status", f"--bogus{HOSTILE}"], 2),
    (["status", "-f", KNOWN[0], "-o", HOSTILE], 2),
    (["diagnose", HOSTILE, "web", "-f", KNOWN[0]], 2),
    (["explain", HOSTILE], 2),
])
def test_errors_built_from_flags_show_controls_as_escapes(args, code):
    result = cli(*args)
    assert_one_line_error(result, code, "error: ")
    assert_no_raw_controls(result.stderr)
    assert "\\x1b[31m\\u202e\\u061c\\U000e0041\\x9b" in result.stderr


def test_errors_built_from_kubeconfig_values_show_controls_as_escapes(tmp_path):
    config = kubeconfig_with(tmp_path, namespace=f"bad{HOSTILE}")
    for args in (["--kubeconfig", config], ["--kubeconfig", config, "--context", f"other{HOSTILE}"]):
        result = cli("status", *args)
        assert_one_line_error(result, 3, "error: ")
        assert_no_raw_controls(result.stderr)
        assert "\\x1b[31m\\u202e\\u061c\\U000e0041\\x9b" in result.stderr
