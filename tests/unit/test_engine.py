"""The engine: `status` and `diagnose` judge the same evidence the same way, Job-scope findings reach
`diagnose -A` and the ISSUES column, patches are what the report prints, one broken object does not hide
the others, and template-scope rules judge a pod template that has no status."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from kubectl_sidecars import engine
from kubectl_sidecars.engine import judge, template_findings
from kubectl_sidecars.model.objects import workload_template
from kubectl_sidecars.render.patches import patch_yaml
from kubectl_sidecars.rules import CATALOG
from tests.factory import container, job, job_owner, pi_legacy, pi_native, pod, running, terminated, waiting
from tests.unit.judging import snapshot

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(str(p) for p in (ROOT / "examples").glob("*.yaml"))
REALCASES = sorted(str(p) for p in (ROOT / "tests" / "fixtures" / "realcases").glob("*.json")
                   if not p.name.endswith(".expected.json"))


def run(*args) -> subprocess.CompletedProcess:
    script = Path(sys.executable).with_name("kubectl-sidecars")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "kubectl_sidecars"]
    return subprocess.run(command + list(args), cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "KUBECTL_SIDECARS_DEBUG": "1"})


def judged(document: dict) -> set:
    """(object, code, severity) of every finding of a status or diagnosis document."""
    found = {(f"pod {p['namespace']}/{p['name']}", f["code"], f["severity"])
             for p in document["pods"] for f in p["findings"]}
    found |= {(f"job {j['namespace']}/{j['name']}", f["code"], f["severity"])
              for j in document["jobs"] for f in j["findings"]}
    return found


@pytest.mark.parametrize("path", EXAMPLES + REALCASES, ids=lambda p: Path(p).name)
def test_status_and_diagnose_find_the_same(path):
    status = run("status", "-f", path, "-o", "json")
    diagnosis = run("diagnose", "-A", "-f", path, "-o", "json")
    assert status.returncode == 0 and diagnosis.returncode == 0, (status.stderr, diagnosis.stderr)
    status_document, diagnosis_document = json.loads(status.stdout), json.loads(diagnosis.stdout)
    assert judged(status_document) == judged(diagnosis_document)
    assert status_document["jobs"] == diagnosis_document["jobs"]
    assert diagnosis_document["pods"], "every input holds pods"


def _failure_policy_dump(tmp_path) -> str:
    template = pod("train-1", owner=job_owner("train"), restart_policy="Never", phase=None,
                   init_containers=[container("proxy", "envoyproxy/envoy:v1.31", restart_policy="Always")],
                   containers=[container("train", "example/train:1")],
                   init_statuses=[terminated("proxy", 143, since=2, until=301)],
                   statuses=[terminated("train", 1, since=3, until=300)])
    training = job("train", template=template, failed=1)
    training["spec"]["podFailurePolicy"] = {"rules": [
        {"action": "FailJob", "onExitCodes": {"operator": "In", "values": [137]}},
        {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]}]}
    path = tmp_path / "train.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": [training, template]}))
    return str(path)


def test_diagnose_all_shows_the_job_scope_findings_of_the_jobs_owning_the_pods(tmp_path):
    path = _failure_policy_dump(tmp_path)
    document = json.loads(run("diagnose", "-A", "-f", path, "-o", "json").stdout)
    [verdict] = document["jobs"]
    [finding] = [f for f in verdict["findings"] if f["code"] == "pod-failure-policy-matches-sidecar"]
    [patch] = finding["patches"]
    assert patch["target"] == {"kind": "Job", "namespace": "default", "name": "train", "path": ""}
    rules = patch["patch"]["spec"]["podFailurePolicy"]["rules"]
    assert rules[0]["onExitCodes"] == {"containerName": "train", "operator": "In", "values": [137]}
    assert rules[1] == {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]}  # kept as it is


def test_status_shows_the_jobs_worst_finding_in_its_pods_issues_column(tmp_path):
    path = _failure_policy_dump(tmp_path)
    table = run("status", "-f", path, "--no-color")
    row = next(line.split() for line in table.stdout.splitlines() if "train-1" in line.split())
    assert row[-2:] == ["pod-failure-policy-matches-sidecar", "(+1)"]  # the pod's own: no-startup-probe


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: Path(p).name)
def test_the_report_prints_the_yaml_rendering_of_each_patch(path):
    document = json.loads(run("diagnose", "-A", "-f", path, "-o", "json").stdout)
    report = run("diagnose", "-A", "-f", path, "--no-color").stdout
    for finding in [f for p in document["pods"] + document["jobs"] for f in p["findings"]]:
        for patch in finding["patches"]:
            shown = yaml.safe_load(_yaml_after(report, patch["target"], patch["patch"]))
            assert shown == patch["patch"], finding["code"]


def test_the_examples_propose_patches():
    documents = [json.loads(run("diagnose", "-A", "-f", path, "-o", "json").stdout) for path in EXAMPLES]
    kinds = {p["target"]["kind"] for d in documents for o in d["pods"] + d["jobs"] for f in o["findings"]
             for p in f["patches"]}
    assert {"CronJob", "Job"} <= kinds


def _yaml_after(report: str, target: dict, wanted: dict) -> str:
    """The YAML block of the report that renders `wanted` for `target`."""
    header = f"# {target['kind']} {target['name']}" if target["kind"] != "Pod" else \
        f"# the manifest of pod {target['name']}"
    lines = report.splitlines()
    for start, line in enumerate(lines):
        if line.strip().startswith(header):
            block = []
            for following in lines[start + 1:]:
                if not following.startswith("      ") or following.strip().startswith("("):
                    break
                block.append(following[6:])
            if yaml.safe_load("\n".join(block)) == wanted:
                return "\n".join(block)
    raise AssertionError(f"no YAML for {target} in the report")


def test_patches_render_as_yaml_that_reads_back_as_the_patch():
    found = judge(snapshot(pi_legacy(), now=900), strict=True)
    patches = [p for _, findings in found.pods for f in findings for p in f.patches]
    assert patches
    for patch in patches:
        text = patch_yaml(patch)
        assert text.startswith("# Job pi, under spec.template:")
        assert yaml.safe_load(text) == patch.patch


def test_a_pod_that_breaks_a_rule_is_reported_as_not_judged_and_the_others_are_judged(monkeypatch):
    rule = CATALOG["legacy-sidecar"]
    original = rule.check

    def breaks_on_one(rule, pod, snap):
        if pod.name == "pi-x7w2n":
            raise KeyError("boom")
        return original(rule, pod, snap)

    object.__setattr__(rule, "check", breaks_on_one)  # rules are frozen: patched by hand, restored below
    try:
        snap = snapshot(pi_legacy(), pi_native(), now=900)
        diagnosis = judge(snap, strict=False)
        assert diagnosis.notes == ["pod default/pi-x7w2n was not judged: internal error (KeyError); "
                                   "set KUBECTL_SIDECARS_DEBUG=1 for details"]
        by_pod = {pod.name: findings for pod, findings in diagnosis.pods}
        assert by_pod["pi-x7w2n"] == [] and [f.code for f in by_pod["pi-sidecar-9fz4d"]]
        with pytest.raises(KeyError):
            judge(snap, strict=True)
        monkeypatch.setenv(engine.DEBUG, "1")
        with pytest.raises(KeyError):
            judge(snap)
    finally:
        object.__setattr__(rule, "check", original)


def test_template_rules_judge_a_deployment_template_without_status():
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"},
                  "spec": {"template": {"spec": {
                      "initContainers": [container("migrate", "example/migrate:1"),
                                         container("envoy", "envoyproxy/envoy:v1.31", restart_policy="Always",
                                                   port=9901)],
                      "containers": [container("web", "example/web:1"),
                                     container("fluent-bit", "fluent/fluent-bit:3.1")]}}}}
    template = workload_template(deployment)
    found = template_findings(template, snapshot())
    codes = {(f.code, f.container) for f in found}
    assert codes == {("no-startup-probe", "envoy"), ("legacy-sidecar", "fluent-bit"),
                     ("init-before-sidecar", "migrate")}
    for finding in found:
        for patch in finding.patches:
            assert (patch.target.kind, patch.target.name, patch.target.path) == ("Deployment", "web", "spec.template")


def test_job_rules_receive_the_pod_findings_instead_of_running_pod_rules_again(monkeypatch):
    failing = pod("pi-1", owner=job_owner("pi"), restart_policy="Never", phase=None,
                  containers=[container("pi", "perl:5.34.0"), container("sidecar", "hwchiu/netutils")],
                  statuses=[terminated("pi", 0, since=3, until=9), waiting("sidecar", "ImagePullBackOff")])
    failed = job("pi", template=failing, failed=1, conditions=[("Failed", "BackoffLimitExceeded", "too many")])
    calls = []
    original = engine._pod_findings
    monkeypatch.setattr(engine, "_pod_findings", lambda *a, **k: calls.append(a[0].name) or original(*a, **k))
    diagnosis = judge(snapshot(failing, jobs=[failed]), strict=True)
    assert calls == ["pi-1"]
    assert [f.container for f in diagnosis.verdicts[0].findings if f.code == "job-failed-by-sidecar"] == ["sidecar"]


def test_a_pod_with_ten_thousand_containers_is_judged_with_bounded_messages():
    """Messages name a few containers and count the rest, so no finding grows with the pod."""
    steps = [container(f"step-{i}", "busybox:1.36") for i in range(2500)]
    sidecars = [container(f"proxy-{i}", "envoyproxy/envoy:v1.31", restart_policy="Always", port=9000 + i % 900)
                for i in range(2500)]
    apps = [container(f"app-{i}", "example/app:1") for i in range(4000)]
    helpers = [container(f"log-{i}-sidecar", "fluent/fluent-bit:3.1") for i in range(1000)]
    big = pod("big-1", owner=job_owner("big"), restart_policy="Never", phase=None,
              init_containers=steps + sidecars, containers=apps + helpers,
              init_statuses=[terminated(c["name"], 0, since=1, until=2) for c in steps]
              + [running(c["name"], since=3) for c in sidecars],
              statuses=[terminated(c["name"], 1, since=4, until=6) for c in apps]
              + [running(c["name"], since=3) for c in helpers])
    diagnosis = judge(snapshot(big, now=900), strict=True)
    [(_, findings)] = diagnosis.pods
    assert len(findings) < 20000
    assert max(len(f.message) for f in findings) < 2000


class _EventsForbidden:
    """Objects of a dump, except that listing Events is refused, as RBAC refuses it."""

    default_namespace = None

    def __init__(self, objects):
        from kubectl_sidecars.files import FileSource

        self.files = FileSource(objects)

    def pods(self, selection):
        return self.files.pods(selection)

    def list(self, kind, namespace, label_selector=None):
        from kubectl_sidecars.errors import ApiError

        if kind == "Event":
            raise ApiError('events is forbidden: User "viewer" cannot list resource "events"')
        return self.files.list(kind, namespace, label_selector)


def test_a_refused_read_is_a_note_naming_the_checks_that_ran_without_it():
    from kubectl_sidecars.files import load_objects
    from kubectl_sidecars.pipeline import gather
    from kubectl_sidecars.selection import Selection
    from kubectl_sidecars.snapshot import EVENTS

    snap, _ = gather(_EventsForbidden(load_objects([str(ROOT / "examples" / "05-logshipper-sigkilled.yaml")])),
                  Selection(None))
    assert EVENTS not in snap.read and snap.events == []
    [note] = snap.notes
    assert note.startswith("events could not be read, so sidecar-sigkilled, sidecar-liveness-killed, "
                           "native-sidecars-unsupported ran without them (events is forbidden")
    assert judge(snap, strict=True).notes == [note]
