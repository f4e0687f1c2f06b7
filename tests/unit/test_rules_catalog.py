"""The catalog against the issue's table, and the public API: pod_findings, the Job verdicts, judge,
explain, catalog_markdown, worst_severity."""

import json

import pytest

from kubectl_sidecars.engine import Diagnosis, judge, pod_findings, worst_severity
from kubectl_sidecars.render.structured import diagnosis_document
from kubectl_sidecars.rules import CATALOG, catalog_markdown, explain
from kubectl_sidecars.rules.catalog import JOB, LIVE_POD, POD_TEMPLATE, PODS, SEVERITIES, Finding
from kubectl_sidecars.rules.verdict import JobVerdict
from kubectl_sidecars.snapshot import KINDS
from tests.factory import (
    container,
    cronjob_legacy_race,
    cronjob_native_probe,
    event,
    job,
    job_owner,
    logshipper,
    pi_legacy,
    pi_native,
    pod,
    running,
    ts,
    waiting,
)
from tests.unit.judging import snapshot, verdict_of

# The table of the issue that defined the diagnosis: code -> severity.
ISSUE_TABLE = {
    "job-blocked-by-legacy-sidecar": "error",
    "app-started-before-sidecar-ready": "warning",
    "sidecar-sigkilled": "warning",
    "sidecar-oomkilled": "error",
    "sidecar-liveness-killed": "warning",
    "sidecar-crashloop": "error",
    "sidecar-startup-failed": "error",
    "sidecar-not-ready": "warning",
    "no-startup-probe": "info",
    "init-never-exits": "error",
    "native-sidecars-unsupported": "error",
    "pod-failure-policy-matches-sidecar": "warning",
    "init-before-sidecar": "info",
    "stuck-terminating": "warning",
    "legacy-sidecar": "info",
    "legacy-workaround": "info",
    "job-failed-by-sidecar": "error",
}


def test_every_issue_code_is_in_the_catalog_with_its_severity():
    for code, severity in ISSUE_TABLE.items():
        assert code in CATALOG, code
        assert CATALOG[code].severity == severity, code


@pytest.mark.parametrize("code", sorted(CATALOG))
def test_every_entry_is_complete(code):
    rule = CATALOG[code]
    assert rule.severity in SEVERITIES
    assert rule.title and rule.explanation and rule.remedy
    assert len(rule.explanation) > 100 and rule.title[0].isupper()
    assert rule.judges and (rule.judges <= {LIVE_POD, POD_TEMPLATE} or rule.judges == {JOB})
    assert PODS in rule.reads and rule.reads <= set(KINDS)


def test_explain_and_unknown_codes():
    text = explain("job-blocked-by-legacy-sidecar")
    assert text.startswith("job-blocked-by-legacy-sidecar (error")
    assert "What it means:" in text and "How to fix it:" in text
    with pytest.raises(KeyError):
        explain("no-such-code")


def test_catalog_markdown_lists_every_code_in_a_table():
    table = catalog_markdown().splitlines()
    assert table[0] == "| code | severity | when |" and table[1] == "|---|---|---|"
    assert len(table) == 2 + len(CATALOG)
    for code in CATALOG:
        assert any(line.startswith(f"| `{code}` | {CATALOG[code].severity} |") for line in table)


def test_worst_severity():
    def f(severity):
        return Finding("x", severity, None, "m", "r")
    assert worst_severity([]) is None
    assert worst_severity([f("info"), f("error"), f("warning")]) == "error"
    assert worst_severity([f("info"), f("warning")]) == "warning"


def test_pod_findings_are_worst_first():
    snap = snapshot(cronjob_legacy_race())
    severities = [f.severity for f in pod_findings(snap.pods[0], snap)]
    assert severities == sorted(severities, key=lambda s: SEVERITIES.index(s))
    assert severities[0] == "error"


def test_rules_tolerate_a_pod_nobody_reported_on():
    bare = pod("fresh-1", restart_policy="Never", phase=None, node=None,
               init_containers=[container("proxy", "envoyproxy/envoy:v1.31", restart_policy="Always")],
               containers=[container("main", "busybox:1.36")])
    del bare["status"]["conditions"]
    snap = snapshot(bare)
    assert [f.severity for f in pod_findings(snap.pods[0], snap)] == ["info"]  # no-startup-probe only


# --- verdicts ---------------------------------------------------------------------------------------

def test_verdict_of_the_blocked_pi_job():
    p = pi_legacy()
    j = job("pi", template=p, active=1)
    verdict = verdict_of(j, snapshot(p, jobs=[j], now=900))
    assert isinstance(verdict, JobVerdict)
    assert (verdict.completions, verdict.active, verdict.status, verdict.done) == ("0/1", 1, "Running", False)
    assert "legacy sidecar \"sidecar\" is still running" in verdict.reason and verdict.reason.endswith(".")


def test_verdict_of_the_race_says_the_job_cannot_retry():
    p = cronjob_legacy_race()
    j = job("sidecar-cronjob-29000000", template=p, active=1, owner_cronjob="sidecar-cronjob")
    verdict = verdict_of(j, snapshot(p, jobs=[j], now=120))
    assert "\"sidecar-user\" failed" in verdict.reason and "neither retry nor finish" in verdict.reason
    # seconds after the app failed, the helper may still exit: the verdict does not say "never" yet
    early = verdict_of(j, snapshot(p, jobs=[j], now=9))
    assert "\"sidecar-user\" failed" in early.reason and "never" not in early.reason.lower()


def test_verdict_of_a_completed_job_and_others():
    p = cronjob_native_probe(143)
    done = job("sidecar-cronjob-29000001", template=p, succeeded=1, conditions=[("Complete", None, None)],
               completion=40)
    verdict = verdict_of(done, snapshot(p, jobs=[done]))
    assert (verdict.status, verdict.done, verdict.conditions) == ("Complete", True, ["Complete"])
    assert verdict.reason == "The Job completed: 1 pod(s) succeeded in 40s."
    suspended = job("later", suspend=True)
    assert verdict_of(suspended, snapshot(jobs=[suspended])).status == "Suspended"
    parallel = job("many", completions=None, parallelism=3, succeeded=2, active=1)
    assert verdict_of(parallel, snapshot(jobs=[parallel])).completions == "2/1 of 3"


def test_verdict_of_a_job_that_cannot_create_pods():
    j = job("quota", active=0)
    failed_create = {"kind": "Event", "type": "Warning", "reason": "FailedCreate",
                     "message": 'pods "quota-abcde" is forbidden: exceeded quota: compute',
                     "involvedObject": {"kind": "Job", "name": "quota", "namespace": "default"},
                     "metadata": {"namespace": "default", "name": "quota.1"}, "lastTimestamp": ts(10)}
    verdict = verdict_of(j, snapshot(jobs=[j], events=[failed_create]))
    assert verdict.status == "Pending" and "exceeded quota" in verdict.reason


def test_verdict_of_a_pod_still_stopping_its_native_sidecars():
    p = pod("pi-sidecar-1", owner=job_owner("pi-sidecar"), restart_policy="Never", phase=None,
            init_containers=[container("network-proxy", "hwchiu/python-example", restart_policy="Always")],
            containers=[container("pi", "perl:5.34.0")],
            init_statuses=[running("network-proxy", since=2)],
            statuses=[waiting("pi", "PodInitializing")])
    p["status"]["containerStatuses"][0]["state"] = {"terminated": {"exitCode": 0, "reason": "Completed",
                                                                   "startedAt": ts(3), "finishedAt": ts(13)}}
    j = job("pi-sidecar", template=p, active=1)
    verdict = verdict_of(j, snapshot(p, jobs=[j], now=14))
    assert "stopping its sidecars" in verdict.reason


# --- the diagnosis ----------------------------------------------------------------------------------

def test_diagnosis_json_shape():
    pods = [pi_legacy(), pi_native(), logshipper()]
    jobs = [job("pi", template=pods[0], active=1)]
    snap = snapshot(*pods, jobs=jobs, events=[event(pods[1], "Killing", "Stopping container network-proxy",
                                                    "network-proxy", kind="Normal", init=True)])
    snap.notes.append("events: forbidden; diagnosis without events")
    diagnosis = judge(snap, strict=True)
    assert isinstance(diagnosis, Diagnosis)
    document = json.loads(json.dumps(diagnosis_document(diagnosis)))
    assert document["apiVersion"] == "kubectl-sidecars/v1" and document["kind"] == "SidecarDiagnosis"
    assert [j["name"] for j in document["jobs"]] == ["pi"]
    assert set(document["jobs"][0]) >= {"namespace", "name", "completions", "active", "succeeded", "failed",
                                        "conditions", "done", "status", "reason", "findings"}
    assert [p["name"] for p in document["pods"]] == ["pi-x7w2n", "pi-sidecar-9fz4d", "daily-report-5mz8t"]
    first = document["pods"][0]
    assert set(first) == {"namespace", "name", "ready", "status", "findings", "unreadable"}
    assert set(first["findings"][0]) == {"code", "severity", "container", "related", "message", "remedy",
                                         "patches", "evidence"}
    assert document["notes"] == ["events: forbidden; diagnosis without events"]


def _corpus():
    """Every pod of the examples and the real cases, with the snapshot it was read in, and each pod again
    without its native sidecars, its legacy ones, its init containers or its deletion (views the
    preconditions turn down), and once deleted."""
    import dataclasses
    import glob
    import os

    from kubectl_sidecars.files import FileSource, load_objects
    from kubectl_sidecars.pipeline import gather
    from kubectl_sidecars.selection import Selection

    root = os.path.normpath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir))
    paths = [os.path.join(root, "examples")] + sorted(
        p for p in glob.glob(os.path.join(root, "tests", "fixtures", "realcases", "*.json"))
        if not p.endswith(".expected.json"))
    snap, pods = gather(FileSource(load_objects(paths), checked_at_load=True), Selection(None))
    for view in pods:
        yield view, snap
        for left_out in (("sidecar",), ("legacy-sidecar",), ("init",), ("sidecar", "legacy-sidecar")):
            kept = [c for c in view.containers if c.type not in left_out]
            yield dataclasses.replace(view, containers=kept), snap
        yield dataclasses.replace(view, deleted=None), snap
        yield dataclasses.replace(view, deleted=snap.now), snap


@pytest.mark.parametrize("code", [code for code, r in CATALOG.items() if r.when is not None])
def test_a_rule_whose_precondition_fails_finds_nothing(code):
    """Preconditions only skip work: where one does not hold, the rule itself finds nothing either."""
    rule = CATALOG[code]
    skipped = checked = 0
    for view, snap in _corpus():
        if rule.when(view):
            checked += 1
            continue
        skipped += 1
        assert list(rule.check(rule, view, snap) or ()) == [], (code, view.namespace, view.name)
    assert skipped and checked
