"""app-started-before-sidecar-ready, sidecar-startup-failed, sidecar-not-ready, no-startup-probe,
init-before-sidecar."""

from tests.factory import (
    conditions,
    container,
    cronjob_legacy_race,
    cronjob_native_probe,
    event,
    exited,
    http_probe,
    istio_legacy_deployment,
    job,
    job_owner,
    logshipper,
    pod,
    replicaset_owner,
    running,
    terminated,
    ts,
    waiting,
)
from tests.unit.judging import findings_of, serious, shown, with_code

RACE, STARTUP, NOT_READY, NO_PROBE, INIT_FIRST = ("app-started-before-sidecar-ready", "sidecar-startup-failed",
                                                  "sidecar-not-ready", "no-startup-probe", "init-before-sidecar")


def test_race_with_a_legacy_helper_in_a_never_pod_is_an_error():
    found = with_code(findings_of(cronjob_legacy_race()), RACE)
    assert [(f.severity, f.container) for f in found] == [("error", "sidecar-user")]
    message = found[0].message
    assert "failed 0s later (exit 1" in message and "slow-sidecar had started only 2s before the app" in message
    assert "cannot succeed" in message
    assert "startupProbe" in shown(found[0]) and "initContainers" in shown(found[0])


def test_race_that_cost_a_restart_is_a_warning():
    p = pod("api-1", owner=replicaset_owner("api-7c9"), restart_policy="Always", phase=None,
            containers=[container("api", "example/api:2.3"),
                        container("cloud-sql-proxy", "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.14.0", port=5432)],
            statuses=[running("api", since=9, restarts=1, last=exited(1, since=4, until=6)),
                      running("cloud-sql-proxy", since=4)])
    found = with_code(findings_of(p, now=600), RACE)
    assert [(f.severity, f.container) for f in found] == [("warning", "api")]
    assert "restarted" in found[0].message
    # hours later, with the app fine since, nothing orders the start: it is still a warning
    old = with_code(findings_of(p, now=4 * 3600), RACE)
    assert [f.severity for f in old] == ["warning"] and "running since" in old[0].message


def test_no_race_claimed_when_the_sidecar_history_is_lost():
    # the proxy restarted several times since; whether it was up when the app failed is unknown
    p = pod("api-1", owner=replicaset_owner("api-7c9"), restart_policy="Always", phase=None,
            containers=[container("api", "example/api:2.3"),
                        container("cloud-sql-proxy", "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.14.0", port=5432)],
            statuses=[running("api", since=9, restarts=1, last=exited(1, since=4, until=6)),
                      running("cloud-sql-proxy", since=500, restarts=3, last=exited(1, since=300, until=450))])
    assert with_code(findings_of(p, now=600), RACE) == []


def test_race_with_a_native_sidecar_without_startup_probe():
    p = pod("api-1", owner=job_owner("api"), restart_policy="OnFailure", phase=None,
            init_containers=[container("pgbouncer", "bitnami/pgbouncer:1.23", port=6432, restart_policy="Always")],
            containers=[container("migrate", "example/migrate:1")],
            init_statuses=[running("pgbouncer", since=2)],
            statuses=[running("migrate", since=8, restarts=1, last=exited(3, since=3, until=4))])
    found = with_code(findings_of(p), RACE)
    assert [(f.severity, f.container) for f in found] == [("warning", "migrate")]
    assert "tcpSocket" in shown(found[0]) and "6432" in shown(found[0])


def test_no_race_when_the_sidecar_was_up_long_before():
    p = pod("api-1", owner=replicaset_owner("api-7c9"), restart_policy="Always", phase=None,
            containers=[container("api", "example/api:2.3"),
                        container("cloud-sql-proxy", "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.14.0", port=5432)],
            statuses=[running("api", since=200, restarts=1, last=exited(1, since=120, until=125)),
                      running("cloud-sql-proxy", since=4)])
    assert with_code(findings_of(p), RACE) == []


def test_no_race_near_misses():
    # native sidecar with a startupProbe: ordered by the kubelet
    assert serious(findings_of(cronjob_native_probe(143))) == []
    # the app failed after running ten minutes
    p = cronjob_legacy_race()
    p["status"]["containerStatuses"][1]["state"]["terminated"].update(finishedAt=ts(605))
    assert with_code(findings_of(p, now=700), RACE) == []
    # OOMKilled app
    p = cronjob_legacy_race()
    p["status"]["containerStatuses"][1]["state"]["terminated"].update(exitCode=137, reason="OOMKilled")
    assert with_code(findings_of(p), RACE) == []
    # the app succeeded
    p = cronjob_legacy_race()
    p["status"]["containerStatuses"][1]["state"]["terminated"].update(exitCode=0, reason="Completed")
    assert with_code(findings_of(p), RACE) == []
    # a log shipper is nothing the app connects to
    p = pod("job-1", owner=job_owner("demo"), restart_policy="Never", phase=None,
            containers=[container("fluent-bit", "fluent/fluent-bit:3.1"), container("main", "busybox:1.36")],
            statuses=[running("fluent-bit", since=3), terminated("main", 1, since=4, until=4)])
    assert with_code(findings_of(p), RACE) == []


def test_legacy_helper_with_a_post_start_hook_listed_first_holds_the_app():
    p = cronjob_legacy_race()
    p["spec"]["containers"][0]["lifecycle"] = {"postStart": {"exec": {"command": ["pilot-agent", "wait"]}}}
    assert with_code(findings_of(p), RACE) == []


# --- sidecar-startup-failed -------------------------------------------------------------------------

def _initializing(sidecar_status, probe=None):
    extra = {"startupProbe": probe} if probe else {}
    return pod("job-1", owner=job_owner("demo"), restart_policy="Never", phase=None,
               pod_conditions=conditions(initialized=False, ready=False),
               init_containers=[container("vault-agent", "hashicorp/vault:1.17", restart_policy="Always", port=8200,
                                          **extra)],
               containers=[container("main", "example/app:1")],
               init_statuses=[sidecar_status],
               statuses=[waiting("main", "PodInitializing", started=False)])


def test_startup_failed_on_image_pull():
    p = _initializing(waiting("vault-agent", "ImagePullBackOff", 'Back-off pulling image "hashicorp/vault:1.17"'))
    found = findings_of(p)
    assert serious(found) == [(STARTUP, "vault-agent")]
    assert "ImagePullBackOff" in found[0].message and "main cannot start" in found[0].message
    assert "imagePullSecrets" in shown(found[0])


def test_startup_failed_on_a_startup_probe_that_never_passes():
    probe = http_probe(8200, "/v1/sys/health", period=5, failures=6)
    p = _initializing(running("vault-agent", since=10, ready=False, started=False), probe)
    events = [event(p, "Unhealthy", "Startup probe failed: HTTP probe failed with statuscode: 503", "vault-agent",
                    first=15, last=590, count=100, init=True)]
    found = findings_of(p, events=events)
    assert serious(found) == [(STARTUP, "vault-agent")]
    assert any("Startup probe failed" in e for e in found[0].evidence)
    assert "failureThreshold: 30" in shown(found[0])


def test_startup_within_the_probe_budget_is_not_a_finding():
    probe = http_probe(8200, "/v1/sys/health", period=5, failures=6)
    assert serious(findings_of(_initializing(running("vault-agent", since=10, ready=False, started=False), probe),
                               now=30)) == []


def test_startup_failed_crashloop_replaces_crashloop():
    p = _initializing(waiting("vault-agent", "CrashLoopBackOff", "back-off 1m20s", restarts=4,
                              last=exited(1, since=500, until=501)))
    assert serious(findings_of(p)) == [(STARTUP, "vault-agent")]


# --- sidecar-not-ready ------------------------------------------------------------------------------

def test_not_ready_sidecar_keeps_the_pod_out_of_service():
    p = istio_legacy_deployment(proxy_ready=False)
    for condition in p["status"]["conditions"]:
        if condition["type"] in ("Ready", "ContainersReady"):
            condition.update(status="False", lastTransitionTime=ts(5))
    events = [event(p, "Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 503", "istio-proxy",
                    first=6, last=590, count=290)]
    found = findings_of(p, events=events)
    assert serious(found) == [(NOT_READY, "istio-proxy")]
    assert any("Readiness probe failed" in e for e in found[0].evidence)


def test_not_ready_just_after_start_or_in_a_finished_job_pod_is_not_a_finding():
    assert with_code(findings_of(istio_legacy_deployment(proxy_ready=False), now=20), NOT_READY) == []
    p = pod("job-1", owner=job_owner("demo"), restart_policy="Never", phase=None,
            containers=[container("main", "busybox:1.36"), container("istio-proxy", "docker.io/istio/proxyv2:1.22.0")],
            statuses=[terminated("main", 0, since=3, until=30), running("istio-proxy", since=3, ready=False)])
    assert with_code(findings_of(p), NOT_READY) == []


# --- no-startup-probe -------------------------------------------------------------------------------

def test_no_startup_probe_is_info_and_derives_a_probe_from_the_port():
    p = pod("job-1", owner=job_owner("demo"), restart_policy="Never", phase=None,
            init_containers=[container("network-proxy", "hwchiu/python-example", port=5000, restart_policy="Always")],
            containers=[container("pi", "perl:5.34.0")],
            init_statuses=[running("network-proxy", since=2)],
            statuses=[running("pi", since=3)])
    found = with_code(findings_of(p), NO_PROBE)
    assert [(f.severity, f.container) for f in found] == [("info", "network-proxy")]
    assert "port: 5000" in shown(found[0])


def test_no_startup_probe_is_info_for_the_logshipper_and_absent_with_a_probe_or_post_start():
    assert [f.severity for f in with_code(findings_of(logshipper()), NO_PROBE)] == ["info"]
    assert with_code(findings_of(cronjob_native_probe()), NO_PROBE) == []
    p = logshipper()
    p["spec"]["initContainers"][0]["lifecycle"] = {"postStart": {"exec": {"command": ["sh", "-c", "sleep 2"]}}}
    assert with_code(findings_of(p), NO_PROBE) == []


# --- init-before-sidecar ----------------------------------------------------------------------------

def test_init_container_before_the_proxy_it_needs():
    p = pod("api-1", owner=replicaset_owner("api-7c9"), restart_policy="Always", phase=None,
            init_containers=[container("mysql-client", "mysql:8.4",
                                       command=["sh", "-c", "mysql -h 127.0.0.1 -e 'select 1'"]),
                             container("cloud-sql-proxy", "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.14.0",
                                       port=3306, restart_policy="Always")],
            containers=[container("svc", "example/svc:1")],
            init_statuses=[terminated("mysql-client", 0, since=2, until=4), running("cloud-sql-proxy", since=5)],
            statuses=[running("svc", since=7)])
    found = with_code(findings_of(p), INIT_FIRST)
    assert [(f.severity, f.container) for f in found] == [("info", "mysql-client")]
    assert "restartPolicy: Always" in shown(found[0])


def test_init_container_failing_before_the_proxy_is_a_warning():
    p = pod("api-1", owner=replicaset_owner("api-7c9"), restart_policy="Always", phase=None,
            pod_conditions=conditions(initialized=False, ready=False),
            init_containers=[container("mysql-client", "mysql:8.4"),
                             container("cloud-sql-proxy", "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.14.0",
                                       port=3306, restart_policy="Always")],
            containers=[container("svc", "example/svc:1")],
            init_statuses=[waiting("mysql-client", "CrashLoopBackOff", restarts=5,
                                   last=exited(1, since=200, until=230))],
            statuses=[waiting("svc", "PodInitializing")])
    found = with_code(findings_of(p), INIT_FIRST)
    assert [(f.severity, f.container) for f in found] == [("warning", "mysql-client")]


def test_init_before_sidecar_near_misses():
    # the mesh's own init container
    assert with_code(findings_of(istio_legacy_deployment()), INIT_FIRST) == []
    # the proxy comes first
    p = pod("api-1", owner=replicaset_owner("api-7c9"), restart_policy="Always", phase=None,
            init_containers=[container("cloud-sql-proxy", "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.14.0",
                                       port=3306, restart_policy="Always"),
                             container("mysql-client", "mysql:8.4")],
            containers=[container("svc", "example/svc:1")],
            init_statuses=[running("cloud-sql-proxy", since=2), terminated("mysql-client", 0, since=3, until=4)],
            statuses=[running("svc", since=7)])
    assert with_code(findings_of(p), INIT_FIRST) == []


# --- app-started-before-sidecar-ready: only sidecars the app plausibly needs -------------------------

def _quick_failure_beside(sidecar_spec, app_env=None, app_args=None):
    """A Job pod (restartPolicy Never): a native sidecar started at 2s, the app started at 4s and exited 2
    one second later."""
    return pod("report-badarg", owner=job_owner("report"), restart_policy="Never", phase=None,
               init_containers=[sidecar_spec],
               containers=[container("report", "registry.example.com/report:1.0",
                                     args=app_args or ["--date", "yesterday"], env=app_env)],
               init_statuses=[terminated(sidecar_spec["name"], 0, since=2, until=7)],
               statuses=[terminated("report", 2, since=4, until=5)])


def test_race_is_not_blamed_on_a_log_shipper_with_a_metrics_port():
    for name, image, port in (("fluent-bit", "cr.fluentbit.io/fluent/fluent-bit:3.1.4", 2020),
                              ("otel-agent", "otel/opentelemetry-collector-contrib:0.108.0", 8888),
                              ("log-shipper", "registry.example.com/shipper:2", 9102),
                              ("promtail", "grafana/promtail:3.1.0", 3101)):
        spec = container(name, image, port=port, restart_policy="Always")
        assert with_code(findings_of(_quick_failure_beside(spec), now=120), RACE) == [], name


def test_race_with_a_sidecar_matched_only_by_its_port_is_at_most_a_warning():
    spec = container("cache", "memcached:1.6.29", port=11211, restart_policy="Always")
    found = with_code(findings_of(_quick_failure_beside(spec), now=120), RACE)
    assert [(f.severity, f.container) for f in found] == [("warning", "report")]
    assert "it listens on 11211" in found[0].message and "only a warning" in found[0].message


def test_race_with_a_sidecar_whose_port_the_app_points_at_is_an_error():
    spec = container("cache", "memcached:1.6.29", port=11211, restart_policy="Always")
    for p in (_quick_failure_beside(spec, app_env={"MEMCACHED_URL": "localhost:11211"}),
              _quick_failure_beside(spec, app_args=["--cache", "http://127.0.0.1:11211/"]),
              _quick_failure_beside(spec, app_env={"CACHE_HOST": "127.0.0.1", "CACHE_PORT": "11211"})):
        found = with_code(findings_of(p, now=120), RACE)
        assert [(f.severity, f.container) for f in found] == [("error", "report")]
        assert "points at localhost:11211" in found[0].message
    # pointing at another port is no reference to this one
    other = _quick_failure_beside(spec, app_env={"API_URL": "http://localhost:8080"})
    assert [f.severity for f in with_code(findings_of(other, now=120), RACE)] == ["warning"]


def test_race_with_a_proxy_stays_an_error_and_fails_the_job_by_the_sidecar():
    from tests.unit.judging import snapshot, verdict_of

    spec = container("cloud-sql-proxy", "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.14.0",
                     args=["--port=5432", "proj:region:db"], restart_policy="Always")
    p = _quick_failure_beside(spec)
    found = with_code(findings_of(p, now=120), RACE)
    assert [(f.severity, f.container) for f in found] == [("error", "report")]
    assert "proxy" in found[0].message
    j = job("report", template=p, failed=1, backoff_limit=0, conditions=[(
        "Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit")])
    culprits = [f.container for f in verdict_of(j, snapshot(p, jobs=[j], now=120)).findings
                if f.code == "job-failed-by-sidecar"]
    assert culprits == ["cloud-sql-proxy"]
