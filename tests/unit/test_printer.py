"""READY, STATUS and RESTARTS must be the cells `kubectl get pods` prints for the same pod (the API
server's printPod, native sidecar rules included)."""

from datetime import timedelta

import pytest

from kubectl_sidecars.model import build_pod_view
from kubectl_sidecars.model.printer import PrintedPod, is_restartable_init, print_pod
from kubectl_sidecars.render.tables import restarts_cell
from tests.factory import at, conditions, container, exited, job_pod, pod, running, sidecar, terminated, waiting

APP = container("app", "registry.example.com/shop/checkout:2.8.1", port=8080, readiness_probe=True)
PROXY = container("istio-proxy", port=15090, readiness_probe=True)
LOGS = sidecar("log-shipper", "docker.io/fluent/fluent-bit:3.0.4")
MESH = sidecar("mesh-proxy", "docker.io/envoyproxy/envoy:v1.30.1", startup_probe=True, readiness_probe=True)
MIGRATE = container("migrate", "registry.example.com/shop/migrate:2.8.1", command=["/migrate", "up"])
WAIT_DB = container("wait-for-db", "docker.io/library/busybox:1.36",
                    command=["sh", "-c", "until nc -z db 5432; do sleep 1; done"])

NOT_INITIALIZED = conditions(initialized=False, ready=False, not_ready_reason="ContainersNotInitialized")
NOT_READY = conditions(ready=False)
COMPLETED = conditions(ready=False, not_ready_reason="PodCompleted")


def case(case_id, built, ready, status, restarts=0):
    return pytest.param(built, ready, status, restarts, id=case_id)


CASES = [
    # ---- before any container runs
    case("pending-unschedulable-no-statuses",
         pod(containers=[APP, PROXY], phase="Pending", node=None,
             pod_conditions=[{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                              "message": "0/3 nodes are available: 3 Insufficient cpu."}]),
         "0/2", "Pending"),
    case("pending-sidecar-counts-in-total-before-any-status",
         pod(containers=[APP], init_containers=[WAIT_DB, LOGS], phase="Pending", node=None,
             pod_conditions=[{"type": "PodScheduled", "status": "False", "reason": "Unschedulable"}]),
         "0/2", "Pending"),
    case("scheduling-gated",
         pod(containers=[APP, PROXY], phase="Pending", node=None,
             pod_conditions=[{"type": "PodScheduled", "status": "False", "reason": "SchedulingGated",
                              "message": "Scheduling is blocked due to non-empty scheduling gates"}]),
         "0/2", "SchedulingGated"),
    case("container-creating",
         pod(containers=[APP], phase="Pending", statuses=[waiting("app", "ContainerCreating")],
             pod_conditions=conditions(ready=False)),
         "0/1", "ContainerCreating"),

    # ---- plain init containers
    case("init-0-of-2",
         pod(containers=[APP], init_containers=[WAIT_DB, MIGRATE], phase="Pending",
             init_statuses=[running("wait-for-db", ready=False, started=False),
                            waiting("migrate", "PodInitializing")],
             statuses=[waiting("app", "PodInitializing")], pod_conditions=NOT_INITIALIZED),
         "0/1", "Init:0/2"),
    case("init-1-of-2",
         pod(containers=[APP], init_containers=[WAIT_DB, MIGRATE], phase="Pending",
             init_statuses=[terminated("wait-for-db", 0, since=2, until=9),
                            running("migrate", ready=False, started=False, since=10)],
             statuses=[waiting("app", "PodInitializing")], pod_conditions=NOT_INITIALIZED),
         "0/1", "Init:1/2"),
    case("init-crashloopbackoff",
         pod(containers=[APP], init_containers=[WAIT_DB, MIGRATE], phase="Pending",
             init_statuses=[terminated("wait-for-db", 0, since=2, until=9),
                            waiting("migrate", "CrashLoopBackOff",
                                    "back-off 1m20s restarting failed container=migrate", restarts=4,
                                    last=exited(1, until=300))],
             statuses=[waiting("app", "PodInitializing")], pod_conditions=NOT_INITIALIZED),
         "0/1", "Init:CrashLoopBackOff", 4),
    case("init-error",
         pod(containers=[APP], init_containers=[MIGRATE], phase="Failed", restart_policy="Never",
             init_statuses=[terminated("migrate", 1, since=2, until=20)],
             statuses=[waiting("app", "PodInitializing")], pod_conditions=NOT_INITIALIZED),
         "0/1", "Init:Error"),
    case("init-oomkilled",
         pod(containers=[APP], init_containers=[MIGRATE], phase="Failed", restart_policy="Never",
             init_statuses=[terminated("migrate", 137, "OOMKilled", since=2, until=20)],
             statuses=[waiting("app", "PodInitializing")], pod_conditions=NOT_INITIALIZED),
         "0/1", "Init:OOMKilled"),
    case("init-exit-code-without-reason",
         pod(containers=[APP], init_containers=[MIGRATE], phase="Failed", restart_policy="Never",
             init_statuses=[terminated("migrate", 3, no_reason=True)],
             statuses=[waiting("app", "PodInitializing")], pod_conditions=NOT_INITIALIZED),
         "0/1", "Init:ExitCode:3"),
    case("init-signal-without-reason",
         pod(containers=[APP], init_containers=[MIGRATE], phase="Failed", restart_policy="Never",
             init_statuses=[terminated("migrate", 137, signal=9, no_reason=True)],
             statuses=[waiting("app", "PodInitializing")], pod_conditions=NOT_INITIALIZED),
         "0/1", "Init:Signal:9"),
    case("init-waiting-without-reason-counts-as-not-started",
         pod(containers=[APP], init_containers=[WAIT_DB, MIGRATE], phase="Pending",
             init_statuses=[terminated("wait-for-db", 0), waiting("migrate", None)],
             statuses=[waiting("app", "PodInitializing")], pod_conditions=NOT_INITIALIZED),
         "0/1", "Init:1/2"),
    case("pod-initializing",
         pod(containers=[APP], init_containers=[WAIT_DB, MIGRATE], phase="Pending",
             init_statuses=[terminated("wait-for-db", 0, since=2, until=9),
                            terminated("migrate", 0, since=10, until=14)],
             statuses=[waiting("app", "PodInitializing")], pod_conditions=conditions(ready=False)),
         "0/1", "PodInitializing"),

    # ---- native sidecars during start-up
    case("sidecar-not-started-blocks-next-init",
         pod(containers=[APP], init_containers=[MESH, MIGRATE], phase="Pending",
             init_statuses=[running("mesh-proxy", ready=False, started=False),
                            waiting("migrate", "PodInitializing")],
             statuses=[waiting("app", "PodInitializing")], pod_conditions=NOT_INITIALIZED),
         "0/2", "Init:0/2"),
    case("sidecar-started-field-absent-is-not-started",
         pod(containers=[APP], init_containers=[MESH, MIGRATE], phase="Pending",
             init_statuses=[running("mesh-proxy", ready=True, started=None),
                            waiting("migrate", "PodInitializing")],
             statuses=[waiting("app", "PodInitializing")], pod_conditions=NOT_INITIALIZED),
         "0/2", "Init:0/2"),
    case("started-ready-sidecar-counts-as-done-and-ready",
         pod(containers=[APP], init_containers=[MESH, MIGRATE], phase="Pending",
             init_statuses=[running("mesh-proxy", ready=True, started=True),
                            running("migrate", ready=False, started=False, since=12)],
             statuses=[waiting("app", "PodInitializing")], pod_conditions=NOT_INITIALIZED),
         "1/2", "Init:1/2"),
    case("started-unready-sidecar-counts-as-done-not-ready",
         pod(containers=[APP], init_containers=[MESH, MIGRATE], phase="Pending",
             init_statuses=[running("mesh-proxy", ready=False, started=True),
                            running("migrate", ready=False, started=False, since=12)],
             statuses=[waiting("app", "PodInitializing")], pod_conditions=NOT_INITIALIZED),
         "0/2", "Init:1/2"),
    case("sidecar-image-pull-backoff",
         pod(containers=[APP], init_containers=[LOGS], phase="Pending",
             init_statuses=[waiting("log-shipper", "ImagePullBackOff",
                                    'Back-off pulling image "docker.io/fluent/fluent-bit:3.0.4"')],
             statuses=[waiting("app", "PodInitializing")], pod_conditions=NOT_INITIALIZED),
         "0/2", "Init:ImagePullBackOff"),

    # ---- running
    case("running-app-only",
         pod(containers=[APP], statuses=[running("app")]),
         "1/1", "Running"),
    case("running-with-started-ready-sidecars",
         pod(containers=[APP], init_containers=[WAIT_DB, LOGS, MESH],
             init_statuses=[terminated("wait-for-db", 0, since=2, until=4), running("log-shipper", since=5),
                            running("mesh-proxy", since=6)],
             statuses=[running("app", since=9)]),
         "3/3", "Running"),
    case("running-sidecar-started-not-ready",
         pod(containers=[APP], init_containers=[MESH],
             init_statuses=[running("mesh-proxy", ready=False, started=True)],
             statuses=[running("app")], pod_conditions=NOT_READY),
         "1/2", "Running"),
    case("running-sidecar-restarting-not-started-again",
         # initialized once, then the sidecar died: printPod reports the init loop's reason
         pod(containers=[APP], init_containers=[MESH],
             init_statuses=[running("mesh-proxy", ready=False, started=False, restarts=2,
                                    last=exited(1, until=400))],
             statuses=[running("app")], pod_conditions=NOT_READY),
         "1/2", "Init:0/1", 2),
    case("running-sidecar-crashloop-after-initialization",
         pod(containers=[APP], init_containers=[MESH],
             init_statuses=[waiting("mesh-proxy", "CrashLoopBackOff", restarts=5,
                                    last=exited(1, until=400))],
             statuses=[running("app", restarts=1, last=exited(2, until=100))],
             pod_conditions=NOT_READY),
         "1/2", "Init:CrashLoopBackOff", 6),
    case("running-legacy-sidecar-both-ready",
         pod(containers=[APP, PROXY], init_containers=[container("istio-init")],
             init_statuses=[terminated("istio-init", 0, since=2, until=3)],
             statuses=[running("app"), running("istio-proxy")]),
         "2/2", "Running"),
    case("running-one-container-not-ready",
         pod(containers=[APP, PROXY], statuses=[running("app", ready=False), running("istio-proxy")],
             pod_conditions=NOT_READY),
         "1/2", "Running"),
    case("ephemeral-container-not-counted",
         pod(containers=[APP], ephemeral_containers=[{"name": "debugger-8xk2l", "image": "busybox:1.36",
                                                      "targetContainerName": "app", "stdin": True, "tty": True}],
             statuses=[running("app")], ephemeral_statuses=[running("debugger-8xk2l", started=None)]),
         "1/1", "Running"),
    case("app-waiting-without-reason-keeps-phase",
         pod(containers=[APP, PROXY], statuses=[running("istio-proxy"), waiting("app", None)],
             pod_conditions=NOT_READY),
         "1/2", "Running"),

    # ---- app container failures
    case("crashloopbackoff",
         pod(containers=[APP, PROXY],
             statuses=[waiting("app", "CrashLoopBackOff", "back-off 5m0s restarting failed container=app",
                               restarts=7, last=exited(1, until=900)),
                       running("istio-proxy")],
             pod_conditions=NOT_READY),
         "1/2", "CrashLoopBackOff", 7),
    case("image-pull-backoff",
         pod(containers=[APP], phase="Pending", pod_conditions=NOT_READY,
             statuses=[waiting("app", "ImagePullBackOff",
                               'Back-off pulling image "registry.example.com/shop/checkout:2.8.1"')]),
         "0/1", "ImagePullBackOff"),
    case("err-image-pull",
         pod(containers=[APP], phase="Pending", pod_conditions=NOT_READY,
             statuses=[waiting("app", "ErrImagePull", "rpc error: code = NotFound")]),
         "0/1", "ErrImagePull"),
    case("create-container-config-error",
         pod(containers=[APP], phase="Pending", pod_conditions=NOT_READY,
             statuses=[waiting("app", "CreateContainerConfigError", 'secret "db-credentials" not found')]),
         "0/1", "CreateContainerConfigError"),
    case("oomkilled-run-to-completion",
         job_pod(containers=[APP], phase="Failed", pod_conditions=COMPLETED,
                 statuses=[terminated("app", 137, "OOMKilled")]),
         "0/1", "OOMKilled"),
    case("running-again-after-oomkill",
         pod(containers=[APP], statuses=[running("app", restarts=1, last=exited(137, "OOMKilled", until=50))]),
         "1/1", "Running", 1),
    case("app-exit-code-without-reason",
         job_pod(containers=[APP], phase="Failed", pod_conditions=COMPLETED,
                 statuses=[terminated("app", 2, no_reason=True)]),
         "0/1", "ExitCode:2"),
    case("app-signal-without-reason",
         job_pod(containers=[APP], phase="Failed", pod_conditions=COMPLETED,
                 statuses=[terminated("app", 143, signal=15, no_reason=True)]),
         "0/1", "Signal:15"),

    # ---- run to completion: legacy and native sidecars
    case("completed-app-legacy-sidecar-running-ready-is-notready",
         job_pod(containers=[APP, PROXY], statuses=[terminated("app", 0), running("istio-proxy")],
                 pod_conditions=NOT_READY),
         "1/2", "NotReady"),
    case("completed-app-legacy-sidecar-running-ready-pod-ready-is-running",
         job_pod(containers=[APP, PROXY], statuses=[terminated("app", 0, ready=True), running("istio-proxy")]),
         "1/2", "Running"),
    case("completed-app-legacy-sidecar-running-not-ready-is-completed",
         job_pod(containers=[APP, PROXY], statuses=[terminated("app", 0), running("istio-proxy", ready=False)],
                 pod_conditions=NOT_READY),
         "0/2", "Completed"),
    case("completed-first-app-later-app-failed-helper-running",
         job_pod(containers=[APP, container("worker"), PROXY],
                 statuses=[terminated("app", 0), terminated("worker", 2), running("istio-proxy")],
                 pod_conditions=NOT_READY),
         "1/3", "Error"),
    case("completed-first-app-later-app-failed-helper-running-pod-ready",
         job_pod(containers=[APP, container("worker"), PROXY],
                 statuses=[terminated("app", 0), terminated("worker", 2), running("istio-proxy")]),
         "1/3", "Running"),
    case("app-failed-while-legacy-helper-running",
         job_pod(containers=[container("slow-sidecar"), container("sidecar-user")],
                 statuses=[running("slow-sidecar"), terminated("sidecar-user", 1)],
                 pod_conditions=NOT_READY),
         "1/2", "Error"),
    case("native-sidecar-still-running-after-app-completed",
         job_pod(containers=[APP], init_containers=[LOGS],
                 init_statuses=[running("log-shipper")], statuses=[terminated("app", 0)],
                 pod_conditions=NOT_READY),
         "1/2", "Completed"),
    case("succeeded-native-sidecar-sigkilled-137",
         job_pod(containers=[APP], init_containers=[LOGS], phase="Succeeded", pod_conditions=COMPLETED,
                 init_statuses=[terminated("log-shipper", 137, since=5, until=91)],
                 statuses=[terminated("app", 0, since=6, until=60)]),
         "0/2", "Completed"),
    case("succeeded-native-sidecar-exited-cleanly",
         job_pod(containers=[APP], init_containers=[LOGS], phase="Succeeded", pod_conditions=COMPLETED,
                 init_statuses=[terminated("log-shipper", 0, since=5, until=61)],
                 statuses=[terminated("app", 0, since=6, until=60)]),
         "0/2", "Completed"),
    case("failed-app-native-sidecar-sigterm-143",
         job_pod(containers=[APP], init_containers=[LOGS], phase="Failed", pod_conditions=COMPLETED,
                 init_statuses=[terminated("log-shipper", 143, since=5, until=61)],
                 statuses=[terminated("app", 1, since=6, until=60)]),
         "0/2", "Error"),

    # ---- deletion, node loss, eviction
    case("terminating-running-pod",
         pod(containers=[APP, PROXY], statuses=[running("app"), running("istio-proxy")], deleted=600),
         "2/2", "Terminating"),
    case("terminating-pending-pod",
         pod(containers=[APP], phase="Pending", statuses=[waiting("app", "ContainerCreating")],
             pod_conditions=NOT_READY, deleted=600),
         "0/1", "Terminating"),
    case("terminating-pod-with-native-sidecar",
         pod(containers=[APP], init_containers=[LOGS], deleted=600, pod_conditions=NOT_READY,
             init_statuses=[running("log-shipper")], statuses=[terminated("app", 0)]),
         "1/2", "Terminating"),
    case("node-lost-deleted-is-unknown",
         pod(containers=[APP], statuses=[running("app")], deleted=600, reason="NodeLost",
             message="Node worker-1 which was running pod web-7d9c6b5f4-x2x9q is unresponsive"),
         "1/1", "Unknown"),
    case("node-lost-not-deleted-shows-reason-until-containers-speak",
         pod(containers=[APP], reason="NodeLost", statuses=[]),
         "0/1", "NodeLost"),
    case("succeeded-with-deletion-timestamp-not-terminating",
         job_pod(containers=[APP], phase="Succeeded", pod_conditions=COMPLETED, deleted=600,
                 statuses=[terminated("app", 0)]),
         "0/1", "Completed"),
    case("failed-with-deletion-timestamp-not-terminating",
         job_pod(containers=[APP], phase="Failed", pod_conditions=COMPLETED, deleted=600,
                 statuses=[terminated("app", 1)]),
         "0/1", "Error"),
    case("evicted",
         pod(containers=[APP], phase="Failed", reason="Evicted",
             message="The node was low on resource: memory. Threshold quantity: 100Mi, available: 91Mi.",
             pod_conditions=COMPLETED, statuses=[]),
         "0/1", "Evicted"),
    case("evicted-container-status-unknown",
         pod(containers=[APP], phase="Failed", reason="Evicted", pod_conditions=COMPLETED,
             statuses=[terminated("app", 137, "ContainerStatusUnknown",
                                  message="The container could not be located when the pod was terminated")]),
         "0/1", "ContainerStatusUnknown"),
]


@pytest.mark.parametrize("built, ready, status, restarts", CASES)
def test_ready_status_restarts(built, ready, status, restarts):
    printed = print_pod(built)
    assert (printed.ready, printed.status, printed.restarts) == (ready, status, restarts)


@pytest.mark.parametrize("built, ready, status, restarts", CASES)
def test_view_carries_the_printed_columns(built, ready, status, restarts):
    view = build_pod_view(built)
    assert (view.ready, view.status, view.restarts) == (ready, status, restarts)


# ---------------------------------------------------------------- restarts


def test_restarts_count_sidecars_and_apps_but_not_finished_inits_once_initialized():
    built = pod(containers=[APP, PROXY], init_containers=[MIGRATE, LOGS],
                init_statuses=[terminated("migrate", 0, restarts=3, last=exited(1, until=950)),
                               running("log-shipper", restarts=2, last=exited(1, until=500))],
                statuses=[running("app", restarts=4, last=exited(1, until=700)),
                          running("istio-proxy", restarts=1, last=exited(0, until=200))])
    printed = print_pod(built)
    assert printed == PrintedPod("3/3", "Running", 7, at(700))


def test_restarts_count_every_init_container_while_initializing():
    built = pod(containers=[APP], init_containers=[LOGS, WAIT_DB, MIGRATE], phase="Pending",
                init_statuses=[running("log-shipper", restarts=1, last=exited(1, until=120)),
                               terminated("wait-for-db", 0, restarts=2, last=exited(1, until=80)),
                               waiting("migrate", "CrashLoopBackOff", restarts=3,
                                       last=exited(1, until=300))],
                statuses=[waiting("app", "PodInitializing", restarts=0)], pod_conditions=NOT_INITIALIZED)
    printed = print_pod(built)
    assert printed == PrintedPod("1/2", "Init:CrashLoopBackOff", 6, at(300))


def test_restarts_of_app_containers_ignored_while_initializing():
    # after a pod sandbox restart the inits run again; app restarts are not shown until Initialized
    built = pod(containers=[APP], init_containers=[MIGRATE], phase="Running",
                init_statuses=[running("migrate", ready=False, started=False, restarts=1,
                                       last=exited(0, until=40))],
                statuses=[waiting("app", "PodInitializing", restarts=5, last=exited(137, until=900))],
                pod_conditions=NOT_INITIALIZED)
    printed = print_pod(built)
    assert printed == PrintedPod("0/1", "Init:0/1", 1, at(40))


def test_no_restarts_means_no_last_restart_even_with_a_last_state():
    built = pod(containers=[APP], statuses=[running("app", restarts=0, last=exited(1, until=30))])
    assert print_pod(built) == PrintedPod("1/1", "Running", 0, None)


def test_restart_without_finished_time_has_no_last_restart():
    last = {"terminated": {"exitCode": 1, "reason": "Error"}}
    built = pod(containers=[APP], statuses=[running("app", restarts=2, last=last)])
    assert print_pod(built) == PrintedPod("1/1", "Running", 2, None)


@pytest.mark.parametrize("seconds_ago, cell", [(10, "4 (10s ago)"), (200, "4 (3m20s ago)"),
                                               (5 * 86400, "4 (5d ago)"), (3 * 3600 + 1800, "4 (3h30m ago)")])
def test_restarts_cell_says_how_long_ago(seconds_ago, cell):
    built = pod(containers=[APP], statuses=[running("app", restarts=4, last=exited(1, until=1000))])
    view = build_pod_view(built)
    assert restarts_cell(view, at(1000) + timedelta(seconds=seconds_ago)) == cell


def test_restarts_cell_without_restarts_is_the_bare_number():
    view = build_pod_view(pod(containers=[APP], statuses=[running("app")]))
    assert restarts_cell(view, at(1000)) == "0"


# ---------------------------------------------------------------- odd inputs


def test_statuses_of_containers_missing_from_the_spec():
    # status entries that match no spec entry: an unknown init status is a plain init container
    built = pod(containers=[APP], init_containers=[WAIT_DB, LOGS], phase="Running",
                init_statuses=[{"name": "gone"}, {"name": "wait-for-db"}, {"name": "log-shipper"}],
                statuses=[{"name": "other"}, {"name": "app"}])
    assert print_pod(built) == PrintedPod("0/2", "Init:0/2", 0, None)


def test_empty_pod_dict():
    assert print_pod({}) == PrintedPod("0/0", "", 0, None)


def test_is_restartable_init():
    assert is_restartable_init({"name": "s", "restartPolicy": "Always"}) is True
    assert is_restartable_init({"name": "i"}) is False
    assert is_restartable_init({"name": "i", "restartPolicy": "Never"}) is False
    assert is_restartable_init(None) is False
