"""One hostile pod among healthy ones, on the real API server: whatever a user allowed to create pods puts in
the strings the API accepts (injector annotations of the wrong shape, a 10,000-digit number, `DB_PORT=²`,
terminal controls and bidi characters in messages and reasons), every view of the namespace and of the
cluster still succeeds, shows every healthy pod, and lets no raw control character reach the terminal."""

import json

import pytest
import yaml

from tests.factory import container, live, sidecar
from tests.unit.hostile import check_outcome

CONTROLS = "\x1b[2J\x1b]8;;https://evil.example/\x07click\x1b]8;;\x07 \u202egnp.exe \u061c\u180e\u206a\ufff9" \
           "\U000e0041\u200b\x85\x9b31m"
HOSTILE_ANNOTATIONS = {
    "sidecar.istio.io/status": '{"containers": 5}',
    "kruise.io/sidecarset-hash": '{"log-sidecarset": {"sidecarList": 5}}',
    "kubectl.kubernetes.io/default-container": CONTROLS,
    "linkerd.io/proxy-version": "[]",
    "example.com/replicas": "9" * 10_000,
    "example.com/note": CONTROLS,
}


@pytest.fixture(scope="module")
def namespace(kube):
    """Healthy pods (a native sidecar, an Istio legacy sidecar, a finished bare pod) and one hostile pod."""
    ns = kube.namespace("hostile-pods")
    kube.pod(ns, "web", init=[sidecar("proxy")], containers=[container("app")],
             statuses=[live.running("proxy"), live.running("app")])
    kube.pod(ns, "reviews", containers=[container("reviews"), container("istio-proxy")],
             annotations={"sidecar.istio.io/status": json.dumps({"initContainers": [], "containers": ["istio-proxy"]})},
             statuses=[live.running("reviews"), live.running("istio-proxy")])
    kube.pod(ns, "report", containers=[container("report")], restart_policy="Never",
             statuses=[live.terminated("report", 0)])
    hostile = kube.pod(
        ns, "hostile", init=[sidecar("log-agent", env={"PORT": "\u00b2"})],
        containers=[container("app", env={"DB_PORT": "\u00b2", "ADMIN_PORT": "9" * 5_000},
                              command=["sh", "-c", f"echo '{CONTROLS}'"]),
                    container("istio-proxy")],
        annotations=HOSTILE_ANNOTATIONS, labels={"app": "hostile"})
    kube.set_status(hostile, [live.running("log-agent"),
                              live.waiting("app", "CrashLoopBackOff", message=CONTROLS, restarts=4),
                              live.terminated("istio-proxy", 137, reason=f"OOMKilled{CONTROLS}")],
                    reason=f"Evicted{CONTROLS}", message=CONTROLS)
    kube.event(hostile, "BackOff", f"Back-off restarting failed container {CONTROLS}", container="app")
    return ns


HEALTHY = ("web", "reviews", "report")


def pods_shown(output, stdout):
    """(namespace, name) of the pods a run shows, from its document, its table or its report."""
    if output in ("json", "yaml"):
        document = json.loads(stdout) if output == "json" else yaml.safe_load(stdout)
        return {(p["namespace"], p["name"]) for p in document["pods"]}
    if stdout.startswith("NAMESPACE "):
        return {tuple(line.split()[:2]) for line in stdout.splitlines()[1:]}
    return {tuple(line.split()[1].split("/", 1)) for line in stdout.splitlines() if line.startswith("Pod ")}


@pytest.mark.parametrize("command", ["status", "diagnose"])
@pytest.mark.parametrize("output", ["table", "json", "yaml"])
def test_every_namespace_is_shown_with_the_hostile_pod_among_them(run_plugin, namespace, command, output):
    code, stdout, stderr = run_plugin(command, "-A", "-o", output)
    check_outcome(code, stdout, stderr, output, describe=f"{command} -A -o {output}")
    assert code == 0, stderr
    assert {(namespace, name) for name in HEALTHY} <= pods_shown(output, stdout), stdout


@pytest.mark.parametrize("args,output", [
    (["status", "-o", "wide"], "table"), (["status", "--containers"], "table"), (["status", "hostile"], "table"),
    (["status", "-o", "json"], "json"), (["diagnose"], "table"), (["diagnose", "pod", "hostile"], "table"),
    (["diagnose", "pod", "hostile", "-o", "yaml"], "yaml")])
def test_the_namespace_and_the_hostile_pod_itself(run_plugin, namespace, args, output):
    """The hostile pod is shown too: its sidecar, named like no other container here, is in every view."""
    code, stdout, stderr = run_plugin(*args, "-n", namespace)
    check_outcome(code, stdout, stderr, output, describe=" ".join(args))
    assert code == 0, stderr
    assert "log-agent" in stdout


def test_fail_on_counts_the_findings_of_the_healthy_and_the_hostile_pods(run_plugin, namespace):
    code, stdout, stderr = run_plugin("diagnose", "-n", namespace, "--fail-on", "warning", "-o", "json")
    check_outcome(code, stdout, stderr, "json", describe="diagnose --fail-on warning")
    severities = {f["severity"] for p in json.loads(stdout)["pods"] for f in p["findings"]}
    assert code == (1 if severities & {"warning", "error"} else 0), (severities, stderr)
