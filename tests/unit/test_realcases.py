"""Every transcribed real case (tests/fixtures/realcases/NN-*.json) against its expected answer:
classification, kubectl's READY/STATUS, the error/warning findings, and nothing unexpected."""

import json
from pathlib import Path

import pytest

from kubectl_sidecars.engine import judge
from kubectl_sidecars.model.timeutil import parse_time
from kubectl_sidecars.snapshot import EVENTS, KINDS, Snapshot

REALCASES = Path(__file__).resolve().parents[1] / "fixtures" / "realcases"
CASES = sorted(p for p in REALCASES.glob("[0-9][0-9]-*.json") if not p.name.endswith(".expected.json"))
SERIOUS = ("error", "warning")


def load(path: Path):
    document = json.loads(path.read_text())
    items = document.get("items") or []

    def of(kind):
        return [i for i in items if i.get("kind") == kind]

    snapshot = Snapshot.of(parse_time(document["x-observed-at"]), pods=of("Pod"), jobs=of("Job"),
                           events=of("Event"), nodes=of("Node"),
                           read=KINDS if of("Event") else set(KINDS) - {EVENTS})
    expected = json.loads(path.with_name(path.name[:-len(".json")] + ".expected.json").read_text())
    return snapshot, expected


def serious_findings(diagnosis):
    found = {(pod.name, f.code, f.container) for pod, findings in diagnosis.pods for f in findings
             if f.severity in SERIOUS}
    found |= {(None, f.code, f.container) for verdict in diagnosis.verdicts for f in verdict.findings
              if f.severity in SERIOUS}
    return found


def test_there_are_real_cases():
    assert len(CASES) >= 5


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.name[:-5])
def test_classification(path):
    snapshot, expected = load(path)
    pods = {p.name: p for p in snapshot.pods}
    for key, want in expected["classification"].items():
        pod_name, container_name = key.split("/", 1)
        got = pods[pod_name].container(container_name).type
        assert got in (want if isinstance(want, list) else [want]), key


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.name[:-5])
def test_kubectl_columns(path):
    snapshot, expected = load(path)
    pods = {p.name: p for p in snapshot.pods}
    for name, columns in expected["kubectl"].items():
        assert (pods[name].ready, pods[name].status) == (columns["ready"], columns["status"]), name


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.name[:-5])
def test_expected_findings_and_nothing_else(path):
    snapshot, expected = load(path)
    diagnosis = judge(snapshot, strict=True)
    found = serious_findings(diagnosis)
    want = {(f["pod"], f["code"], f["container"]) for f in expected["findings"]}
    assert want - found == set(), "missing findings"
    assert found - want == set(), "unexpected findings"
    if expected.get("healthy"):
        assert found == set()


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.name[:-5])
def test_welcome_info_findings_are_given(path):
    snapshot, expected = load(path)
    diagnosis = judge(snapshot, strict=True)
    info = {(pod.name, f.code, f.container) for pod, findings in diagnosis.pods for f in findings
            if f.severity == "info"}
    for welcome in expected.get("x-info-findings") or []:
        assert (welcome["pod"], welcome["code"], welcome["container"]) in info


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.name[:-5])
def test_every_job_gets_a_one_sentence_verdict(path):
    snapshot, _ = load(path)
    for verdict in judge(snapshot, strict=True).verdicts:
        assert verdict.reason.endswith(".") and verdict.reason.count(". ") == 0
        assert verdict.status in ("Complete", "Failed", "Running", "Pending", "Suspended", "Failing", "Completing")
