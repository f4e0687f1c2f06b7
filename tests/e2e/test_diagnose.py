"""`kubectl sidecars diagnose` on the real control plane: the seed scenarios built as CronJobs and Jobs with
their pods, statuses and events (see examples/01-04), then the other targets, --fail-on, forbidden Events,
API failures, kubelet version skew and `explain`.

Times are "seconds ago", taken from what a real cluster showed for each scenario."""

import json
import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.factory import ago, container, http_probe, live, sidecar

PI_COMMAND = ["perl", "-Mbignum=bpi", "-wle", "print bpi(2000)"]
SEVERITY_RANK = {"info": 1, "warning": 2, "error": 3}


# --- helpers -----------------------------------------------------------------------------------------

def run_all(run_plugin, *calls):
    """Runs independent plugin invocations side by side (each pays a Python start-up); results in order.
    Each call is a list of arguments, optionally ending with a dict of run_plugin keywords."""
    def run(call):
        kw = call[-1] if call and isinstance(call[-1], dict) else {}
        return run_plugin(*(call[:-1] if kw else call), **kw)

    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(run, calls))


def json_and_report(run_plugin, *args):
    """`diagnose ARGS -o json` and the human report of the same, side by side: (document, report)."""
    as_json, as_table = run_all(run_plugin, ["diagnose", *args, "-o", "json"], ["diagnose", *args])
    for result in (as_json, as_table):
        assert result.code == 0, result
        assert "Traceback" not in result.stderr
    document = json.loads(as_json.stdout)
    assert (document["apiVersion"], document["kind"]) == ("kubectl-sidecars/v1", "SidecarDiagnosis")
    return document, as_table.stdout


def all_findings(document):
    """Every finding of the document, pod and Job scope, as (where, finding)."""
    found = [(pod["name"], f) for pod in document["pods"] for f in pod["findings"]]
    found += [(job["name"], f) for job in document["jobs"] for f in job["findings"]]
    return found


def codes(document, at_least="info"):
    return {f["code"] for _, f in all_findings(document) if SEVERITY_RANK[f["severity"]] >= SEVERITY_RANK[at_least]}


def finding(document, code, container=None):
    """The one finding with this code (and container), failing with the whole list otherwise."""
    matches = [f for _, f in all_findings(document)
               if f["code"] == code and (container is None or f["container"] == container)]
    assert len(matches) == 1, (code, container, [(w, f["code"], f["container"]) for w, f in all_findings(document)])
    return matches[0]


def pod_names(document):
    return [pod["name"] for pod in document["pods"]]


def one_line_error(result, expected_code):
    assert result.code == expected_code, result
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr


def verdict_line(out, ns, job, status):
    """The report's first line for a Job: `Job NS/NAME   STATUS`."""
    assert re.search(rf"^Job {re.escape(ns)}/{re.escape(job)}\s+{status}$", out, re.MULTILINE), out


# --- the seed scenarios ------------------------------------------------------------------------------

SLOW_SIDECAR_PORTS = [{"containerPort": 8081, "protocol": "TCP"}]


@pytest.fixture
def legacy_cronjob(kube, ns):
    """Scenario 1: the app curls a helper in spec.containers before it listens, exits 1; the helper runs
    on, so the pod shows 1/2 Error and the Job stays active (observed 6 minutes after the schedule)."""
    cronjob = kube.cronjob(ns, "sidecar-cronjob", schedule="35 9 * * *", containers=[
        container("sidecar-user", "zwindler/sidecar-user"),
        container("slow-sidecar", "zwindler/slow-sidecar", ports=SLOW_SIDECAR_PORTS),
    ])
    job, pod = kube.cronjob_run(cronjob, name="sidecar-cronjob-29866175", statuses=[
        live.terminated("sidecar-user", 1, since=ago(358), until=ago(357)),
        live.running("slow-sidecar", since=ago(356)),
    ])
    kube.job_status(job, active=1, ready=0, started_ago=360)
    kube.event(job, "SuccessfulCreate", f"Created pod: {pod['metadata']['name']}", type="Normal",
               component="job-controller", first_ago=360, last_ago=360)
    for name, started in (("sidecar-user", 358), ("slow-sidecar", 356)):
        kube.event(pod, "Started", f"Started container {name}", type="Normal", container=name,
                   first_ago=started, last_ago=started)
    return cronjob, job, pod


@pytest.fixture
def native_cronjob(kube, ns):
    """Scenario 2: slow-sidecar as a native sidecar with a startupProbe; the app waits for it, exits 0; the
    helper ignores SIGTERM and is SIGKILLed at the 30 s deadline (137). Pod Completed, Job 1/1."""
    probe = http_probe(8081, "/", period=1, failures=10, delay=5)
    cronjob = kube.cronjob(ns, "sidecar-cronjob-native", schedule="5 10 * * *",
                           init=[sidecar("slow-sidecar", "zwindler/slow-sidecar", ports=SLOW_SIDECAR_PORTS,
                                         startupProbe=probe)],
                           containers=[container("sidecar-user", "zwindler/sidecar-user")])
    job, pod = kube.cronjob_run(cronjob, name="sidecar-cronjob-native-29866205", statuses=[
        live.terminated("slow-sidecar", 137, since=ago(118), until=ago(79)),
        live.terminated("sidecar-user", 0, since=ago(111), until=ago(109)),
    ])
    kube.job_status(job, succeeded=1, outcome="Complete", started_ago=120, finished_ago=77)
    kube.event(pod, "Unhealthy", 'Startup probe failed: Get "http://10.2.0.10:8081/": dial tcp 10.2.0.10:8081: '
               "connect: connection refused", container="slow-sidecar", count=2, first_ago=113, last_ago=112)
    kube.event(pod, "Started", "Started container sidecar-user", type="Normal", container="sidecar-user",
               first_ago=111, last_ago=111)
    kube.event(pod, "Killing", "Stopping container slow-sidecar", type="Normal", container="slow-sidecar",
               first_ago=108, last_ago=108)
    kube.event(job, "Completed", "Job completed", type="Normal", component="job-controller",
               first_ago=77, last_ago=77)
    return cronjob, job, pod


@pytest.fixture
def pi_legacy(kube, ns):
    """Scenario 3: Job pi, a plain netutils `sidecar` in spec.containers; pi finished 15 minutes ago, the
    sidecar runs on: 1/2 NotReady, Job 0/1."""
    job = kube.job(ns, "pi", backoffLimit=4, containers=[
        container("pi", "perl:5.34.0", command=PI_COMMAND),
        container("sidecar", "hwchiu/netutils"),
    ])
    pod = kube.job_pod(job, statuses=[
        live.terminated("pi", 0, since=ago(905), until=ago(898)),
        live.running("sidecar", since=ago(906)),
    ])
    kube.job_status(job, active=1, ready=0, started_ago=910)
    kube.event(job, "SuccessfulCreate", f"Created pod: {pod['metadata']['name']}", type="Normal",
               component="job-controller", first_ago=910, last_ago=910)
    kube.event(pod, "Started", "Started container pi", type="Normal", container="pi", first_ago=905, last_ago=905)
    kube.event(pod, "Started", "Started container sidecar", type="Normal", container="sidecar",
               first_ago=906, last_ago=906)
    return job, pod


@pytest.fixture
def pi_native(kube, ns):
    """Scenario 4: Job pi-sidecar, network-proxy as a native sidecar; Completed in 13 s, Job 1/1, the
    events end with the kubelet stopping the sidecar."""
    job = kube.job(ns, "pi-sidecar", init=[sidecar("network-proxy", "hwchiu/python-example")],
                   containers=[container("pi", "perl:5.34.0", command=PI_COMMAND)])
    pod = kube.job_pod(job, statuses=[
        live.terminated("network-proxy", 0, since=ago(298), until=ago(288)),
        live.terminated("pi", 0, since=ago(297), until=ago(290)),
    ])
    kube.job_status(job, succeeded=1, outcome="Complete", started_ago=300, finished_ago=287)
    kube.event(job, "SuccessfulCreate", f"Created pod: {pod['metadata']['name']}", type="Normal",
               component="job-controller", first_ago=300, last_ago=300)
    for name, started in (("network-proxy", 298), ("pi", 297)):
        kube.event(pod, "Started", f"Started container {name}", type="Normal", container=name,
                   first_ago=started, last_ago=started)
    kube.event(pod, "Killing", "Stopping container network-proxy", type="Normal", container="network-proxy",
               first_ago=289, last_ago=289)
    kube.event(job, "Completed", "Job completed", type="Normal", component="job-controller",
               first_ago=287, last_ago=287)
    return job, pod


def test_scenario_1_legacy_helper_race_blocks_the_cronjob(kube, run_plugin, ns, legacy_cronjob):
    cronjob, job, pod = legacy_cronjob
    # A Job of the same name pattern but not owned by the CronJob is not one of its runs.
    stray = kube.job(ns, "sidecar-cronjob-manual", containers=[container("sidecar-user")])
    kube.job_pod(stray, statuses=[live.terminated("sidecar-user", 1)])
    document, out = json_and_report(run_plugin, "cronjob", "sidecar-cronjob", "-n", ns)

    assert [j["name"] for j in document["jobs"]] == [job["metadata"]["name"]]
    verdict = document["jobs"][0]
    assert verdict["done"] is False
    assert (verdict["completions"], verdict["active"], verdict["succeeded"], verdict["failed"]) == ("0/1", 1, 0, 0)
    assert verdict["status"] == "Running"
    assert "slow-sidecar" in verdict["reason"] and "sidecar-user" in verdict["reason"], verdict["reason"]
    assert verdict["reason"].startswith("Never done"), verdict["reason"]

    assert pod_names(document) == [pod["metadata"]["name"]]
    row = document["pods"][0]
    assert (row["ready"], row["status"]) == ("1/2", "Error")
    blocked = finding(document, "job-blocked-by-legacy-sidecar", "slow-sidecar")
    assert blocked["severity"] == "error"
    [migration] = blocked["patches"]
    assert migration["patch"]["spec"]["initContainers"][0]["restartPolicy"] == "Always"
    assert migration["patch"]["spec"]["containers"] == [{"name": "slow-sidecar", "$patch": "delete"}]
    race = finding(document, "app-started-before-sidecar-ready", "sidecar-user")
    # restartPolicy Never: the app is not restarted, so this pod can never succeed.
    assert race["severity"] == "error"
    assert "exit 1" in race["message"] and "slow-sidecar" in race["message"]
    assert race["related"] == "slow-sidecar"
    assert race["patches"] == blocked["patches"]  # the same move, shown once in the report
    assert document["notes"] == []

    verdict_line(out, ns, job["metadata"]["name"], "Running")
    assert "Never done" in out
    assert "job-blocked-by-legacy-sidecar" in out and "app-started-before-sidecar-ready" in out
    assert re.search(r"^\s*ERROR\s+.*job-blocked-by-legacy-sidecar\S*\s+container slow-sidecar$", out, re.MULTILINE)


def test_scenario_2_native_helper_with_startup_probe_completes(run_plugin, ns, native_cronjob):
    cronjob, job, pod = native_cronjob
    document, out = json_and_report(run_plugin, "cronjob", "sidecar-cronjob-native", "-n", ns)

    verdict = document["jobs"][0]
    assert verdict["done"] is True and verdict["status"] == "Complete"
    assert (verdict["completions"], verdict["succeeded"]) == ("1/1", 1)
    assert "Complete" in verdict["conditions"]
    assert document["pods"][0]["status"] == "Completed"

    assert codes(document, "error") == set()
    assert codes(document, "warning") <= {"sidecar-sigkilled"}
    # The 137 is explained, as the warning it is: the pod took the grace period longer.
    killed = finding(document, "sidecar-sigkilled", "slow-sidecar")
    assert killed["severity"] == "warning"
    assert "137" in killed["message"] and "30s" in killed["message"]
    assert "app-started-before-sidecar-ready" not in codes(document)
    assert "no-startup-probe" not in codes(document)

    verdict_line(out, ns, job["metadata"]["name"], "Complete")
    assert "The Job completed" in out
    assert "sidecar-sigkilled" in out
    assert not re.search(r"^\s*ERROR\s", out, re.MULTILINE), out


def test_scenario_3_pi_with_a_plain_sidecar_is_blocked(run_plugin, ns, pi_legacy):
    job, pod = pi_legacy
    document, out = json_and_report(run_plugin, "job", "pi", "-n", ns)

    verdict = document["jobs"][0]
    assert verdict["done"] is False
    assert (verdict["completions"], verdict["active"]) == ("0/1", 1)
    assert "sidecar" in verdict["reason"] and "never finish" in verdict["reason"], verdict["reason"]
    row = document["pods"][0]
    assert (row["name"], row["ready"], row["status"]) == (pod["metadata"]["name"], "1/2", "NotReady")

    blocked = finding(document, "job-blocked-by-legacy-sidecar", "sidecar")
    assert blocked["severity"] == "error"
    # The migration: `sidecar` moved under initContainers with restartPolicy: Always, in the Job's template.
    [migration] = blocked["patches"]
    assert migration["target"] == {"kind": "Job", "namespace": ns, "name": job["metadata"]["name"],
                                   "path": "spec.template"}
    [moved] = migration["patch"]["spec"]["initContainers"]
    assert (moved["name"], moved["restartPolicy"], moved["image"]) == ("sidecar", "Always", "hwchiu/netutils")
    name = pod["metadata"]["name"]
    # The advice that lets this run finish stops the sidecar; deleting the pod is named only as what reruns it.
    assert f"kubectl exec {name} -n {ns} -c sidecar -- kill 1" in blocked["remedy"]
    assert f"Deleting the pod instead (kubectl delete pod {name} -n {ns}) throws this run away" in blocked["remedy"]
    assert codes(document, "error") == {"job-blocked-by-legacy-sidecar"}

    verdict_line(out, ns, "pi", "Running")
    assert "job-blocked-by-legacy-sidecar" in out
    assert "restartPolicy: Always" in out


def test_scenario_4_pi_with_a_native_sidecar_is_healthy(run_plugin, ns, pi_native):
    job, pod = pi_native
    document, out = json_and_report(run_plugin, "job", "pi-sidecar", "-n", ns)

    verdict = document["jobs"][0]
    assert verdict["done"] is True and verdict["status"] == "Complete"
    assert verdict["completions"] == "1/1"
    assert "13s" in verdict["reason"], verdict["reason"]
    row = document["pods"][0]
    assert (row["ready"], row["status"]) == ("0/2", "Completed")
    assert codes(document, "warning") == set(), all_findings(document)

    verdict_line(out, ns, "pi-sidecar", "Complete")
    assert not re.search(r"^\s*(ERROR|WARNING)\s", out, re.MULTILINE), out


# --- other targets -----------------------------------------------------------------------------------

def test_diagnose_pod(run_plugin, ns, pi_legacy, pi_native):
    job, pod = pi_legacy
    name = pod["metadata"]["name"]
    # kubectl's KIND/NAME spelling reads the same pod.
    spelled, slashed = run_all(run_plugin, ["diagnose", "pod", name, "-n", ns, "-o", "json"],
                               ["diagnose", f"po/{name}", "-n", ns, "-o", "json"])
    assert spelled.code == 0 and slashed.code == 0, (spelled, slashed)
    document = json.loads(spelled.stdout)

    assert pod_names(document) == [name]
    # the Job that owns the pod is judged with it, as `status` does for its ISSUES column
    assert [j["name"] for j in document["jobs"]] == [job["metadata"]["name"]]
    assert finding(document, "job-blocked-by-legacy-sidecar", "sidecar")["severity"] == "error"
    assert pod_names(json.loads(slashed.stdout)) == [name]


def test_diagnose_deployment_reads_pods_by_its_selector(kube, ns, run_plugin):
    labels = {"app": "web"}
    kube.api.post(f"/apis/apps/v1/namespaces/{ns}/deployments", {
        "metadata": {"name": "web"},
        "spec": {"replicas": 2, "selector": {"matchLabels": labels}, "template": {
            "metadata": {"labels": labels},
            "spec": {"initContainers": [sidecar("log-shipper")], "containers": [container("app")]}}}})
    oom = live.exited(137, "OOMKilled", since=ago(400), until=ago(300))
    kube.pod(ns, "web-1", labels=labels, init=[sidecar("log-shipper")], containers=[container("app")],
             statuses=[live.running("log-shipper", since=ago(290), restarts=1, last=oom),
                       live.running("app", since=ago(600))])
    kube.pod(ns, "web-2", labels=labels, init=[sidecar("log-shipper")], containers=[container("app")],
             statuses=[live.running("log-shipper", since=ago(600)), live.running("app", since=ago(600))])
    # Same namespace, not selected: its problem must not show up.
    kube.pod(ns, "batch-1", labels={"app": "batch"}, containers=[container("app"), container("istio-proxy")],
             statuses=[live.waiting("app", "CrashLoopBackOff", restarts=5, last=live.exited(1)),
                       live.running("istio-proxy")])

    spelled, short = run_all(run_plugin, ["diagnose", "deployment", "web", "-n", ns, "-o", "json"],
                             ["diagnose", "deploy/web", "-n", ns, "-o", "json"])
    assert spelled.code == 0 and short.code == 0, (spelled, short)
    document = json.loads(spelled.stdout)

    assert pod_names(document) == ["web-1", "web-2"]
    assert document["jobs"] == []
    by_pod = {pod["name"]: [f["code"] for f in pod["findings"]] for pod in document["pods"]}
    assert "sidecar-oomkilled" in by_pod["web-1"]
    assert finding(document, "sidecar-oomkilled", "log-shipper")["severity"] == "error"
    assert not [c for c in by_pod["web-2"] if c != "no-startup-probe"], by_pod
    assert pod_names(json.loads(short.stdout)) == ["web-1", "web-2"]


def test_diagnose_without_target_reads_the_whole_namespace(cluster, kube, ns, run_plugin, pi_legacy, pi_native):
    kube.pod(ns, "web", init=[sidecar("proxy")], containers=[container("app")],
             statuses=[live.running("proxy"), live.running("app")])
    expected = sorted([pi_legacy[1]["metadata"]["name"], pi_native[1]["metadata"]["name"], "web"])

    # Without -n: the context's namespace.
    with_n, in_context, table = run_all(
        run_plugin, ["diagnose", "-n", ns, "-o", "json"],
        ["diagnose", "-o", "json", {"kubeconfig": cluster.plugin_kubeconfig(namespace=ns)}],
        ["diagnose", "-n", ns])
    for result in (with_n, in_context, table):
        assert result.code == 0, result
    document = json.loads(with_n.stdout)
    assert pod_names(document) == expected
    assert "job-blocked-by-legacy-sidecar" in codes(document, "error")
    assert pod_names(json.loads(in_context.stdout)) == expected
    for name in expected:
        assert f"Pod {ns}/{name}" in table.stdout


# --- --fail-on ---------------------------------------------------------------------------------------

def test_fail_on_error(run_plugin, ns, pi_legacy, pi_native):
    blocked, blocked_json, healthy = run_all(
        run_plugin,
        ["diagnose", "job", "pi", "-n", ns, "--fail-on", "error"],
        ["diagnose", "job", "pi", "-n", ns, "--fail-on", "error", "-o", "json"],
        ["diagnose", "job", "pi-sidecar", "-n", ns, "--fail-on", "error"],
    )
    assert blocked.code == 1, blocked
    assert "job-blocked-by-legacy-sidecar" in blocked.stdout  # the report still comes out
    assert blocked.stderr == ""
    assert blocked_json.code == 1, blocked_json
    assert "job-blocked-by-legacy-sidecar" in codes(json.loads(blocked_json.stdout), "error")
    assert healthy.code == 0, healthy


def test_fail_on_warning_and_info(run_plugin, ns, native_cronjob, pi_native):
    job = native_cronjob[1]["metadata"]["name"]
    sigkilled_error, sigkilled_warning, healthy_warning, healthy_info, bad = run_all(
        run_plugin,
        ["diagnose", "job", job, "-n", ns, "--fail-on", "error"],
        ["diagnose", "job", job, "-n", ns, "--fail-on", "warning"],
        ["diagnose", "job", "pi-sidecar", "-n", ns, "--fail-on", "warning", "-o", "json"],
        ["diagnose", "job", "pi-sidecar", "-n", ns, "--fail-on", "info"],
        ["diagnose", "job", "pi-sidecar", "-n", ns, "--fail-on", "critical"],
    )
    # Scenario 2: a sidecar-sigkilled warning, nothing of error.
    assert sigkilled_error.code == 0, sigkilled_error
    assert sigkilled_warning.code == 1, sigkilled_warning
    assert "sidecar-sigkilled" in sigkilled_warning.stdout
    # Scenario 4: nothing of warning; --fail-on info trips exactly when some info finding exists.
    assert healthy_warning.code == 0, healthy_warning
    infos = all_findings(json.loads(healthy_warning.stdout))
    assert healthy_info.code == (1 if infos else 0), (infos, healthy_info)
    assert bad.code == 2, bad


# --- permissions and failures ------------------------------------------------------------------------

def test_forbidden_events_degrade_the_diagnosis(cluster, run_plugin, ns, pi_legacy):
    user = "diagnose-no-events"
    cluster.bind_role(user, ns, [
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]},
        {"apiGroups": ["batch"], "resources": ["jobs", "cronjobs"], "verbs": ["get", "list"]},
    ])
    kubeconfig = cluster.user_kubeconfig(user, namespace=ns)

    as_json, result = run_all(run_plugin, ["diagnose", "job", "pi", "-o", "json", {"kubeconfig": kubeconfig}],
                              ["diagnose", "job", "pi", {"kubeconfig": kubeconfig}])
    assert as_json.code == 0, as_json
    document = json.loads(as_json.stdout)
    assert document["jobs"][0]["done"] is False
    assert finding(document, "job-blocked-by-legacy-sidecar", "sidecar")["severity"] == "error"
    assert any("events could not be read" in note for note in document["notes"]), document["notes"]

    assert result.code == 0, result
    assert "job-blocked-by-legacy-sidecar" in result.stdout
    assert "Note: events could not be read" in result.stdout
    # It did try, and was refused: the note is not made up.
    refused = cluster.wait_for_audit(user, lambda e: "/events" in e["requestURI"])
    assert refused and all(e["responseStatus"]["code"] == 403 for e in refused)


def test_missing_target_is_one_line_not_found(run_plugin, ns, pi_native):
    for result in run_all(run_plugin, ["diagnose", "job", "nope", "-n", ns],
                          ["diagnose", "cronjob", "nope", "-n", ns, "-o", "json"],
                          ["diagnose", "deployment", "nope", "-n", ns]):
        one_line_error(result, 3)
        assert "not found" in result.stderr


def test_usage_errors(run_plugin, ns):
    calls = [["diagnose", "job", "-n", ns], ["diagnose", "job", "a", "b", "-n", ns],
             ["diagnose", "gizmo", "x", "-n", ns], ["diagnose", "-A", "job", "pi"]]
    results = run_all(run_plugin, *calls)
    for call, result in zip(calls, results):
        assert result.code == 2, (call, result)
        assert result.stdout == "" and "Traceback" not in result.stderr, (call, result)
    assert "NAME" in results[0].stderr


# --- version skew ------------------------------------------------------------------------------------

def test_native_sidecars_on_a_1_27_kubelet(kube, ns, run_plugin):
    node = f"{ns}-old"[:63]
    kube.node(node, kubelet_version="v1.27.16")
    job = kube.job(ns, "migrate", init=[sidecar("cloud-sql-proxy", "gcr.io/cloud-sql-connectors/cloud-sql-proxy")],
                   containers=[container("migrate")])
    # kubelet 1.27 does not know restartPolicy on init containers: the proxy runs as a plain init
    # container that never exits, so the app never starts.
    pod = kube.job_pod(job, node=node, statuses=[
        live.running("cloud-sql-proxy", ready=False, started=False, since=ago(500)),
        live.waiting("migrate", "PodInitializing")])
    kube.job_status(job, active=1, started_ago=510)

    # The same pod on a current kubelet, in the same namespace: no version finding there.
    kube.pod(ns, "current", init=[sidecar("cloud-sql-proxy", "gcr.io/cloud-sql-connectors/cloud-sql-proxy")],
             containers=[container("migrate")], statuses=[live.running("cloud-sql-proxy"), live.running("migrate")])

    job_result, namespace_result = run_all(run_plugin, ["diagnose", "job", "migrate", "-n", ns, "-o", "json"],
                                           ["diagnose", "-n", ns, "-o", "json"])
    assert job_result.code == 0 and namespace_result.code == 0, (job_result, namespace_result)
    document = json.loads(job_result.stdout)
    found = finding(document, "native-sidecars-unsupported", "cloud-sql-proxy")
    assert found["severity"] == "error"
    assert "v1.27.16" in found["message"]
    assert document["jobs"][0]["done"] is False
    assert "kubelet" in document["jobs"][0]["reason"], document["jobs"][0]["reason"]

    by_pod = {p["name"]: {f["code"] for f in p["findings"]} for p in json.loads(namespace_result.stdout)["pods"]}
    assert "native-sidecars-unsupported" in by_pod[pod["metadata"]["name"]]
    assert "native-sidecars-unsupported" not in by_pod["current"]


# --- explain -----------------------------------------------------------------------------------------

def test_explain(run_plugin):
    result, listing, unknown = run_all(run_plugin, ["explain", "job-blocked-by-legacy-sidecar"], ["explain"],
                                       ["explain", "nope"])
    assert result.code == 0, result
    assert result.stdout.startswith("job-blocked-by-legacy-sidecar (error")
    assert "What it means:" in result.stdout and "How to fix it:" in result.stdout
    assert "restartPolicy: Always" in result.stdout

    assert listing.code == 0, listing
    for code in ("job-blocked-by-legacy-sidecar", "app-started-before-sidecar-ready", "sidecar-sigkilled",
                 "native-sidecars-unsupported"):
        assert code in listing.stdout

    assert unknown.code == 2, unknown
    assert unknown.stdout == "" and "nope" in unknown.stderr
