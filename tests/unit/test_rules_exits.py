"""sidecar-sigkilled, sidecar-oomkilled, sidecar-liveness-killed, sidecar-crashloop."""

from tests.unit.podfactory import (container, cronjob_native_probe, event, findings_of, http_probe,
                                   istio_legacy_deployment, logshipper, pi_native, pod, running, serious, term,
                                   terminated, waiting, with_code)

SIGKILLED, OOM, LIVENESS, CRASHLOOP = ("sidecar-sigkilled", "sidecar-oomkilled", "sidecar-liveness-killed",
                                       "sidecar-crashloop")


def test_sigkilled_logshipper_spells_out_the_cost():
    found = with_code(findings_of(logshipper()), SIGKILLED)
    assert [(f.severity, f.container) for f in found] == [("warning", "logshipper")]
    message = found[0].message
    assert "31s after the last app container (report)" in message
    assert "30s grace period" in message and "buffered" in message
    remedy = found[0].remedy
    assert "trap" in remedy and "TERM" in remedy and "preStop" in remedy and "tini" in remedy
    assert "shareProcessNamespace is not a fix" in remedy


def test_sigkilled_after_the_app_of_the_startup_probe_cronjob_is_a_warning_only():
    found = findings_of(cronjob_native_probe(137))
    assert serious(found) == [(SIGKILLED, "slow-sidecar")]
    assert all(f.severity != "error" for f in found)


def test_sigkilled_by_pod_deletion_counts_from_the_deletion_request():
    p = pod("web-1", owner=("ReplicaSet", "web-5d8f"), restart_policy="Always", deleted=100, containers=[
        (container("web", "nginx:1.27"), terminated(0, 3, 71, reason="Completed")),
        (container("fluent-bit", "fluent/fluent-bit:3.1"), terminated(137, 3, 101)),
    ])
    found = with_code(findings_of(p, now=110), SIGKILLED)
    assert len(found) == 1 and "fluent-bit" == found[0].container


def test_normal_sidecar_ends_are_not_findings():
    for p in (pi_native(143), pi_native(0), logshipper(143), cronjob_native_probe(143)):
        assert serious(findings_of(p)) == [], p["metadata"]["name"]


def test_job_pod_completed_while_its_sidecar_shows_error_143_is_healthy():
    from kubectl_sidecars.rules import job_verdict
    from tests.unit.podfactory import job, snapshot

    p = pi_native(143)
    snap = snapshot(p)
    view = snap.pods[0]
    assert view.status == "Completed" and view.container("network-proxy").reason == "Error"
    assert serious(findings_of(p)) == []
    j = job("pi-sidecar", template=p, succeeded=1, conditions=[("Complete", None, None)], completion=15)
    assert job_verdict(j, snapshot(p, jobs=[j])).findings == []


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
    p["spec"]["initContainers"][0]["livenessProbe"] = http_probe(5000)
    found = with_code(findings_of(p, events_read=False), SIGKILLED)
    assert any("events were not read" in e for e in found[0].evidence)


def test_mid_life_137_of_a_running_pod_is_not_sigkilled():
    p = istio_legacy_deployment(restarts=1, last=term(137, 4, 3000))
    assert with_code(findings_of(p, now=8000), SIGKILLED) == []


def test_oomkilled_in_last_state_with_limit_and_remedy():
    p = pod("api-1", owner=("ReplicaSet", "api-7c9"), restart_policy="Always", init=[
        (container("otel-collector", "otel/opentelemetry-collector:0.110.0", restart_policy="Always",
                   resources={"limits": {"memory": "128Mi"}, "requests": {"memory": "64Mi"}}),
         running(500, restarts=2, last=term(137, 200, 490, reason="OOMKilled"))),
    ], containers=[(container("api", "example/api:2.3"), running(10))])
    found = with_code(findings_of(p, now=700), OOM)
    assert [(f.severity, f.container) for f in found] == [("error", "otel-collector")]
    assert "128Mi" in found[0].message and "memory: 256Mi" in found[0].remedy


def test_oomkilled_once_long_ago_and_fine_since_is_a_warning():
    p = istio_legacy_deployment(restarts=1, last=term(137, 4, 300, reason="OOMKilled"))
    found = with_code(findings_of(p, now=86400), OOM)
    assert [f.severity for f in found] == ["warning"]


def test_liveness_killed_needs_liveness_events():
    p = istio_legacy_deployment(restarts=1, last=term(137, 4, 3000))
    assert with_code(findings_of(p, now=3100), LIVENESS) == []
    events = [event(p, "Unhealthy", "Liveness probe failed: HTTP probe failed with statuscode: 503", "istio-proxy",
                    first=2900, last=2990, count=3)]
    found = with_code(findings_of(p, now=3100, events=events), LIVENESS)
    assert [(f.severity, f.container) for f in found] == [("warning", "istio-proxy")]


def test_liveness_kill_in_crashloop_is_an_error_and_replaces_crashloop():
    p = pod("api-1", owner=("ReplicaSet", "api-7c9"), restart_policy="Always", init=[
        (container("envoy", "envoyproxy/envoy:v1.31", restart_policy="Always", ports=[9901],
                   livenessProbe=http_probe(9901, "/ready")),
         waiting("CrashLoopBackOff", "back-off 2m40s restarting failed container=envoy", restarts=6,
                 last=term(137, 500, 560), started_flag=False)),
    ], containers=[(container("api", "example/api:2.3"), running(10))])
    events = [event(p, "Killing", "Container envoy failed liveness probe, will be restarted", "envoy",
                    kind="Normal", first=100, last=555, count=6, init=True)]
    found = findings_of(p, now=600, events=events)
    assert [(f.code, f.severity) for f in found if f.container == "envoy" and f.severity != "info"] == [
        (LIVENESS, "error")]


def test_crashloop_fires_on_back_off():
    p = istio_legacy_deployment(proxy_ready=False)
    p["status"]["containerStatuses"][1].update(
        state={"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s restarting failed"}},
        restartCount=8, lastState={"terminated": term(255, 3000, 3002, message="failed to load bootstrap")})
    found = with_code(findings_of(p, now=3100), CRASHLOOP)
    assert [(f.severity, f.container) for f in found] == [("error", "istio-proxy")]
    assert "8 time(s)" in found[0].message
    assert any("failed to load bootstrap" in e for e in found[0].evidence)
    assert "--previous" in found[0].remedy


def test_restarts_that_are_not_a_loop():
    # once, long ago
    assert serious(findings_of(istio_legacy_deployment(restarts=1, last=term(1, 4, 60)), now=86400)) == []
    # five restarts over a month, the last ten minutes ago
    p = istio_legacy_deployment(restarts=5, last=term(1, 2592000 - 620, 2592000 - 600))
    p["status"]["containerStatuses"][1]["state"] = {"running": {"startedAt": "2025-03-31T09:50:00Z"}}
    assert with_code(findings_of(p, now=2592000), CRASHLOOP) == []


def test_restarting_repeatedly_without_back_off_yet():
    p = istio_legacy_deployment(restarts=4, last=term(1, 200, 230))
    found = with_code(findings_of(p, now=300), CRASHLOOP)
    assert len(found) == 1
