"""READY, STATUS and RESTARTS of `kubectl sidecars status` against the API server's own table printer.

Every pod state below is built once, in one namespace; the server's Table for that namespace and one
`kubectl sidecars status -o json` run are then compared pod by pod. Each state also checks that the
server prints what the state claims, so a builder that drifts into a duller state is caught too.
"""

import json
import time
from typing import Callable, NamedTuple

import pytest

from tests.factory import ago, container, exec_probe, http_probe, live, sidecar

TABLE = "application/json;as=Table;g=meta.k8s.io;v=v1"
NAMESPACE = "status-table"
ISTIO = {"sidecar.istio.io/status": json.dumps({"initContainers": ["istio-init"], "containers": ["istio-proxy"]})}
GATE = "example.com/load-balancer-attached"


class State(NamedTuple):
    name: str  # also the pod's name
    build: Callable  # (kube, ns, name) -> None
    ready: str  # what the server prints
    status: str
    restarts: int


STATES = []


def state(name, ready, status, restarts=0):
    def register(build):
        STATES.append(State(name, build, ready, status, restarts))
        return build
    return register


# --- status helpers the harness does not have ------------------------------------------------------

def conditions(initialized, containers_ready, ready, gate=None):
    """Pod conditions written whole, for the cases where the readiness gate decides Ready."""
    def condition(kind, ok):
        return {"type": kind, "status": "True" if ok else "False", "lastProbeTime": None,
                "lastTransitionTime": "2026-01-01T00:00:00Z"}
    found = [condition("PodScheduled", True), condition("Initialized", initialized),
             condition("ContainersReady", containers_ready), condition("Ready", ready)]
    if gate is not None:
        found.append(condition(GATE, gate))
    return found


def pod_path(ns, name):
    return f"/api/v1/namespaces/{ns}/pods/{name}"


# --- the states --------------------------------------------------------------------------------------

@state("pending-no-statuses", "0/1", "Pending")
def _(kube, ns, name):
    kube.pod(ns, name, containers=[container("app")])


@state("container-creating", "0/2", "ContainerCreating")
def _(kube, ns, name):
    kube.pod(ns, name, containers=[container("app"), container("worker")],
             statuses=[live.waiting("app", "ContainerCreating"), live.waiting("worker", "ContainerCreating")])


@state("init-0-of-2", "0/1", "Init:0/2")
def _(kube, ns, name):
    kube.pod(ns, name, init=[container("fetch"), container("migrate")], containers=[container("app")],
             statuses=[live.running("fetch", ready=False, started=True), live.waiting("migrate", "PodInitializing"),
                       live.waiting("app", "PodInitializing")])


@state("init-1-of-3-started-sidecar-done", "1/2", "Init:1/3")
def _(kube, ns, name):
    kube.pod(ns, name, init=[sidecar("proxy"), container("migrate"), container("seed")],
             containers=[container("app")],
             statuses=[live.running("proxy"), live.running("migrate", ready=False),
                       live.waiting("seed", "PodInitializing"), live.waiting("app", "PodInitializing")])


@state("sidecar-startup-probe-pending", "0/2", "Init:0/1")
def _(kube, ns, name):
    kube.pod(ns, name, init=[sidecar("proxy", startupProbe=http_probe(15021, "/ready"))],
             containers=[container("app")],
             statuses=[live.running("proxy", ready=False, started=False, since=ago(5)),
                       live.waiting("app", "PodInitializing")])


@state("init-crashloop", "0/2", "Init:CrashLoopBackOff", restarts=4)
def _(kube, ns, name):
    kube.pod(ns, name, init=[container("migrate"), sidecar("proxy")], containers=[container("app")],
             statuses=[live.waiting("migrate", "CrashLoopBackOff", restarts=4, last=live.exited(1)),
                       live.waiting("proxy", "PodInitializing"), live.waiting("app", "PodInitializing")])


@state("init-error", "0/1", "Init:Error")
def _(kube, ns, name):
    kube.pod(ns, name, init=[container("migrate")], containers=[container("app")], restart_policy="Never",
             statuses=[live.terminated("migrate", 1), live.waiting("app", "PodInitializing")])


@state("init-exitcode-no-reason", "0/1", "Init:ExitCode:3")
def _(kube, ns, name):
    kube.pod(ns, name, init=[container("migrate")], containers=[container("app")], restart_policy="Never",
             statuses=[live.terminated("migrate", 3, no_reason=True), live.waiting("app", "PodInitializing")])


@state("init-signal-no-reason", "0/1", "Init:Signal:9")
def _(kube, ns, name):
    kube.pod(ns, name, init=[container("migrate")], containers=[container("app")], restart_policy="Never",
             statuses=[live.terminated("migrate", 137, signal=9, no_reason=True),
                       live.waiting("app", "PodInitializing")])


@state("init-image-pull-after-sidecar", "1/2", "Init:ImagePullBackOff")
def _(kube, ns, name):
    kube.pod(ns, name, init=[sidecar("proxy"), container("migrate", image="registry.example/migrate:nope")],
             containers=[container("app")],
             statuses=[live.running("proxy"), live.waiting("migrate", "ImagePullBackOff",
                                                 'Back-off pulling image "registry.example/migrate:nope"'),
                       live.waiting("app", "PodInitializing")])


@state("pod-initializing", "0/1", "PodInitializing")
def _(kube, ns, name):
    kube.pod(ns, name, init=[container("migrate")], containers=[container("app")],
             statuses=[live.terminated("migrate", 0), live.waiting("app", "PodInitializing")])


@state("native-sidecar-ready", "2/2", "Running")
def _(kube, ns, name):
    kube.pod(ns, name, init=[sidecar("proxy", readinessProbe=http_probe())], containers=[container("app")],
             statuses=[live.running("proxy"), live.running("app")])


@state("native-sidecar-started-not-ready", "1/2", "Running")
def _(kube, ns, name):
    kube.pod(ns, name, init=[sidecar("proxy", readinessProbe=http_probe())], containers=[container("app")],
             statuses=[live.running("proxy", ready=False), live.running("app")])


@state("legacy-sidecar-running", "2/2", "Running")
def _(kube, ns, name):
    kube.pod(ns, name, containers=[container("app"), container("istio-proxy", image="istio/proxyv2:1.22.3")],
             annotations=ISTIO, statuses=[live.running("app"), live.running("istio-proxy")])


@state("job-app-done-legacy-running", "1/2", "NotReady")
def _(kube, ns, name):
    job = kube.job(ns, name, containers=[container("main"), container("istio-proxy", image="istio/proxyv2:1.22.3")])
    kube.job_pod(job, name=name, statuses=[live.terminated("main", 0), live.running("istio-proxy")])


@state("job-app-failed-legacy-running", "1/2", "Error")
def _(kube, ns, name):
    job = kube.job(ns, name, containers=[container("main"), container("fluent-bit", image="fluent/fluent-bit:3.0")])
    kube.job_pod(job, name=name, statuses=[live.terminated("main", 1), live.running("fluent-bit")])


@state("job-done-native-sidecar-137", "0/2", "Completed")
def _(kube, ns, name):
    job = kube.job(ns, name, init=[sidecar("proxy")], containers=[container("main")])
    kube.job_pod(job, name=name, statuses=[live.terminated("proxy", 137, signal=9), live.terminated("main", 0)])


@state("job-done-native-sidecar-143", "0/2", "Completed")
def _(kube, ns, name):
    job = kube.job(ns, name, init=[sidecar("proxy")], containers=[container("main")])
    kube.job_pod(job, name=name, statuses=[live.terminated("proxy", 143), live.terminated("main", 0)])


@state("job-done-native-sidecar-0", "0/2", "Completed")
def _(kube, ns, name):
    job = kube.job(ns, name, init=[sidecar("proxy")], containers=[container("main")])
    kube.job_pod(job, name=name, statuses=[live.terminated("proxy", 0), live.terminated("main", 0)])


@state("crashloop-with-last-state", "0/1", "CrashLoopBackOff", restarts=7)
def _(kube, ns, name):
    kube.pod(ns, name, containers=[container("app", livenessProbe=http_probe())],
             statuses=[live.waiting("app", "CrashLoopBackOff", "back-off 5m0s restarting failed container=app",
                               restarts=7, last=live.exited(2, since=ago(400), until=ago(390)))])


@state("image-pull-backoff", "0/1", "ImagePullBackOff")
def _(kube, ns, name):
    kube.pod(ns, name, containers=[container("app", image="registry.example/app:missing")],
             statuses=[live.waiting("app", "ImagePullBackOff",
                                    'Back-off pulling image "registry.example/app:missing"')])


@state("err-image-pull", "0/1", "ErrImagePull")
def _(kube, ns, name):
    kube.pod(ns, name, containers=[container("app", image="registry.example/app:missing")],
             statuses=[live.waiting("app", "ErrImagePull", "rpc error: code = NotFound desc = failed to pull and "
                                                      "unpack image")])


@state("oom-killed", "0/1", "OOMKilled", restarts=2)
def _(kube, ns, name):
    kube.pod(ns, name, containers=[container("app", resources={"limits": {"memory": "64Mi"}})],
             statuses=[live.terminated("app", 137, reason="OOMKilled", restarts=2, last=live.exited(137, "OOMKilled"))])


@state("create-container-config-error", "0/1", "CreateContainerConfigError")
def _(kube, ns, name):
    kube.pod(ns, name, containers=[container("app")],
             statuses=[live.waiting("app", "CreateContainerConfigError", 'secret "db-credentials" not found')])


@state("terminating-running", "1/1", "Terminating")
def _(kube, ns, name):
    kube.terminate(kube.pod(ns, name, containers=[container("app")], statuses=[live.running("app")]))


@state("terminating-sidecar-outlives-app", "1/2", "Terminating")
def _(kube, ns, name):
    pod = kube.pod(ns, name, init=[sidecar("proxy")], containers=[container("app")],
                   statuses=[live.running("proxy"), live.running("app")])
    pod = kube.terminate(pod)
    kube.set_status(pod, [live.running("proxy"), live.terminated("app", 0, until=ago(2))])


@state("failed-then-deleted", "0/1", "Error")
def _(kube, ns, name):
    kube.pod(ns, name, containers=[container("app")], restart_policy="Never", statuses=[live.terminated("app", 1)])
    # A finished pod is deleted at once; a finalizer keeps it, deletionTimestamp set, for the printer.
    kube.api.patch(pod_path(ns, name), {"metadata": {"finalizers": ["example.com/keep-for-audit"]}})
    kube.api.delete(pod_path(ns, name))


@state("evicted", "0/1", "Evicted")
def _(kube, ns, name):
    pod = kube.pod(ns, name, containers=[container("app")], statuses=[live.running("app")])
    # Older kubelets left the last container status as it was when they evicted the pod.
    kube.set_status(pod, [live.running("app", ready=False)], phase="Failed", reason="Evicted",
                    message="The node was low on resource: memory. Threshold quantity: 100Mi, available: 80Mi.")


@state("evicted-container-status-unknown", "0/1", "ContainerStatusUnknown")
def _(kube, ns, name):
    pod = kube.pod(ns, name, containers=[container("app")], statuses=[live.running("app")])
    gone = live.terminated("app", 137, reason="ContainerStatusUnknown")
    gone["state"]["terminated"]["message"] = "The container could not be located when the pod was terminated"
    kube.set_status(pod, [gone], phase="Failed", reason="Evicted",
                    message="The node was low on resource: ephemeral-storage.")


@state("scheduling-gated", "0/2", "SchedulingGated")
def _(kube, ns, name):
    kube.pod(ns, name, init=[sidecar("proxy")], containers=[container("app")], node=None,
             schedulingGates=[{"name": "example.com/quota-check"}])


@state("node-lost", "1/1", "NodeLost")
def _(kube, ns, name):
    pod = kube.pod(ns, name, containers=[container("app")], statuses=[live.running("app")])
    kube.set_status(pod, [live.running("app")], reason="NodeLost",
                    message="Node e2e-node which was running pod is unresponsive")


@state("node-lost-deleted", "1/1", "Unknown")
def _(kube, ns, name):
    pod = kube.pod(ns, name, containers=[container("app")], statuses=[live.running("app")])
    pod = kube.set_status(pod, [live.running("app")], reason="NodeLost",
                          message="Node e2e-node which was running pod is unresponsive")
    kube.terminate(pod)


@state("sidecar-restarts-while-initializing", "1/2", "Init:1/2", restarts=5)
def _(kube, ns, name):
    kube.pod(ns, name, init=[sidecar("proxy"), container("migrate")], containers=[container("app")],
             statuses=[live.running("proxy", restarts=3, last=live.exited(1)),
                       live.running("migrate", ready=False, restarts=2, last=live.exited(1, until=ago(100))),
                       live.waiting("app", "PodInitializing")])


@state("sidecar-restarts-once-initialized", "2/2", "Running", restarts=4)
def _(kube, ns, name):
    kube.pod(ns, name, init=[sidecar("proxy"), container("migrate")], containers=[container("app")],
             statuses=[live.running("proxy", restarts=3, last=live.exited(1)),
                       live.terminated("migrate", 0, restarts=2),
                       live.running("app", restarts=1, last=live.exited(137, "OOMKilled"))])


@state("sidecar-crashloop-after-init", "1/2", "Init:CrashLoopBackOff", restarts=5)
def _(kube, ns, name):
    kube.pod(ns, name, init=[sidecar("proxy", livenessProbe=exec_probe("pilot-agent", "healthz"))],
             containers=[container("app")],
             statuses=[live.waiting("proxy", "CrashLoopBackOff", restarts=5, last=live.exited(1)), live.running("app")])


@state("ephemeral-debug-container", "1/1", "Running")
def _(kube, ns, name):
    pod = kube.pod(ns, name, containers=[container("app")], statuses=[live.running("app")])
    debugger = {"name": "debugger-x7k2p", "image": "registry.example/busybox:1.36", "stdin": True, "tty": True,
                "targetContainerName": "app", "terminationMessagePolicy": "File", "imagePullPolicy": "IfNotPresent"}
    pod = kube.api.patch(pod_path(ns, name) + "/ephemeralcontainers", {"spec": {"ephemeralContainers": [debugger]}})
    debug_status = dict(live.running(debugger["name"], ready=False, started=None, since=ago(10)),
                        image=debugger["image"], imageID=debugger["image"] + "@sha256:" + "0" * 64)
    kube.set_status(pod, [live.running("app")], ephemeralContainerStatuses=[debug_status])


def gated_pod(kube, ns, name, met):
    """The Ready condition follows the readiness gate: the one place the pod's Ready changes STATUS."""
    pod = kube.pod(ns, name, containers=[container("web"), container("warmup")], restart_policy="OnFailure",
                   readinessGates=[{"conditionType": GATE}])
    kube.set_status(pod, [live.running("web"), live.terminated("warmup", 0)],
                    conditions=conditions(True, True, met, gate=met))


state("readiness-gate-unmet", "1/2", "NotReady")(lambda kube, ns, name: gated_pod(kube, ns, name, met=False))
state("readiness-gate-met", "1/2", "Running")(lambda kube, ns, name: gated_pod(kube, ns, name, met=True))


@state("multi-app-reverse-walk", "2/3", "CrashLoopBackOff", restarts=3)
def _(kube, ns, name):
    kube.pod(ns, name, containers=[container("web"), container("worker"), container("metrics")],
             statuses=[live.running("web"), live.waiting("worker", "CrashLoopBackOff", restarts=3, last=live.exited(1)),
                       live.running("metrics")])


@state("multi-app-first-container-wins", "0/2", "ImagePullBackOff", restarts=1)
def _(kube, ns, name):
    kube.pod(ns, name, containers=[container("app", image="registry.example/app:typo"), container("worker")],
             statuses=[live.waiting("app", "ImagePullBackOff"),
                       live.terminated("worker", 1, restarts=1, last=live.exited(1))])


@state("succeeded-plain", "0/1", "Completed")
def _(kube, ns, name):
    kube.pod(ns, name, containers=[container("main")], restart_policy="Never", statuses=[live.terminated("main", 0)])


@state("failed-exitcode-no-reason", "0/1", "ExitCode:2")
def _(kube, ns, name):
    kube.pod(ns, name, containers=[container("main")], restart_policy="Never",
             statuses=[live.terminated("main", 2, no_reason=True)])


@state("failed-signal-no-reason", "0/1", "Signal:15")
def _(kube, ns, name):
    kube.pod(ns, name, containers=[container("main")], restart_policy="Never",
             statuses=[live.terminated("main", 143, signal=15, no_reason=True)])


# --- one build, one server Table, one plugin run --------------------------------------------------------

class Observed(NamedTuple):
    server: dict  # pod name -> {column name: cell}
    plugin: dict  # pod name -> pod entry of the JSON document
    plugin_names: list  # in output order, to check each pod is listed once
    deleted: set  # pods with a deletionTimestamp, per the server
    seconds: dict


def restart_count(cell):
    """The Restarts cell is '3' or '3 (2m ago)'."""
    return int(str(cell).split(" ", 1)[0])


@pytest.fixture(scope="module")
def observed(kube, run_plugin):
    ns = kube.namespace(NAMESPACE)
    started = time.monotonic()
    for s in STATES:
        s.build(kube, ns, s.name)
    built = time.monotonic()

    table = kube.api.get(f"/api/v1/namespaces/{ns}/pods", accept=TABLE)
    columns = [c["name"] for c in table["columnDefinitions"]]
    server = {row["object"]["metadata"]["name"]: dict(zip(columns, row["cells"])) for row in table["rows"]}
    deleted = {row["object"]["metadata"]["name"] for row in table["rows"]
               if row["object"]["metadata"].get("deletionTimestamp")}
    read = time.monotonic()

    code, out, err = run_plugin("status", "-n", ns, "-o", "json")
    assert code == 0, err
    document = json.loads(out)
    plugin_names = [p["name"] for p in document["pods"]]
    seconds = {"build": built - started, "server table": read - built, "plugin": time.monotonic() - read}
    return Observed(server, {p["name"]: p for p in document["pods"]}, plugin_names, deleted, seconds)


BY_NAME = [pytest.param(s, id=s.name) for s in STATES]


def test_enough_distinct_states():
    names = [s.name for s in STATES]
    assert len(names) == len(set(names))
    assert len(STATES) >= 30


def test_every_pod_is_listed_once(observed):
    assert sorted(observed.plugin_names) == sorted(s.name for s in STATES)
    assert sorted(observed.server) == sorted(s.name for s in STATES)


def test_states_have_what_their_names_promise(observed):
    """What the Table cells do not show: phases, deletion (with a finalizer for the finished pod), and the
    debug container added through the ephemeralcontainers subresource."""
    phases = {name: observed.plugin[name]["phase"] for name in (
        "job-done-native-sidecar-137", "job-done-native-sidecar-143", "job-done-native-sidecar-0", "succeeded-plain",
        "job-app-done-legacy-running", "init-error", "evicted", "failed-then-deleted", "scheduling-gated")}
    assert phases == {
        "job-done-native-sidecar-137": "Succeeded", "job-done-native-sidecar-143": "Succeeded",
        "job-done-native-sidecar-0": "Succeeded", "succeeded-plain": "Succeeded",
        "job-app-done-legacy-running": "Running", "init-error": "Failed", "evicted": "Failed",
        "failed-then-deleted": "Failed", "scheduling-gated": "Pending"}
    assert observed.deleted == {"terminating-running", "terminating-sidecar-outlives-app", "failed-then-deleted",
                                "node-lost-deleted"}
    debugged = observed.plugin["ephemeral-debug-container"]["containers"]
    assert [(c["name"], c["type"], c["state"]) for c in debugged] == [
        ("app", "app", "running"), ("debugger-x7k2p", "ephemeral", "running")]


@pytest.mark.parametrize("s", BY_NAME)
def test_server_prints_the_intended_state(observed, s):
    """Guards the builders: each state really is the one its name promises."""
    cells = observed.server[s.name]
    assert (cells["Ready"], cells["Status"], restart_count(cells["Restarts"])) == (s.ready, s.status, s.restarts)


@pytest.mark.parametrize("s", BY_NAME)
def test_plugin_prints_what_the_server_prints(observed, s):
    cells = observed.server[s.name]
    pod = observed.plugin[s.name]
    assert (pod["ready"], pod["status"], pod["restarts"]) == \
        (cells["Ready"], cells["Status"], restart_count(cells["Restarts"]))
