"""job-blocked-by-legacy-sidecar, pod-failure-policy-matches-sidecar, job-failed-by-sidecar."""

from kubectl_sidecars.rules.catalog import CATALOG
from tests.factory import (
    container,
    job,
    job_owner,
    owner,
    pi_legacy,
    pi_native,
    pod,
    replicaset_owner,
    running,
    terminated,
    ts,
)
from tests.unit.judging import findings_of, serious, shown, snapshot, verdict_of, with_code

BLOCKED = "job-blocked-by-legacy-sidecar"


def test_blocked_fires_on_the_pi_job_with_a_plain_sidecar():
    found = with_code(findings_of(pi_legacy(), now=900), BLOCKED)
    assert [(f.severity, f.container) for f in found] == [("error", "sidecar")]
    finding = found[0]
    assert "still running" in finding.message and "Job pi" in finding.message
    assert "restartPolicy: Always" in shown(finding) and "initContainers:" in shown(finding)
    assert any("pi (app): terminated, exit 0" in e for e in finding.evidence)


def test_blocked_remedy_shows_a_startup_probe_for_a_sidecar_with_a_port():
    p = pod("etl-1", owner=job_owner("etl"), restart_policy="Never", phase=None,
            containers=[container("etl", "python:3.12", command=["python", "etl.py"]),
                        container("cloud-sql-proxy", "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.14.0", port=5432)],
            statuses=[terminated("etl", 0, since=3, until=50), running("cloud-sql-proxy", since=2)])
    finding = with_code(findings_of(p), BLOCKED)[0]
    assert "startupProbe:" in shown(finding) and "port: 5432" in shown(finding)
    assert "cloud-sql-proxy removed from this list" in shown(finding)


def test_blocked_names_the_strongest_sidecar_once_and_mentions_the_others():
    status = '{"initContainers":["istio-init"],"containers":["istio-proxy"]}'
    p = pod("trial-1", owner=job_owner("trial"), restart_policy="Never", phase=None,
            annotations={"sidecar.istio.io/status": status},
            containers=[container("training", "mnist:v1"),
                        container("istio-proxy", "docker.io/istio/proxyv2:1.22.0"),
                        container("fluent-bit", "fluent/fluent-bit:3.1")],
            statuses=[terminated("training", 0, since=3, until=300),
                      running("istio-proxy", since=2),
                      running("fluent-bit", since=2)])
    found = with_code(findings_of(p), BLOCKED)
    assert [f.container for f in found] == ["istio-proxy"]
    assert "fluent-bit" in found[0].message
    assert "sidecar.istio.io/nativeSidecar" in shown(found[0])


def test_blocked_does_not_fire_on_the_native_variant():
    assert serious(findings_of(pi_native())) == []


def test_blocked_does_not_fire_while_the_app_runs():
    p = pod("pi-a", owner=job_owner("pi"), restart_policy="Never", phase=None,
            containers=[container("pi", "perl:5.34.0"), container("sidecar", "hwchiu/netutils")],
            statuses=[running("pi", since=3), running("sidecar", since=3)])
    assert with_code(findings_of(p), BLOCKED) == []


def test_blocked_does_not_fire_on_long_running_workloads():
    p = pod("web-1", owner=replicaset_owner("web-5d8f"), restart_policy="Always", phase=None,
            containers=[container("web", "nginx:1.27"), container("envoy", "envoyproxy/envoy:v1.31")],
            statuses=[terminated("web", 0, since=3, until=9), running("envoy", since=3)])
    assert with_code(findings_of(p), BLOCKED) == []


def test_blocked_does_not_fire_when_the_sidecar_exited_or_the_pod_is_being_deleted():
    assert with_code(findings_of(pi_legacy(now_running=False)), BLOCKED) == []
    deleting = pi_legacy()
    deleting["metadata"]["deletionTimestamp"] = ts(590)
    assert with_code(findings_of(deleting), BLOCKED) == []


def test_blocked_gives_a_quitquitquit_a_moment_then_fires():
    def make():
        return pod("mesh-job-1", owner=job_owner("mesh-job"), restart_policy="Never", phase=None,
                   containers=[container("main", "curlimages/curl:8.10.1",
                                         command=["sh", "-c", "run-report && curl -fsS -X POST "
                                                              "localhost:15020/quitquitquit"]),
                               container("istio-proxy", "docker.io/istio/proxyv2:1.22.0")],
                   statuses=[terminated("main", 0, since=3, until=100), running("istio-proxy", since=2)])
    assert with_code(findings_of(make(), now=120), BLOCKED) == []
    late = with_code(findings_of(make(), now=400), BLOCKED)
    assert len(late) == 1 and "quitquitquit" in " ".join(late[0].evidence)


# --- podFailurePolicy -------------------------------------------------------------------------------

def _native_template():
    return pod("x", owner=job_owner("demo"), restart_policy="Never", phase=None,
               init_containers=[container("proxy", "envoyproxy/envoy:v1.31", port=9901, restart_policy="Always")],
               containers=[container("main", "busybox:1.36")])


def _policy(operator, values, action="FailJob", container_name=None):
    on = {"operator": operator, "values": values}
    if container_name:
        on["containerName"] = container_name
    return {"rules": [{"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]},
                      {"action": action, "onExitCodes": on}]}


def _policy_findings(policy, template=None):
    j = job("train", template=template or _native_template(), pod_failure_policy=policy, active=1)
    return verdict_of(j, snapshot(jobs=[j])).findings


def test_policy_in_137_without_container_name_matches_the_sidecar():
    found = _policy_findings(_policy("In", [137]))
    assert [(f.code, f.severity) for f in found] == [("pod-failure-policy-matches-sidecar", "warning")]
    assert "rules[1]" in found[0].message and "proxy" in found[0].message
    assert "containerName: main" in shown(found[0])


def test_policy_not_in_matches_sidecar_signals():
    found = _policy_findings(_policy("NotIn", [0, 1, 2]))
    assert len(found) == 1 and "137 or 143" in found[0].message


def test_policy_near_misses():
    assert _policy_findings(_policy("In", [137], container_name="main")) == []
    assert _policy_findings(_policy("In", [1, 42])) == []
    assert _policy_findings(_policy("In", [137], action="Count")) == []
    plain = pod("x", owner=job_owner("demo"), restart_policy="Never", phase=None,
                containers=[container("main", "busybox:1.36")])
    assert _policy_findings(_policy("In", [137]), template=plain) == []


# --- job-failed-by-sidecar --------------------------------------------------------------------------

def test_failed_job_whose_legacy_sidecar_failed_the_pod():
    p = pod("etl-1", owner=job_owner("etl"), restart_policy="Never", phase=None,
            containers=[container("etl", "python:3.12"),
                        container("cloud-sql-proxy", "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.14.0", port=5432)],
            statuses=[terminated("etl", 0, since=3, until=50), terminated("cloud-sql-proxy", 137, since=2, until=82)])
    j = job("etl", template=p, failed=1, conditions=[("Failed", "DeadlineExceeded",
                                                      "Job was active longer than specified deadline")])
    verdict = verdict_of(j, snapshot(p, jobs=[j]))
    found = [f for f in verdict.findings if f.code == "job-failed-by-sidecar"]
    assert [(f.container, f.severity) for f in found] == [("cloud-sql-proxy", "error")]
    assert verdict.status == "Failed" and verdict.done
    assert "cloud-sql-proxy" in verdict.reason


def test_failed_job_by_pod_failure_policy_on_a_sidecar():
    template = _native_template()
    j = job("train", template=template, failed=1, conditions=[(
        "Failed", "PodFailurePolicy", "Container proxy for pod default/train-abc12 failed with exit code 137 "
                                      "matching FailJob rule at index 1")])
    found = [f for f in verdict_of(j, snapshot(jobs=[j])).findings if f.code == "job-failed-by-sidecar"]
    assert [f.container for f in found] == ["proxy"]


def test_failed_job_by_its_app_is_not_blamed_on_sidecars():
    p = pod("calc-1", owner=job_owner("calc"), restart_policy="Never", phase=None,
            init_containers=[container("proxy", "envoyproxy/envoy:v1.31", port=9901, restart_policy="Always",
                                       startupProbe={"tcpSocket": {"port": 9901}, "periodSeconds": 1,
                                                     "failureThreshold": 30})],
            containers=[container("calc", "python:3.12")],
            init_statuses=[terminated("proxy", 143, since=1, until=400)],
            statuses=[terminated("calc", 2, since=5, until=399)])
    j = job("calc", template=p, failed=7, conditions=[("Failed", "BackoffLimitExceeded",
                                                       "Job has reached the specified backoff limit")])
    verdict = verdict_of(j, snapshot(p, jobs=[j], now=900))
    assert verdict.findings == []
    assert verdict.reason.startswith("The Job failed (BackoffLimitExceeded")


def test_complete_job_has_no_job_findings():
    p = pi_native()
    j = job("pi-sidecar", template=p, succeeded=1, conditions=[("Complete", None, None)], completion=15)
    verdict = verdict_of(j, snapshot(p, jobs=[j]))
    assert verdict.findings == [] and verdict.status == "Complete" and verdict.completions == "1/1"
    assert CATALOG["job-failed-by-sidecar"].severity == "error"


# --- job-blocked-by-legacy-sidecar: near misses of workflow pods and fresh ends ---------------------

def test_blocked_is_a_warning_until_the_grace_period_ran_out_then_an_error():
    # pi finished at 9s: the helper may still be on its way out for a grace period
    early = with_code(findings_of(pi_legacy(), now=30), BLOCKED)
    assert [(f.severity, f.container) for f in early] == [("warning", "sidecar")]
    assert "can never finish" not in early[0].message and "21s after the app finished" in early[0].message
    assert "unless it exits" in early[0].message
    late = with_code(findings_of(pi_legacy(), now=9 + 61), BLOCKED)
    assert [f.severity for f in late] == ["error"] and "can never finish" in late[0].message
    # a longer grace period is waited out too
    slow = pi_legacy()
    slow["spec"]["terminationGracePeriodSeconds"] = 120
    assert [f.severity for f in with_code(findings_of(slow, now=9 + 90), BLOCKED)] == ["warning"]
    assert [f.severity for f in with_code(findings_of(slow, now=9 + 121), BLOCKED)] == ["error"]


def _two_workers():
    """A Job pod of two workers: one finished, the other still busy (nothing marks it as a helper)."""
    return pod("nightly-export-b7c8d", owner=job_owner("nightly-export"), restart_policy="Never", phase=None,
               containers=[container("export-users", "registry.example.com/exporter:1.2",
                                     command=["./export", "users"]),
                           container("export-orders", "registry.example.com/exporter:1.2",
                                     command=["./export", "orders"])],
               statuses=[terminated("export-users", 0, since=3, until=100), running("export-orders", since=3)])


def test_blocked_never_fires_at_once_on_a_second_worker_still_busy():
    for now in (130, 400, 690):
        assert with_code(findings_of(_two_workers(), now=now), BLOCKED) == [], now
    found = with_code(findings_of(_two_workers(), now=100 + 11 * 60), BLOCKED)
    assert [(f.severity, f.container) for f in found] == [("warning", "export-orders")]
    assert "still running 11 min after the app finished" in found[0].message
    assert "worker still busy" in found[0].message
    # hours later it is still only a warning: the evidence is behaviour alone
    assert [f.severity for f in with_code(findings_of(_two_workers(), now=100 + 5 * 3600), BLOCKED)] == ["warning"]


def test_blocked_by_the_default_container_annotation_alone_is_a_late_warning():
    p = pod("report-x1", owner=job_owner("report"), restart_policy="Never", phase=None,
            annotations={"kubectl.kubernetes.io/default-container": "main"},
            containers=[container("uploader", "registry.example.com/uploader:2"),
                        container("main", "registry.example.com/report:2")],
            statuses=[running("uploader", since=2), terminated("main", 0, since=3, until=100)])
    assert with_code(findings_of(p, now=300), BLOCKED) == []
    found = with_code(findings_of(p, now=100 + 15 * 60), BLOCKED)
    assert [(f.severity, f.container) for f in found] == [("warning", "uploader")]
    assert "not the pod's main container" in found[0].message


def test_blocked_skips_pods_whose_controller_ends_them():
    istio = '{"initContainers":["istio-init"],"containers":["istio-proxy"]}'
    argo = pod("hello-world-x7k9p", owner=owner("Workflow", "hello-world-x7k9p"), restart_policy="Never", phase=None,
               annotations={"kubectl.kubernetes.io/default-container": "main", "sidecar.istio.io/status": istio},
               containers=[container("wait", "quay.io/argoproj/argoexec:v3.5.10", command=["argoexec", "wait"]),
                           container("main", "docker/whalesay:latest", command=["cowsay", "hello"]),
                           container("istio-proxy", "docker.io/istio/proxyv2:1.22.3")],
               statuses=[running("wait", since=2),
                         terminated("main", 0, since=3, until=5),
                         running("istio-proxy", since=2)])
    tekton = pod("build-run-8xk2l-pod", owner=owner("TaskRun", "build-run-8xk2l"), restart_policy="Never", phase=None,
                 containers=[container("step-clone", "cgr.dev/chainguard/git:latest",
                                       command=["/tekton/bin/entrypoint"]),
                             container("step-push", "gcr.io/kaniko-project/executor:v1.23.0",
                                       command=["/tekton/bin/entrypoint"])],
                 statuses=[terminated("step-clone", 0, since=3, until=30), running("step-push", since=3)])
    runner = pod("arc-runner-8h4fd", owner=owner("EphemeralRunner", "arc-runner-8h4fd"), restart_policy="Never",
                 phase=None,
                 containers=[container("runner", "ghcr.io/actions/actions-runner:2.319.1",
                                       command=["/home/runner/run.sh"]),
                             container("dind", "docker:dind", args=["dockerd", "--host=unix:///var/run/docker.sock"])],
                 statuses=[terminated("runner", 0, since=3, until=30), running("dind", since=3)])
    for p in (argo, tekton, runner):
        for now in (60, 3600):
            assert with_code(findings_of(p, now=now), BLOCKED) == [], (p["metadata"]["name"], now)
    # the same istio-proxy in a bare pod (no controller to end it) is blocked
    bare = pod("one-off-migrate", restart_policy="Never", phase=None, annotations={"sidecar.istio.io/status": istio},
               containers=[container("migrate", "registry.example.com/migrate:1"),
                           container("istio-proxy", "docker.io/istio/proxyv2:1.22.3")],
               statuses=[terminated("migrate", 0, since=3, until=5), running("istio-proxy", since=2)])
    found = with_code(findings_of(bare, now=600), BLOCKED)
    assert [(f.severity, f.container) for f in found] == [("error", "istio-proxy")]
    assert "the pod stays Running and can never finish" in found[0].message


def test_blocked_gives_a_helper_watching_a_done_file_a_moment():
    def make():
        return pod("etl-done-1", owner=job_owner("etl-done"), restart_policy="Never", phase=None,
                   containers=[container("main", "registry.example.com/etl:1",
                                         command=["/bin/sh", "-c", "./etl && touch /shared/done"]),
                               container("log-shipper", "registry.example.com/log-shipper:2.0",
                                         command=["/bin/sh", "-c"],
                                         args=["./ship & while [ ! -f /shared/done ]; do sleep 1; done; kill %1"])],
                   statuses=[terminated("main", 0, since=3, until=100), running("log-shipper", since=2)])
    assert with_code(findings_of(make(), now=110), BLOCKED) == []
    late = with_code(findings_of(make(), now=400), BLOCKED)
    assert [f.severity for f in late] == ["error"] and "done" in " ".join(late[0].evidence)


def test_weak_evidence_kinds_are_the_classifier_s():
    from kubectl_sidecars.model.classify import EVIDENCE_KINDS
    from kubectl_sidecars.rules.jobs import WEAK_EVIDENCE

    assert set(WEAK_EVIDENCE) <= set(EVIDENCE_KINDS)


def test_verdict_of_a_job_with_a_second_worker_still_busy():
    p = _two_workers()
    j = job("nightly-export", template=p, active=1)
    verdict = verdict_of(j, snapshot(p, jobs=[j], now=400))
    assert verdict.reason.startswith("The Job is running") and "never" not in verdict.reason.lower()
    late = verdict_of(j, snapshot(p, jobs=[j], now=100 + 11 * 60))
    assert late.reason.startswith("Not done yet") and "\"export-orders\" is still running" in late.reason
    assert late.reason.count(". ") == 0 and late.reason.endswith(".")


def test_failed_job_whose_app_failed_beside_a_log_shipper_is_not_blamed_on_it():
    p = pod("report-badarg", owner=job_owner("report"), restart_policy="Never", phase=None,
            init_containers=[container("fluent-bit", "cr.fluentbit.io/fluent/fluent-bit:3.1.4", port=2020,
                                       restart_policy="Always")],
            containers=[container("report", "registry.example.com/report:1.0", args=["--date", "yesterday"])],
            init_statuses=[terminated("fluent-bit", 0, since=2, until=7)],
            statuses=[terminated("report", 2, since=4, until=5)])
    j = job("report", template=p, failed=1, backoff_limit=0, conditions=[(
        "Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit")])
    verdict = verdict_of(j, snapshot(p, jobs=[j], now=120))
    assert verdict.findings == [] and "because of sidecar" not in verdict.reason
