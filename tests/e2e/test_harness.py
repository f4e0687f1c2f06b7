"""The harness itself: if these fail, the plugin's e2e results mean nothing."""

import os
import subprocess

import pytest

from tests.factory import container, live, sidecar

from .cluster import K8S_VERSION, ApiError

TABLE = "application/json;as=Table;g=meta.k8s.io;v=v1"
VIEWER = "restricted-viewer"


def table_cells(api, path):
    """{column name: cell} of the server-side table printer, the source of `kubectl get` columns."""
    table = api.get(path, accept=TABLE)
    names = [column["name"] for column in table["columnDefinitions"]]
    return dict(zip(names, table["rows"][0]["cells"]))


def kubectl(cluster, *args, kubeconfig=None):
    return subprocess.run([str(cluster.kubectl), "--kubeconfig", str(kubeconfig or cluster.admin_kubeconfig),
                           *args], capture_output=True, text=True, timeout=30, env={**os.environ, "KUBERC": "off"})


def test_api_server_reports_the_built_version(cluster):
    assert cluster.admin.get("/version")["gitVersion"] == K8S_VERSION


def test_kubectl_is_the_matching_client(cluster):
    out = kubectl(cluster, "version", "--client", "-o", "json")
    assert '"gitVersion": "%s"' % K8S_VERSION in out.stdout, out.stderr


def test_pod_status_written_by_the_test_is_read_back(kube, ns):
    pod = kube.pod(ns, "web", init=[sidecar("proxy")], containers=[container("app")],
                   statuses=[live.running("proxy"),
                             live.waiting("app", "CrashLoopBackOff", restarts=3, last=live.exited(1))])

    read = kube.api.get(f"/api/v1/namespaces/{ns}/pods/web")
    assert read["metadata"]["uid"] == pod["metadata"]["uid"]
    assert read["spec"]["nodeName"] == "e2e-node"
    [proxy] = read["status"]["initContainerStatuses"]
    [app] = read["status"]["containerStatuses"]
    assert proxy["started"] is True and "running" in proxy["state"]
    assert app["state"]["waiting"]["reason"] == "CrashLoopBackOff"
    assert app["lastState"]["terminated"]["exitCode"] == 1 and app["restartCount"] == 3
    assert read["status"]["phase"] == "Running"
    conditions = {c["type"]: c["status"] for c in read["status"]["conditions"]}
    assert conditions == {"PodReadyToStartContainers": "True", "PodScheduled": "True", "Initialized": "True",
                          "ContainersReady": "False", "Ready": "False"}


# What kubectl's own printer makes of the statuses the builders write: the plugin is compared to it.
PRINTED = [
    pytest.param([sidecar("proxy")], [container("app")], "Always", [live.running("proxy"), live.running("app")],
                 "2/2", "Running", id="sidecar-counts-in-ready"),
    pytest.param([sidecar("proxy")], [container("app")], "Always",
                 [live.running("proxy", started=False, ready=False), live.waiting("app", "PodInitializing")],
                 "0/2", "Init:0/1", id="sidecar-not-started"),
    pytest.param([container("migrate"), sidecar("proxy")], [container("app")], "Always",
                 [live.waiting("migrate", "CrashLoopBackOff", restarts=2, last=live.exited(1)),
                  live.waiting("proxy", "PodInitializing"), live.waiting("app", "PodInitializing")],
                 "0/2", "Init:CrashLoopBackOff", id="init-crashloop"),
    pytest.param([], [container("app")], "Always", [live.waiting("app", "ImagePullBackOff")],
                 "0/1", "ImagePullBackOff", id="image-pull"),
    pytest.param([sidecar("proxy")], [container("main")], "Never",
                 [live.terminated("proxy", 137, signal=9), live.terminated("main", 0)],
                 "0/2", "Completed", id="job-pod-sidecar-killed"),
    pytest.param([], [container("main"), container("istio-proxy")], "Never",
                 [live.terminated("main", 0), live.running("istio-proxy")],
                 "1/2", "NotReady", id="legacy-sidecar-blocks"),
]


@pytest.mark.parametrize("init, containers, restart_policy, statuses, ready, status", PRINTED)
def test_table_printer_agrees_with_the_builders(kube, ns, init, containers, restart_policy, statuses,
                                                ready, status):
    kube.pod(ns, "p", init=init, containers=containers, restart_policy=restart_policy, statuses=statuses)
    cells = table_cells(kube.api, f"/api/v1/namespaces/{ns}/pods/p")
    assert (cells["Ready"], cells["Status"]) == (ready, status)


def test_terminating_pod_stays_terminating(kube, ns):
    pod = kube.pod(ns, "old", containers=[container("app")], statuses=[live.running("app")])
    kube.terminate(pod)
    assert kube.api.get(f"/api/v1/namespaces/{ns}/pods/old")["metadata"]["deletionTimestamp"]
    assert table_cells(kube.api, f"/api/v1/namespaces/{ns}/pods/old")["Status"] == "Terminating"


def test_job_status_is_accepted_and_printed(kube, ns):
    done = kube.job(ns, "done", init=[sidecar("proxy")], containers=[container("main")])
    kube.job_pod(done, statuses=[live.terminated("proxy", 143), live.terminated("main", 0)])
    kube.job_status(done, succeeded=1, outcome="Complete")
    failed = kube.job(ns, "failed", containers=[container("main")], backoffLimit=0)
    kube.job_pod(failed, statuses=[live.terminated("main", 2)])
    kube.job_status(failed, failed=1, outcome="Failed")

    for name, status, completions in [("done", "Complete", "1/1"), ("failed", "Failed", "0/1")]:
        cells = table_cells(kube.api, f"/apis/batch/v1/namespaces/{ns}/jobs/{name}")
        assert (cells["Status"], cells["Completions"]) == (status, completions)
    [pod] = kube.api.get(f"/api/v1/namespaces/{ns}/pods", params={"labelSelector": "job-name=done"})["items"]
    assert pod["metadata"]["ownerReferences"][0]["uid"] == done["metadata"]["uid"]
    assert pod["metadata"]["labels"]["batch.kubernetes.io/controller-uid"] == done["metadata"]["uid"]


def test_cronjob_run_and_events(kube, ns):
    nightly = kube.cronjob(ns, "nightly", init=[sidecar("proxy")], containers=[container("main")])
    job, pod = kube.cronjob_run(nightly, statuses=[live.running("proxy"), live.running("main")])
    kube.event(pod, "Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 503",
               container="proxy", count=4)

    assert job["metadata"]["ownerReferences"][0]["kind"] == "CronJob"
    events = kube.api.get(f"/api/v1/namespaces/{ns}/events")["items"]
    assert [(e["reason"], e["involvedObject"]["name"], e["involvedObject"]["fieldPath"], e["count"])
            for e in events] == [("Unhealthy", pod["metadata"]["name"], "spec.initContainers{proxy}", 4)]


def test_nodes_report_kubelet_version(kube):
    node = kube.node("skewed-node", kubelet_version="v1.28.9")
    assert node["status"]["nodeInfo"]["kubeletVersion"] == "v1.28.9"


def test_audit_log_records_each_user(cluster, ns):
    probe = cluster.api_as("audit-probe")
    with pytest.raises(ApiError) as refused:
        probe.get(f"/api/v1/namespaces/{ns}/pods")
    assert refused.value.status == 403

    [event] = cluster.wait_for_audit("audit-probe", lambda e: e["requestURI"] == f"/api/v1/namespaces/{ns}/pods")
    assert (event["verb"], event["objectRef"]["resource"], event["responseStatus"]["code"]) == ("list", "pods", 403)
    assert event["stage"] == "ResponseComplete"


def test_namespace_scoped_reader_is_confined_to_its_namespace(cluster, kube, ns):
    kube.pod(ns, "visible", containers=[container("app")], statuses=[live.running("app")])
    cluster.bind_role(VIEWER, ns, [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}])
    viewer = cluster.api_as(VIEWER)

    assert [p["metadata"]["name"] for p in viewer.get(f"/api/v1/namespaces/{ns}/pods")["items"]] == ["visible"]
    with pytest.raises(ApiError) as cluster_wide:
        viewer.get("/api/v1/pods")
    assert cluster_wide.value.status == 403


def test_kubeconfig_context_namespace_is_the_default(cluster, kube, ns):
    kube.pod(ns, "here", containers=[container("app")], statuses=[live.running("app")])
    config = cluster.user_kubeconfig("admin", ["system:masters"], namespace=ns)
    out = kubectl(cluster, "get", "pods", "-o", "name", kubeconfig=config)
    assert out.stdout.split() == ["pod/here"], out.stderr
