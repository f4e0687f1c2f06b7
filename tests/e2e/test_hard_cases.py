"""Hard cases on the real control plane: a Job pod held by an Istio proxy gets advice that lets this run
finish (not a delete that reruns it), and a mesh init container in a crash loop is named, not the proxy.

Times are "seconds ago"; the tests play the kubelet through the status subresource."""

import json

from tests.factory import IMAGES, ago, container, istio_annotations, live


def diagnosis(run_plugin, *args):
    result = run_plugin("diagnose", *args, "-o", "json")
    assert result.code == 0 and "Traceback" not in result.stderr, result
    return json.loads(result.stdout)


def pod_findings(document, pod_name):
    [pod] = [p for p in document["pods"] if p["name"] == pod_name]
    return pod["findings"]


def test_job_pod_held_by_istio_proxy_is_told_how_to_finish_this_run(kube, run_plugin, ns):
    job = kube.job(ns, "export", backoffLimit=2, containers=[
        container("export", "python:3.12", command=["python", "export.py"]),
        container("istio-proxy", IMAGES["istio-proxy"], port=15090),
    ])
    pod = kube.job_pod(job, statuses=[
        live.terminated("export", 0, since=ago(420), until=ago(300)),
        live.running("istio-proxy", since=ago(421)),
    ])
    kube.job_status(job, active=1, ready=0, started_ago=425)
    name = pod["metadata"]["name"]

    document = diagnosis(run_plugin, "job", "export", "-n", ns)
    [blocked] = [f for f in pod_findings(document, name) if f["code"] == "job-blocked-by-legacy-sidecar"]
    assert (blocked["severity"], blocked["container"]) == ("error", "istio-proxy")
    remedy = blocked["remedy"]
    assert (f"kubectl exec {name} -n {ns} -c istio-proxy -- pilot-agent request --debug-port 15020 POST "
            "quitquitquit") in remedy
    assert "counts against the Job's backoffLimit" in remedy
    assert remedy.index("pilot-agent") < remedy.index(f"kubectl delete pod {name}")

    report = run_plugin("diagnose", "job", "export", "-n", ns)
    assert report.code == 0 and "without rerunning it" in report.stdout, report


def test_crash_looping_istio_init_is_a_mesh_init_failure_and_not_the_proxy_s(kube, run_plugin, ns):
    last = live.exited(2, since=ago(40), until=ago(39),
                       message="iptables-restore v1.8.9 (nf_tables): Permission denied (you must be root)")
    pod = kube.pod(ns, "web-7d9c6b5f4-q8z2x", annotations=istio_annotations(),
                   init=[container("istio-init", IMAGES["istio-init"], args=["istio-iptables", "-p", "15001"])],
                   containers=[container("app", "nginx:1.27", port=8080),
                               container("istio-proxy", IMAGES["istio-proxy"], port=15090)],
                   statuses=[live.waiting("istio-init", "CrashLoopBackOff", restarts=6, last=last),
                             live.waiting("app", "PodInitializing"), live.waiting("istio-proxy", "PodInitializing")])
    name = pod["metadata"]["name"]

    table = run_plugin("status", "-n", ns)
    assert table.code == 0, table
    [row] = [line for line in table.stdout.splitlines() if line.startswith(name)]
    assert "Init:CrashLoopBackOff" in row and "mesh-init-failed" in row, table.stdout

    found = pod_findings(diagnosis(run_plugin, "pod", name, "-n", ns), name)
    serious = [(f["code"], f["container"]) for f in found if f["severity"] != "info"]
    assert serious == [("mesh-init-failed", "istio-init")]
    [failed] = [f for f in found if f["code"] == "mesh-init-failed"]
    assert failed["severity"] == "error" and failed["related"] is None
    assert "Istio" in failed["message"] and "exit 2" in failed["message"] and "NET_ADMIN" in failed["message"]
    assert any("Permission denied" in line for line in failed["evidence"])
