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
