"""The status tables (kubectl's layout, sanitised cells) and the JSON/YAML contract of `status`."""

import json

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from kubectl_sidecars.engine import Diagnosis
from kubectl_sidecars.model import build_pod_view
from kubectl_sidecars.render.structured import API_VERSION, dump, status_document
from kubectl_sidecars.render.tables import containers_table, pods_table
from kubectl_sidecars.rules.catalog import Finding
from tests.factory import (
    at,
    conditions,
    container,
    exited,
    istio_annotations,
    job_pod,
    pod,
    running,
    sidecar,
    terminated,
    waiting,
)
from tests.unit.hunting import profile

NOW = at(3600)

# A Job pod: istio-init done, a native log shipper, the app finished, istio-proxy (injected) still running.
JOB_POD = job_pod(
    containers=[container("report", "registry.example.com/data/report:3.1.0", readiness_probe=True),
                container("istio-proxy", startup_probe=True, readiness_probe=True, liveness_probe=False)],
    init_containers=[container("istio-init"), sidecar("log-shipper", "docker.io/fluent/fluent-bit:3.0.4")],
    init_statuses=[terminated("istio-init", 0, since=2, until=3), running("log-shipper", since=4)],
    statuses=[terminated("report", 0, since=6, until=60),
              running("istio-proxy", since=6, restarts=2, last=exited(1, until=3000))],
    annotations=istio_annotations(containers=["istio-proxy"]), pod_conditions=conditions(ready=False))
WEB = pod("web-7d9c6b5f4-x2x9q", namespace="shop", containers=[container("web")],
          statuses=[running("web", since=5)], created=3000)
PENDING = pod("queue-0", containers=[container("worker")], phase="Pending", node=None, created=3590,
              pod_conditions=[{"type": "PodScheduled", "status": "False", "reason": "Unschedulable"}])

BLOCKED = Finding("job-blocked-by-legacy-sidecar", "error", "istio-proxy",
                  "istio-proxy is still running after the app finished", "move it to a native sidecar",
                  ("report exited 0 at 10:01:00",))
INFO = Finding("legacy-sidecar", "info", "istio-proxy", "istio-proxy is a legacy sidecar", "see the docs")


def rows(*pods, findings=None):
    return [(build_pod_view(p), list((findings or {}).get(p["metadata"]["name"], []))) for p in pods]


def header(text):
    return text.splitlines()[0].split()


# ---------------------------------------------------------------- pod table


def test_pod_table_layout_is_kubectls():
    # left-aligned columns three spaces apart, no trailing blanks, like kubectl's tabwriter
    table = pods_table(rows(JOB_POD), NOW, namespaces=False, wide=False, colour=False)
    assert table.splitlines() == [
        "NAME                   READY   STATUS     RESTARTS      AGE   INIT   SIDECARS        APP   OWNER"
        "                ISSUES",
        "nightly-export-k8x2p   2/3     NotReady   2 (10m ago)   60m   1/1    1/1 +1 legacy   0/1   Job/nightly-export",
    ]


def test_pod_table_headers():
    table = pods_table(rows(WEB), NOW, namespaces=False, wide=False, colour=False)
    assert header(table) == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "INIT", "SIDECARS", "APP", "OWNER",
                             "ISSUES"]


def test_namespace_column_only_for_all_namespaces():
    narrow = pods_table(rows(WEB, PENDING), NOW, namespaces=False, wide=False, colour=False)
    every = pods_table(rows(WEB, PENDING), NOW, namespaces=True, wide=False, colour=False)
    assert "NAMESPACE" not in narrow
    assert header(every)[:2] == ["NAMESPACE", "NAME"]
    assert [line.split()[:2] for line in every.splitlines()[1:]] == [["shop", "web-7d9c6b5f4-x2x9q"],
                                                                     ["default", "queue-0"]]


def test_wide_adds_node_and_container_names():
    table = pods_table(rows(JOB_POD, PENDING), NOW, namespaces=False, wide=True, colour=False)
    assert header(table)[-2:] == ["NODE", "CONTAINERS"]
    job_line, pending_line = table.splitlines()[1:]
    assert job_line.endswith("worker-1   init=istio-init sidecar=log-shipper legacy=istio-proxy app=report")
    assert pending_line.endswith("<none>     app=worker")


def test_pod_table_cells():
    table = pods_table(rows(WEB, PENDING), NOW, namespaces=False, wide=False, colour=False)
    web, pending = (line.split() for line in table.splitlines()[1:])
    # NAME READY STATUS RESTARTS AGE INIT SIDECARS APP OWNER
    assert web == ["web-7d9c6b5f4-x2x9q", "1/1", "Running", "0", "10m", "-", "-", "1/1", "<none>"]
    assert pending == ["queue-0", "0/1", "Pending", "0", "10s", "-", "-", "0/1", "<none>"]


def test_issues_cell_shows_the_worst_finding_and_how_many_more():
    table = pods_table(rows(JOB_POD, findings={"nightly-export-k8x2p": [INFO, BLOCKED]}), NOW,
                       namespaces=False, wide=False, colour=False)
    assert table.splitlines()[1].endswith("Job/nightly-export   job-blocked-by-legacy-sidecar (+1)")
    assert "\x1b" not in table


def test_issues_cell_coloured_only_when_asked():
    table = pods_table(rows(JOB_POD, findings={"nightly-export-k8x2p": [BLOCKED]}), NOW,
                       namespaces=False, wide=False, colour=True)
    assert table.splitlines()[1].endswith("\x1b[31mjob-blocked-by-legacy-sidecar\x1b[0m")


def test_escape_sequences_in_a_pod_name_are_neutralised():
    evil = pod("evil\x1b[2J\x1b[31m-pod", containers=[container("app")], statuses=[running("app")])
    table = pods_table(rows(evil), NOW, namespaces=True, wide=True, colour=True)
    assert "\x1b" not in table
    assert "evil\\x1b[2J\\x1b[31m-pod" in table
    assert len(table.splitlines()) == 2


def test_a_line_separator_in_a_cell_cannot_forge_a_row():
    forged = pod(containers=[container("app", "registry.example.com/app:1\u2028forged   1/1   Running")],
                 statuses=[running("app")])
    table = containers_table(rows(forged), NOW, namespaces=False, with_pod=False)
    assert len(table.splitlines()) == 2


# ---------------------------------------------------------------- container table


def test_container_table():
    table = containers_table(rows(JOB_POD), NOW, namespaces=False, with_pod=False)
    lines = table.splitlines()
    assert header(table) == ["CONTAINER", "TYPE", "#", "STATE", "REASON/EXIT", "STARTED", "READY", "RESTARTS",
                             "AGE", "IMAGE", "PROBES"]
    assert [line.split() for line in lines[1:]] == [
        ["istio-init", "init", "0", "terminated", "Completed", "(0)", "false", "false", "0", "59m",
         "docker.io/istio/proxyv2:1.22.3", "-"],
        ["log-shipper", "sidecar", "1", "running", "true", "true", "0", "59m", "docker.io/fluent/fluent-bit:3.0.4",
         "-"],
        ["report", "app", "0", "terminated", "Completed", "(0)", "false", "false", "0", "59m",
         "registry.example.com/data/report:3.1.0", "readiness"],
        ["istio-proxy", "legacy-sidecar", "1", "running", "true", "true", "2", "59m",
         "docker.io/istio/proxyv2:1.22.3", "startup,readiness"],
    ]


def test_container_table_for_containers_without_status():
    table = containers_table(rows(PENDING), NOW, namespaces=False, with_pod=False)
    assert table.splitlines()[1].split() == ["worker", "app", "0", "unknown", "-", "false", "0", "-",
                                             "registry.example.com/team/worker:1.4.2", "-"]


def test_container_table_with_pod_and_namespace_columns():
    table = containers_table(rows(WEB, PENDING), NOW, namespaces=True, with_pod=True)
    assert header(table)[:3] == ["NAMESPACE", "POD", "CONTAINER"]
    assert [line.split()[:3] for line in table.splitlines()[1:]] == [["shop", "web-7d9c6b5f4-x2x9q", "web"],
                                                                     ["default", "queue-0", "worker"]]


def test_container_table_waiting_message_cannot_break_lines():
    crashing = pod(containers=[container("app")],
                   statuses=[waiting("app", "CrashLoopBackOff\nforged", restarts=3, last=exited(1))])
    table = containers_table(rows(crashing), NOW, namespaces=False, with_pod=False)
    assert len(table.splitlines()) == 2
    assert "CrashLoopBackOff\\nforged" in table


# ---------------------------------------------------------------- JSON / YAML contract

POD_KEYS = {"namespace": str, "name": str, "owner": (dict, type(None)), "phase": str, "ready": str,
            "status": str, "restarts": int, "node": (str, type(None)), "containers": list, "findings": list,
            "unreadable": (str, type(None))}
CONTAINER_KEYS = {"name": str, "type": str, "index": int, "image": str, "state": str,
                  "reason": (str, type(None)), "exitCode": (int, type(None)), "started": (bool, type(None)),
                  "ready": bool, "restarts": int, "startedAt": (str, type(None)), "finishedAt": (str, type(None)),
                  "probes": list, "evidence": (str, type(None))}


def _document():
    return json.loads(dump(status_document(Diagnosis([], rows(JOB_POD, WEB, PENDING,
                                                findings={"nightly-export-k8x2p": [BLOCKED]}))), "json"))


def test_json_document_envelope():
    document = _document()
    assert API_VERSION == "kubectl-sidecars/v1"
    assert set(document) == {"apiVersion", "kind", "pods", "jobs", "notes"}
    assert document["apiVersion"] == "kubectl-sidecars/v1"
    assert document["kind"] == "SidecarStatus"
    assert [p["name"] for p in document["pods"]] == ["nightly-export-k8x2p", "web-7d9c6b5f4-x2x9q", "queue-0"]


def test_json_keys_and_types_follow_the_contract():
    for entry in _document()["pods"]:
        assert set(entry) == set(POD_KEYS)
        for key, kind in POD_KEYS.items():
            assert isinstance(entry[key], kind), (entry["name"], key)
        assert type(entry["restarts"]) is int
        assert entry["owner"] is None or set(entry["owner"]) == {"kind", "name"}
        for item in entry["containers"]:
            assert set(item) == set(CONTAINER_KEYS)
            for key, kind in CONTAINER_KEYS.items():
                assert isinstance(item[key], kind), (item["name"], key)
            assert type(item["index"]) is int and type(item["restarts"]) is int
            assert item["type"] in ("init", "sidecar", "legacy-sidecar", "app", "ephemeral")
            assert item["state"] in ("waiting", "running", "terminated", "unknown")
            assert all(isinstance(p, str) for p in item["probes"])


def test_json_values_of_a_job_pod():
    job = _document()["pods"][0]
    assert {k: v for k, v in job.items() if k not in ("containers", "findings")} == {
        "namespace": "default", "name": "nightly-export-k8x2p", "owner": {"kind": "Job", "name": "nightly-export"},
        "phase": "Running", "ready": "2/3", "status": "NotReady", "restarts": 2, "node": "worker-1",
        "unreadable": None}
    containers = {c["name"]: c for c in job["containers"]}
    assert [c["name"] for c in job["containers"]] == ["istio-init", "log-shipper", "report", "istio-proxy"]
    assert containers["istio-init"] == {
        "name": "istio-init", "type": "init", "index": 0, "image": "docker.io/istio/proxyv2:1.22.3",
        "state": "terminated", "reason": "Completed", "exitCode": 0, "started": False, "ready": False,
        "restarts": 0, "startedAt": "2025-03-04T10:00:02Z", "finishedAt": "2025-03-04T10:00:03Z", "probes": [],
        "evidence": None}
    assert containers["istio-proxy"] == {
        "name": "istio-proxy", "type": "legacy-sidecar", "index": 1, "image": "docker.io/istio/proxyv2:1.22.3",
        "state": "running", "reason": None, "exitCode": None, "started": True, "ready": True, "restarts": 2,
        "startedAt": "2025-03-04T10:00:06Z", "finishedAt": None, "probes": ["startup", "readiness"],
        "evidence": "injected by Istio (sidecar.istio.io/status)"}
    assert containers["log-shipper"]["type"] == "sidecar"
    assert job["findings"] == [{"code": "job-blocked-by-legacy-sidecar", "severity": "error",
                                "container": "istio-proxy", "related": None,
                                "message": "istio-proxy is still running after the app finished",
                                "remedy": "move it to a native sidecar", "patches": [],
                                "evidence": ["report exited 0 at 10:01:00"]}]


def test_json_nulls_for_a_pod_nobody_reported_on():
    pending = _document()["pods"][2]
    assert pending["owner"] is None and pending["node"] is None and pending["findings"] == []
    assert pending["containers"] == [{
        "name": "worker", "type": "app", "index": 0, "image": "registry.example.com/team/worker:1.4.2",
        "state": "unknown", "reason": None, "exitCode": None, "started": None, "ready": False, "restarts": 0,
        "startedAt": None, "finishedAt": None, "probes": [], "evidence": None}]


def test_yaml_carries_the_same_document():
    document = status_document(Diagnosis([], rows(JOB_POD, WEB, findings={"nightly-export-k8x2p": [BLOCKED]})))
    text = dump(document, "yaml")
    assert text.startswith("apiVersion: kubectl-sidecars/v1\nkind: SidecarStatus\npods:\n")
    assert yaml.safe_load(text) == json.loads(dump(document, "json"))


def test_empty_document():
    document = json.loads(dump(status_document(Diagnosis([], [])), "json"))
    assert document == {"apiVersion": "kubectl-sidecars/v1", "kind": "SidecarStatus", "pods": [], "jobs": [],
                        "notes": []}


@pytest.mark.parametrize("output", ["json", "yaml"])
def test_structured_output_keeps_unicode_readable(output):
    named = pod("café-0", containers=[container("app")], statuses=[running("app")])
    assert "café-0" in dump(status_document(Diagnosis([], rows(named))), output)


PROFILE = profile(200)


@PROFILE
@given(st.text(st.sampled_from("ab-/.é:  "), min_size=1, max_size=400).filter(lambda t: not t.startswith(" ")),
       st.sampled_from(["", "  ", "      "]))
def test_report_lines_are_filled_as_textwrap_fills_them(line, indent):
    """The report's own line filler breaks where textwrap.wrap would, for text whose blanks are spaces."""
    import textwrap

    from kubectl_sidecars.render.report import WIDTH, _wrapped

    assert list(_wrapped(line, indent)) == textwrap.wrap(line, WIDTH, initial_indent=indent,
                                                         subsequent_indent=indent + "  ", break_long_words=False,
                                                         break_on_hyphens=False)
