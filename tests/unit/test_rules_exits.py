"""sidecar-sigkilled, sidecar-oomkilled, sidecar-liveness-killed, sidecar-crashloop."""

from tests.factory import (
    container,
    cronjob_native_probe,
    event,
    exited,
    http_probe,
    istio_legacy_deployment,
    job,
    job_owner,
    logshipper,
    pi_native,
    pod,
    replicaset_owner,
    running,
    terminated,
    ts,
    waiting,
)
from tests.unit.judging import findings_of, serious, shown, with_code

SIGKILLED, OOM, LIVENESS, CRASHLOOP = ("sidecar-sigkilled", "sidecar-oomkilled", "sidecar-liveness-killed",
                                       "sidecar-crashloop")


def test_sigkilled_logshipper_spells_out_the_cost():
    found = with_code(findings_of(logshipper()), SIGKILLED)
    assert [(f.severity, f.container) for f in found] == [("warning", "logshipper")]
    message = found[0].message
    assert "31s after the last app container (report)" in message
    assert "30s grace period" in message and "buffered" in message
    remedy = shown(found[0])
    assert "trap" in remedy and "TERM" in remedy and "preStop" in remedy and "tini" in remedy
    assert "shareProcessNamespace is not a fix" in remedy


def test_sigkilled_after_the_app_of_the_startup_probe_cronjob_is_a_warning_only():
    found = findings_of(cronjob_native_probe(137))
    assert serious(found) == [(SIGKILLED, "slow-sidecar")]
    assert all(f.severity != "error" for f in found)


def test_sigkilled_by_pod_deletion_counts_from_the_deletion_request():
    p = pod("web-1", owner=replicaset_owner("web-5d8f"), restart_policy="Always", phase=None, deleted=100,
            containers=[container("web", "nginx:1.27"), container("fluent-bit", "fluent/fluent-bit:3.1")],
            statuses=[terminated("web", 0, reason="Completed", since=3, until=71),
                      terminated("fluent-bit", 137, since=3, until=101)])
    found = with_code(findings_of(p, now=110), SIGKILLED)
    assert len(found) == 1 and "fluent-bit" == found[0].container


def test_normal_sidecar_ends_are_not_findings():
    for p in (pi_native(143), pi_native(0), logshipper(143), cronjob_native_probe(143)):
        assert serious(findings_of(p)) == [], p["metadata"]["name"]


def test_job_pod_completed_while_its_sidecar_shows_error_143_is_healthy():
    from tests.unit.judging import snapshot, verdict_of

    p = pi_native(143)
    snap = snapshot(p)
    view = snap.pods[0]
    assert view.status == "Completed" and view.container("network-proxy").reason == "Error"
    assert serious(findings_of(p)) == []
    j = job("pi-sidecar", template=p, succeeded=1, conditions=[("Complete", None, None)], completion=15)
    assert verdict_of(j, snapshot(p, jobs=[j])).findings == []


def test_oomkilled_137_is_not_sigkilled():
    found = findings_of(pi_native(137, sidecar_reason="OOMKilled"))
    assert serious(found) == [(OOM, "network-proxy")]
    assert with_code(found, OOM)[0].severity == "error"


def test_liveness_kill_is_not_sigkilled():
    p = pi_native(137)
    events = [event(p, "Unhealthy", "Liveness probe failed: Get \"http://10.244.1.23:5000/\": context deadline "
                                    "exceeded", "network-proxy", first=6, last=12, count=3, init=True),
              event(p, "Killing", "Container network-proxy failed liveness probe, will be restarted",
                    "network-proxy", kind="Normal", first=12, init=True)]
    found = findings_of(p, events=events)
    assert serious(found) == [(LIVENESS, "network-proxy")]


def test_sigkilled_notes_when_events_were_not_read_and_a_liveness_probe_exists():
    p = pi_native(137)
    # SIGKILLed when the 30s grace period that began as pi finished (at 13s) ran out
    p["status"]["initContainerStatuses"][0]["state"]["terminated"]["finishedAt"] = ts(44)
    p["spec"]["initContainers"][0]["livenessProbe"] = http_probe(5000)
    found = with_code(findings_of(p, events_read=False), SIGKILLED)
    assert any("events were not read" in e for e in found[0].evidence)


def test_mid_life_137_of_a_running_pod_is_not_sigkilled():
    p = istio_legacy_deployment(restarts=1, last=exited(137, since=4, until=3000))
    assert with_code(findings_of(p, now=8000), SIGKILLED) == []


def test_oomkilled_in_last_state_with_limit_and_remedy():
    p = pod("api-1", owner=replicaset_owner("api-7c9"), restart_policy="Always", phase=None,
            init_containers=[container("otel-collector", "otel/opentelemetry-collector:0.110.0",
                                       restart_policy="Always",
                                       resources={"limits": {"memory": "128Mi"}, "requests": {"memory": "64Mi"}})],
            containers=[container("api", "example/api:2.3")],
            init_statuses=[running("otel-collector", since=500, restarts=2,
                                   last=exited(137, "OOMKilled", since=200, until=490))],
            statuses=[running("api", since=10)])
    found = with_code(findings_of(p, now=700), OOM)
    assert [(f.severity, f.container) for f in found] == [("error", "otel-collector")]
    assert "128Mi" in found[0].message and "memory: 256Mi" in shown(found[0])


def test_oomkilled_once_long_ago_and_fine_since_is_a_warning():
    p = istio_legacy_deployment(restarts=1, last=exited(137, "OOMKilled", since=4, until=300))
    found = with_code(findings_of(p, now=86400), OOM)
    assert [f.severity for f in found] == ["warning"]


def test_liveness_killed_needs_liveness_events():
    p = istio_legacy_deployment(restarts=1, last=exited(137, since=4, until=3000))
    assert with_code(findings_of(p, now=3100), LIVENESS) == []
    events = [event(p, "Unhealthy", "Liveness probe failed: HTTP probe failed with statuscode: 503", "istio-proxy",
                    first=2900, last=2990, count=3)]
    found = with_code(findings_of(p, now=3100, events=events), LIVENESS)
    assert [(f.severity, f.container) for f in found] == [("warning", "istio-proxy")]


def test_liveness_kill_in_crashloop_is_an_error_and_replaces_crashloop():
    p = pod("api-1", owner=replicaset_owner("api-7c9"), restart_policy="Always", phase=None,
            init_containers=[container("envoy", "envoyproxy/envoy:v1.31", restart_policy="Always", port=9901,
                                       livenessProbe=http_probe(9901, "/ready"))],
            containers=[container("api", "example/api:2.3")],
            init_statuses=[waiting("envoy", "CrashLoopBackOff", "back-off 2m40s restarting failed container=envoy",
                                   restarts=6, last=exited(137, since=500, until=560), started=False)],
            statuses=[running("api", since=10)])
    events = [event(p, "Killing", "Container envoy failed liveness probe, will be restarted", "envoy",
                    kind="Normal", first=100, last=555, count=6, init=True)]
    found = findings_of(p, now=600, events=events)
    assert [(f.code, f.severity) for f in found if f.container == "envoy" and f.severity != "info"] == [
        (LIVENESS, "error")]


def test_crashloop_fires_on_back_off():
    p = istio_legacy_deployment(proxy_ready=False)
    p["status"]["containerStatuses"][1].update(
        state={"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s restarting failed"}},
        restartCount=8, lastState=exited(255, since=3000, until=3002, message="failed to load bootstrap"))
    found = with_code(findings_of(p, now=3100), CRASHLOOP)
    assert [(f.severity, f.container) for f in found] == [("error", "istio-proxy")]
    assert "8 time(s)" in found[0].message
    assert any("failed to load bootstrap" in e for e in found[0].evidence)
    assert "--previous" in shown(found[0])


def test_restarts_that_are_not_a_loop():
    # once, long ago
    assert serious(findings_of(istio_legacy_deployment(restarts=1, last=exited(1, since=4, until=60)), now=86400)) == []
    # five restarts over a month, the last ten minutes ago
    p = istio_legacy_deployment(restarts=5, last=exited(1, since=2592000 - 620, until=2592000 - 600))
    p["status"]["containerStatuses"][1]["state"] = {"running": {"startedAt": "2025-03-31T09:50:00Z"}}
    assert with_code(findings_of(p, now=2592000), CRASHLOOP) == []


def test_restarting_repeatedly_without_back_off_yet():
    p = istio_legacy_deployment(restarts=4, last=exited(1, since=200, until=230))
    found = with_code(findings_of(p, now=300), CRASHLOOP)
    assert len(found) == 1


# --- sidecar-sigkilled near misses: pods the node ended, kubelet-made exits, kills at other moments -----

def _evicted(reason="Evicted", disruption="TerminationByKubelet", unknown=False):
    """A Deployment pod with a legacy istio-proxy, ended by its node: every container killed at once."""
    p = istio_legacy_deployment()
    p["status"]["phase"] = "Failed"
    p["status"]["reason"] = reason
    p["status"]["message"] = "The node was low on resource: memory. Threshold quantity: 100Mi, available: 91636Ki. "
    if disruption:
        p["status"]["conditions"].append({"type": "DisruptionTarget", "status": "True", "lastProbeTime": None,
                                          "lastTransitionTime": ts(3000), "reason": disruption,
                                          "message": "The node was low on resource: memory."})
    for status in p["status"]["containerStatuses"]:
        status.update(ready=False, started=False)
        if unknown:
            status["state"] = {"terminated": {"exitCode": 137, "reason": "ContainerStatusUnknown",
                                              "message": "The container could not be located when the pod was "
                                                         "terminated", "startedAt": None, "finishedAt": None}}
        else:
            status["state"] = exited(137, since=4, until=3000)
    return p


def test_sigkilled_is_not_reported_for_evicted_pods():
    assert with_code(findings_of(_evicted(), now=4000), SIGKILLED) == []
    assert with_code(findings_of(_evicted(unknown=True), now=4000), SIGKILLED) == []
    # the pod's reason alone, or the condition alone, is enough
    assert with_code(findings_of(_evicted(disruption=None), now=4000), SIGKILLED) == []
    assert with_code(findings_of(_evicted(reason=None), now=4000), SIGKILLED) == []


def test_sigkilled_is_not_reported_for_a_lost_node_or_a_kubelet_made_exit():
    assert with_code(findings_of(_evicted(reason="NodeLost", disruption="DeletionByTaintManager"), now=4000),
                     SIGKILLED) == []
    # ContainerStatusUnknown: the kubelet wrote the 137 itself, with no timestamps
    p = logshipper()
    p["status"]["initContainerStatuses"][0]["state"] = {"terminated": {
        "exitCode": 137, "reason": "ContainerStatusUnknown", "startedAt": None, "finishedAt": None,
        "message": "The container could not be located when the pod was terminated"}}
    assert with_code(findings_of(p), SIGKILLED) == []


def test_sigkilled_needs_the_137_to_come_when_the_grace_period_ran_out():
    # killed together with the app (no grace period at all)
    p = logshipper()
    p["status"]["containerStatuses"][0]["state"]["terminated"].update(exitCode=137, reason="Error", finishedAt=ts(74))
    assert with_code(findings_of(p), SIGKILLED) == []
    # 3s after the app: not the deadline of a 30s grace period
    p = logshipper()
    p["status"]["initContainerStatuses"][0]["state"]["terminated"]["finishedAt"] = ts(46)
    assert with_code(findings_of(p), SIGKILLED) == []
    # hours after the app finished, with no deletion: not a grace period that began when it ended
    p = logshipper()
    p["status"]["initContainerStatuses"][0]["state"]["terminated"]["finishedAt"] = ts(43 + 7200)
    assert with_code(findings_of(p, now=8000), SIGKILLED) == []
    # the real thing keeps firing: 31s after the app, with a 30s grace period
    assert [f.container for f in with_code(findings_of(logshipper()), SIGKILLED)] == ["logshipper"]


def test_sigkilled_on_a_drain_counts_from_the_deletion_request():
    # kubectl drain evicts through the API: a graceful deletion with the pod's own grace period
    p = pod("web-1", owner=replicaset_owner("web-5d8f"), restart_policy="Always", phase=None, deleted=100,
            containers=[container("web", "nginx:1.27"), container("fluent-bit", "fluent/fluent-bit:3.1")],
            statuses=[terminated("web", 0, reason="Completed", since=3, until=71),
                      terminated("fluent-bit", 137, since=3, until=101)])
    p["status"]["conditions"].append({"type": "DisruptionTarget", "status": "True", "lastProbeTime": None,
                                      "lastTransitionTime": ts(70), "reason": "EvictionByEvictionAPI",
                                      "message": "Eviction API: evicting"})
    found = with_code(findings_of(p, now=110), SIGKILLED)
    assert [f.container for f in found] == ["fluent-bit"]
    # a legacy helper blocked for an hour, then the pod deleted: measured from the deletion, not the app
    blocked = pod("pi-x", owner=job_owner("pi"), restart_policy="Never", phase=None, deleted=3630,
                  containers=[container("pi", "perl:5.34.0"), container("sidecar", "hwchiu/netutils")],
                  statuses=[terminated("pi", 0, since=3, until=9), terminated("sidecar", 137, since=3, until=3631)])
    found = with_code(findings_of(blocked, now=3700), SIGKILLED)
    assert len(found) == 1 and "after the pod's deletion was requested" in found[0].message
