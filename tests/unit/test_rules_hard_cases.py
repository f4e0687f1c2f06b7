"""The hard cases: unblock advice that does not rerun the work, mesh init containers failing, proxies that
are the workload, start-up failures seen through the restart history, self-ending controllers that did not
end their pod, and the start-up race as a property of the spec. Each with the near misses that stay quiet."""

from kubectl_sidecars.engine import pod_findings
from kubectl_sidecars.model import build_pod_view
from kubectl_sidecars.snapshot import KINDS, Snapshot
from tests import factory as f

BLOCKED = "job-blocked-by-legacy-sidecar"


def judged(pod: dict, now: float = 600, events=()):
    snap = Snapshot.of(f.at(now), pods=[pod], events=events, read=KINDS)
    return pod_findings(snap.pods[0], snap)


def coded(findings, code: str):
    return [x for x in findings if x.code == code]


def types(pod: dict) -> dict:
    return {c.name: c.type for c in build_pod_view(pod).containers}


def blocked_job_pod(helper: dict, annotations=None, app_exit: int = 0) -> dict:
    """A Job pod whose app finished five minutes ago while `helper`, in spec.containers, still runs."""
    return f.job_pod(containers=[f.container("export", command=["python", "export.py"]), helper],
                     statuses=[f.terminated("export", app_exit, since=5, until=300),
                               f.running(helper["name"], since=3)],
                     annotations=annotations)


# --- 1. unblock advice ---------------------------------------------------------------------------------

def test_istio_unblock_tells_the_agent_to_quit_on_its_status_port_and_says_what_the_job_does():
    pod = blocked_job_pod(f.container("istio-proxy"), annotations=f.istio_annotations(inits=()))
    finding = coded(judged(pod), BLOCKED)[0]
    assert ("kubectl exec nightly-export-k8x2p -n default -c istio-proxy -- pilot-agent request --debug-port 15020 "
            "POST quitquitquit") in finding.remedy
    assert "counts against the Job's backoffLimit" in finding.remedy
    assert "starts a new pod, which hangs the same way" in finding.remedy
    assert finding.remedy.index("pilot-agent") < finding.remedy.index("kubectl delete pod")


def test_linkerd_unblock_posts_to_the_admin_shutdown_endpoint_from_an_ephemeral_container_when_enabled():
    proxy = f.container("linkerd-proxy", env={"LINKERD2_PROXY_SHUTDOWN_ENDPOINT_ENABLED": "true"})
    pod = blocked_job_pod(proxy, annotations={"linkerd.io/proxy-version": "edge-24.5.1",
                                              "config.linkerd.io/proxy-admin-shutdown": "enabled"})
    remedy = coded(judged(pod), BLOCKED)[0].remedy
    assert "kubectl debug nightly-export-k8x2p -n default --image=curlimages/curl" in remedy
    assert "curl -fsS -X POST http://localhost:4191/shutdown" in remedy


def test_linkerd_unblock_says_the_endpoint_is_off_instead_of_offering_a_call_that_404s():
    proxy = f.container("linkerd-proxy", env={"LINKERD2_PROXY_SHUTDOWN_ENDPOINT_ENABLED": "false"})
    pod = blocked_job_pod(proxy, annotations={"linkerd.io/proxy-version": "stable-2.14.10"})
    remedy = coded(judged(pod), BLOCKED)[0].remedy
    assert "4191/shutdown" not in remedy and "is disabled" in remedy
    assert "config.linkerd.io/proxy-admin-shutdown: enabled" in remedy


def test_cloud_sql_proxy_unblock_uses_its_admin_port_only_when_started_with_quitquitquit():
    image = "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.14.0"
    enabled = f.container("cloud-sql-proxy", image, args=["--quitquitquit", "--admin-port=9192", "proj:eu:db"])
    remedy = coded(judged(blocked_job_pod(enabled)), BLOCKED)[0].remedy
    assert "curl -fsS -X POST http://localhost:9192/quitquitquit" in remedy
    plain = f.container("cloud-sql-proxy", image, args=["proj:eu:db"])
    remedy = coded(judged(blocked_job_pod(plain)), BLOCKED)[0].remedy
    assert "/quitquitquit" in remedy and "without --quitquitquit" in remedy and "kubectl debug" not in remedy


def test_unknown_helper_unblock_warns_that_a_signal_exit_is_not_zero():
    remedy = coded(judged(blocked_job_pod(f.container("log-shipper"))), BLOCKED)[0].remedy
    assert "-c log-shipper -- kill 1" in remedy and "exits 143, not 0" in remedy


# --- 2. mesh init containers failing -----------------------------------------------------------------

MESH_INIT = "mesh-init-failed"


def meshed_pod(init_name: str, init_status: dict, annotations=None, inits=("istio-init",)) -> dict:
    """A Deployment's pod whose mesh init container `init_name` has the given status; the proxy and the app
    wait behind it."""
    return f.pod(init_containers=[f.container(init_name, f.IMAGES["istio-init"] if "istio" in init_name else None)],
                 containers=[f.container("app", port=8080), f.container("istio-proxy", port=15090)],
                 init_statuses=[init_status],
                 statuses=[f.waiting("app", "PodInitializing"), f.waiting("istio-proxy", "PodInitializing")],
                 owner=f.replicaset_owner("web-7d9c6b5f4"), phase="Pending",
                 annotations=f.istio_annotations(inits=inits) if annotations is None else annotations,
                 pod_conditions=f.conditions(initialized=False, ready=False))


def test_istio_init_crash_looping_names_the_mesh_the_exit_and_the_capabilities_not_the_proxy():
    last = f.exited(2, since=100, until=101, message="iptables-restore: Permission denied (you must be root)")
    pod = meshed_pod("istio-init", f.waiting("istio-init", "CrashLoopBackOff", restarts=5, last=last))
    found = coded(judged(pod), MESH_INIT)
    assert [(x.severity, x.container, x.related) for x in found] == [("error", "istio-init", None)]
    message = found[0].message
    assert "Istio" in message and "exit 2" in message and "NET_ADMIN and NET_RAW" in message
    assert "the proxy is not at fault" in message and "istio-proxy, app cannot start" in message
    assert any("Permission denied" in line for line in found[0].evidence)
    assert "kubectl logs web-7d9c6b5f4-x2x9q -n default -c istio-init --previous" in found[0].remedy
    assert [x for x in judged(pod) if x.severity != "info" and x.code != MESH_INIT] == []


def test_linkerd_network_validator_failing_points_at_the_cni_agent():
    pod = meshed_pod("linkerd-network-validator",
                     f.terminated("linkerd-network-validator", 1, since=10, until=40),
                     annotations={"linkerd.io/proxy-version": "edge-24.5.1"})
    found = coded(judged(pod), MESH_INIT)
    assert [x.container for x in found] == ["linkerd-network-validator"]
    assert "Linkerd" in found[0].message and "CNI agent" in found[0].message
    assert "DaemonSet" in found[0].remedy


def test_an_init_the_injector_lists_under_another_name_counts_as_the_mesh_s():
    pod = meshed_pod("istio-setup", f.waiting("istio-setup", "CrashLoopBackOff", restarts=4,
                                              last=f.exited(1, until=90)), inits=("istio-setup",))
    assert [x.container for x in coded(judged(pod), MESH_INIT)] == ["istio-setup"]


def test_a_mesh_init_that_crashed_once_and_then_succeeded_stays_quiet():
    done = f.terminated("istio-init", 0, since=40, until=41, restarts=1, last=f.exited(2, since=10, until=11))
    pod = f.pod(init_containers=[f.container("istio-init")],
                containers=[f.container("app"), f.container("istio-proxy")],
                init_statuses=[done], statuses=[f.running("app"), f.running("istio-proxy")],
                annotations=f.istio_annotations())
    assert coded(judged(pod), MESH_INIT) == []


def test_a_mesh_init_running_its_first_retry_stays_quiet_and_the_pod_s_own_init_is_not_the_mesh_s():
    retry = f.running("istio-init", since=50, restarts=1, last=f.exited(2, since=10, until=11))
    assert coded(judged(meshed_pod("istio-init", retry)), MESH_INIT) == []
    own = meshed_pod("migrate", f.waiting("migrate", "CrashLoopBackOff", restarts=5, last=f.exited(1, until=90)))
    assert coded(judged(own), MESH_INIT) == []


# --- 3. a proxy that is the workload -------------------------------------------------------------------

def oomed_proxy_pod(name: str, containers, labels=None, annotations=None) -> dict:
    """A Deployment's pod whose proxy was OOMKilled once, a minute ago, and runs again."""
    proxy = containers[0]["name"]
    statuses = [f.running(proxy, since=540, restarts=1, last=f.exited(137, "OOMKilled", since=10, until=538))]
    statuses += [f.running(c["name"]) for c in containers[1:]]
    return f.pod(name, containers=containers, statuses=statuses, owner=f.replicaset_owner(name.rsplit("-", 1)[0]),
                 labels=labels, annotations=annotations)


def test_istio_ingress_gateway_deployed_without_injection_is_an_app_and_its_oom_no_sidecar_finding():
    pod = oomed_proxy_pod("istio-ingressgateway-5c8d-x2x9q", [f.container("istio-proxy", port=8080)],
                          labels={"app": "istio-ingressgateway", "istio": "ingressgateway"},
                          annotations={"sidecar.istio.io/inject": "false"})
    assert types(pod) == {"istio-proxy": "app"}
    assert coded(judged(pod), "sidecar-oomkilled") == []


def test_istio_proxy_where_istio_injection_is_off_is_the_workload_even_beside_another_container():
    pod = oomed_proxy_pod("edge-5c8d-x2x9q", [f.container("istio-proxy"), f.container("config-watcher")],
                          labels={"app": "edge"}, annotations={"sidecar.istio.io/inject": "false"})
    assert types(pod)["istio-proxy"] == "app"


def test_gateway_injected_with_istio_s_gateway_template_stays_quiet():
    annotations = dict(f.istio_annotations(inits=()), **{"inject.istio.io/templates": "gateway"})
    pod = oomed_proxy_pod("ingress-5c8d-x2x9q", [f.container("istio-proxy"), f.container("cert-reloader")],
                          labels={"app": "ingress"}, annotations=annotations)
    assert types(pod)["istio-proxy"] == "app"
    assert [x for x in judged(pod) if x.container == "istio-proxy"] == []


def test_gateway_api_waypoint_consul_mesh_gateway_and_envoy_gateway_proxies_are_apps():
    waypoint = oomed_proxy_pod("waypoint-5c8d-x2x9q", [f.container("istio-proxy")],
                               labels={"gateway.networking.k8s.io/gateway-name": "waypoint"},
                               annotations=f.istio_annotations(inits=()))
    consul = oomed_proxy_pod("consul-mesh-gateway-5c8d-x2x9q",
                             [f.container("mesh-gateway", "hashicorp/consul-dataplane:1.5.0"),
                              f.container("log-shipper")], labels={"component": "mesh-gateway"})
    envoy_gateway = oomed_proxy_pod("envoy-default-eg-5c8d-x2x9q",
                                    [f.container("envoy", "docker.io/envoyproxy/envoy:distroless-v1.31.0"),
                                     f.container("shutdown-manager", "docker.io/envoyproxy/gateway:v1.2.0")],
                                    labels={"gateway.envoyproxy.io/owning-gateway-name": "eg"})
    assert types(waypoint) == {"istio-proxy": "app"}
    assert types(consul) == {"mesh-gateway": "app", "log-shipper": "legacy-sidecar"}
    assert types(envoy_gateway) == {"envoy": "app", "shutdown-manager": "app"}


def test_an_injected_proxy_beside_the_app_and_an_envoy_in_a_pod_without_istio_stay_sidecars():
    injected = oomed_proxy_pod("web-5c8d-x2x9q", [f.container("istio-proxy"), f.container("web")],
                               annotations=f.istio_annotations(inits=()))
    assert types(injected)["istio-proxy"] == "legacy-sidecar"
    assert [x.severity for x in coded(judged(injected), "sidecar-oomkilled")] == ["error"]
    opted_out = oomed_proxy_pod("api-5c8d-x2x9q", [f.container("envoy", "docker.io/envoyproxy/envoy:v1.31.0"),
                                                   f.container("api")],
                                annotations={"sidecar.istio.io/inject": "false"})
    assert types(opted_out)["envoy"] == "legacy-sidecar"


# --- 4. startup failure seen through the restart history ----------------------------------------------

STARTUP = "sidecar-startup-failed"


def restarting_sidecar_pod(last: dict, *, started: bool = False, since: float = 595, restarts: int = 4) -> dict:
    """A Job pod stuck in Init:0/1: its native sidecar (startupProbe: 3 failures, 10 s apart) runs again
    `600 - since` seconds ago after `last`."""
    proxy = f.sidecar("envoy", "docker.io/envoyproxy/envoy:v1.31.0", port=9901,
                      startupProbe=f.http_probe(9901, "/ready", period=10, failures=3))
    init = [f.running("envoy", since=since, started=started, ready=started, restarts=restarts, last=last)]
    return f.job_pod(init_containers=[proxy], containers=[f.container("export")], init_statuses=init,
                     statuses=[f.waiting("export", "PodInitializing")], phase="Pending",
                     pod_conditions=f.conditions(initialized=started, ready=False))


def test_a_run_killed_after_the_probe_budget_is_a_startup_failure_from_the_first_repetition():
    pod = restarting_sidecar_pod(f.exited(143, since=560, until=592), restarts=1)
    found = [(x.code, x.severity, x.container) for x in judged(pod) if x.severity != "info"]
    assert found == [(STARTUP, "error", "envoy")]
    message = coded(judged(pod), STARTUP)[0].message
    assert "startupProbe never passes" in message and "exit 143" in message and "32s" in message


def test_a_quick_crash_or_a_sidecar_that_started_is_not_read_as_a_failing_probe():
    crashed = restarting_sidecar_pod(f.exited(1, since=590, until=592), restarts=1)
    assert coded(judged(crashed), STARTUP) == []
    started = restarting_sidecar_pod(f.exited(143, since=560, until=592), started=True, restarts=1)
    assert coded(judged(started), STARTUP) == []
    long_run = restarting_sidecar_pod(f.exited(143, since=10, until=500), restarts=1)
    assert coded(judged(long_run), STARTUP) == []


# --- 5. self-ending controllers that did not end their pod ---------------------------------------------

def argo_pod(main_ended: float) -> dict:
    """An Argo Workflows step pod with an injected istio-proxy: `main` and `wait` ended at `main_ended`."""
    owner = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "name": "etl-x7k2p",
             "uid": f.uid("wf", "etl-x7k2p"), "controller": True}
    return f.pod("etl-x7k2p-extract-2841957", restart_policy="Never", owner=owner,
                 containers=[f.container("wait", "quay.io/argoproj/argoexec:v3.5.8"),
                             f.container("main", "python:3.12"), f.container("istio-proxy")],
                 statuses=[f.terminated("wait", 0, since=5, until=main_ended + 1),
                           f.terminated("main", 0, since=5, until=main_ended), f.running("istio-proxy", since=3)],
                 annotations=f.istio_annotations(), labels={"workflows.argoproj.io/workflow": "etl-x7k2p"})


def test_argo_pod_seconds_after_main_ended_stays_quiet():
    assert [x for x in judged(argo_pod(580)) if x.severity != "info"] == []


def test_argo_pod_whose_proxy_outlived_the_kill_window_is_stuck_naming_the_controller():
    found = coded(judged(argo_pod(100)), BLOCKED)
    assert [(x.severity, x.container) for x in found] == [("warning", "istio-proxy")]
    assert "Argo Workflows" in found[0].message and "Workflow etl-x7k2p" in found[0].message
    assert "pilot-agent request --debug-port 15020 POST quitquitquit" in found[0].remedy
    assert [x.severity for x in coded(judged(argo_pod(100), now=3000), BLOCKED)] == ["error"]


# --- 6. the start-up race as a property of the spec ----------------------------------------------------

RACE = "app-started-before-sidecar-ready"


def raced_pod(proxy: dict, init: bool = False) -> dict:
    """A Deployment's pod whose app failed 2 s after starting, at second 6, while its proxy had started at
    second 4; both run since."""
    app = f.container("api", env={"DB_HOST": "127.0.0.1", "DB_PORT": "5432"})
    statuses = [f.running("api", since=9, restarts=1, last=f.exited(1, since=4, until=6)),
                f.running(proxy["name"], since=4)]
    if init:
        return f.pod("api-7c9d-x2x9q", init_containers=[proxy], containers=[app], init_statuses=statuses[1:],
                     statuses=statuses[:1], owner=f.replicaset_owner("api-7c9d"))
    return f.pod("api-7c9d-x2x9q", containers=[app, proxy], statuses=statuses, owner=f.replicaset_owner("api-7c9d"))


CLOUD_SQL = "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.14.0"


def test_a_race_hours_ago_stays_a_warning_and_says_when_it_last_happened():
    found = coded(judged(raced_pod(f.container("cloud-sql-proxy", CLOUD_SQL, port=5432)), now=6 * 3600), RACE)
    assert [x.severity for x in found] == ["warning"]
    assert "last happened 5h59m ago" in found[0].message and "next rollout" in found[0].message


def test_a_race_whose_sidecar_the_spec_now_orders_is_not_reported():
    probed = f.sidecar("cloud-sql-proxy", CLOUD_SQL, port=5432, startup_probe=True)
    assert coded(judged(raced_pod(probed, init=True), now=6 * 3600), RACE) == []
    held = f.container("cloud-sql-proxy", CLOUD_SQL, port=5432,
                       lifecycle={"postStart": {"exec": {"command": ["cloud-sql-proxy", "wait"]}}})
    pod = raced_pod(held)
    pod["spec"]["containers"].reverse()  # the proxy first: the app is started after its postStart returned
    assert coded(judged(pod, now=6 * 3600), RACE) == []


def test_each_sidecar_that_never_started_gets_its_own_remedy():
    pulling = [f.waiting(name, "ImagePullBackOff", restarts=0) for name in ("envoy", "vault-agent")]
    pod = f.pod(init_containers=[f.sidecar("envoy"), f.sidecar("vault-agent")], containers=[f.container("app")],
                init_statuses=pulling, statuses=[f.waiting("app", "PodInitializing")], phase="Pending",
                pod_conditions=f.conditions(initialized=False, ready=False))
    remedies = {x.container: x.remedy for x in coded(judged(pod), STARTUP)}
    assert set(remedies) == {"envoy", "vault-agent"}
    assert all(f"-c {name}" in remedy for name, remedy in remedies.items())
