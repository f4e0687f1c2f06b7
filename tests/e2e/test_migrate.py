"""`kubectl sidecars migrate` for real: what it prints for the examples and real cases is accepted by the API server
(server-side dry-run, as the tests' administrator), pods made from it classify every helper it moved as a native
sidecar, the pi Job runs to completion, an Istio Job is migrated by Istio's switch, the patches give on the server
what the full objects give, and `migrate -A` only reads."""

import json

import pytest
import yaml

from tests.factory import ago, container, live

from .cluster import PLUGIN_USER, REPO

PI = REPO / "examples" / "03-pi-job-legacy-sidecar.yaml"
MIGRATED = ["examples/01-cronjob-legacy-sidecar-race.yaml", "examples/03-pi-job-legacy-sidecar.yaml",
            "examples/06-istio-legacy-job-quitquitquit.yaml",
            "tests/fixtures/realcases/01-legacy-slow-sidecar-app-crash-cronjob.json",
            "tests/fixtures/realcases/10-katib-trial-job-notready-istio-proxy.json",
            "tests/fixtures/realcases/14-istio-legacy-sidecar-healthy-bookinfo.json"]
PATHS = {"Job": "/apis/batch/v1/namespaces/{}/jobs", "CronJob": "/apis/batch/v1/namespaces/{}/cronjobs",
         "Pod": "/api/v1/namespaces/{}/pods", "Deployment": "/apis/apps/v1/namespaces/{}/deployments"}
WORKLOAD_READS = {"/apis/apps/v1/deployments", "/apis/apps/v1/statefulsets", "/apis/apps/v1/daemonsets",
                  "/apis/apps/v1/replicasets", "/apis/batch/v1/jobs", "/apis/batch/v1/cronjobs", "/api/v1/pods",
                  "/version", "/api/v1/nodes", "/api/v1/namespaces"}
PROXY = "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.14.1"


def migrated(run_plugin, *args, **kw):
    result = run_plugin("migrate", *args, **kw)
    assert result.code == 0, result.stderr
    assert "Traceback" not in result.stderr
    return [d for d in yaml.safe_load_all(result.stdout) if d], result.stderr


def into(obj, ns):
    """The object in the test's namespace (the examples name theirs)."""
    obj["metadata"]["namespace"] = ns
    return obj


def created(kube, obj, dry_run=False):
    ns = obj["metadata"]["namespace"]
    kube.namespace(ns)
    return kube.api.request("POST", PATHS[obj["kind"]].format(ns), obj, params={"dryRun": "All"} if dry_run else None)


def pod_from(kube, obj, name):
    """A pod made from the object's template, as its controller would (bound, without status)."""
    template = obj["spec"]["template"] if obj["kind"] == "Job" else obj["spec"]["jobTemplate"]["spec"]["template"]
    spec = dict(template["spec"])
    containers, inits = spec.pop("containers"), spec.pop("initContainers", ())
    return kube.pod(obj["metadata"]["namespace"], name, containers, init=inits,
                    restart_policy=spec.pop("restartPolicy"), **{k: v for k, v in spec.items()
                                                                 if k != "terminationGracePeriodSeconds"})


def container_types(run_plugin, ns, pod):
    result = run_plugin("status", pod, "-n", ns, "-o", "json")
    assert result.code == 0, result.stderr
    [row] = json.loads(result.stdout)["pods"]
    return {c["name"]: c["type"] for c in row["containers"]}


@pytest.mark.parametrize("path", MIGRATED)
def test_every_migrated_manifest_is_accepted_and_its_moved_helpers_are_native(kube, run_plugin, ns, path):
    documents, summary = migrated(run_plugin, "-f", REPO / path)

    assert documents, summary
    for index, obj in enumerate(documents):
        accepted = created(kube, into(obj, ns), dry_run=True)
        assert accepted["metadata"]["name"] == obj["metadata"]["name"]
        if obj["kind"] not in ("Job", "CronJob"):
            continue
        moved = [c["name"] for c in (obj["spec"].get("template") or obj["spec"]["jobTemplate"]["spec"]["template"])
                 ["spec"].get("initContainers") or [] if c.get("restartPolicy") == "Always"]
        pod = pod_from(kube, obj, f"migrated-{index}")
        types = container_types(run_plugin, ns, pod["metadata"]["name"])
        assert all(types[name] == "sidecar" for name in moved) and "legacy-sidecar" not in types.values()


def test_the_migrated_pi_job_is_created_and_completes(kube, run_plugin, ns):
    [job], summary = migrated(run_plugin, "-f", PI)
    assert "moved: sidecar: containers -> initContainers[0] (first) with restartPolicy: Always" in summary

    job = created(kube, into(job, ns))  # for real: the selector and labels are the API server's again
    pod = kube.job_pod(job, statuses=[
        live.terminated("sidecar", 143, since=ago(30), until=ago(14)),  # stopped by the kubelet after pi
        live.terminated("pi", 0, since=ago(28), until=ago(15)),
    ])
    kube.job_status(job, succeeded=1, outcome="Complete", started_ago=31, finished_ago=13)

    assert pod["status"]["phase"] == "Succeeded"
    result = run_plugin("diagnose", "job", "pi", "-n", ns, "-o", "json")
    assert result.code == 0, result.stderr
    document = json.loads(result.stdout)
    [verdict] = document["jobs"]
    assert verdict["done"] is True and verdict["status"] == "Complete"
    [row] = document["pods"]
    assert row["status"] == "Completed"
    assert container_types(run_plugin, ns, pod["metadata"]["name"]) == {"sidecar": "sidecar", "pi": "app"}
    assert not [f for f in row["findings"] + verdict["findings"] if f["severity"] in ("error", "warning")]


def test_an_istio_job_is_migrated_by_istios_switch(kube, run_plugin, ns):
    app = container("migrate", command=["sh", "-c", "./migrate && curl -fsS -X POST localhost:15020/quitquitquit"])
    manifest = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "ledger-migrate", "namespace": ns},
                "spec": {"template": {"metadata": {"labels": {"sidecar.istio.io/inject": "true"}},
                                      "spec": {"restartPolicy": "Never", "containers": [app]}}}}

    [job], summary = migrated(run_plugin, "-f", "-", input=yaml.safe_dump(manifest))

    template = job["spec"]["template"]
    assert template["metadata"]["annotations"] == {"sidecar.istio.io/nativeSidecar": "true"}
    assert [c["name"] for c in template["spec"]["containers"]] == ["migrate"]
    assert "initContainers" not in template["spec"]
    assert template["spec"]["containers"][0]["command"] == ["sh", "-c", "./migrate"]
    assert "switched: sidecar.istio.io/nativeSidecar" in summary and "  moved:" not in summary
    assert created(kube, job, dry_run=True)["spec"]["template"]["metadata"]["annotations"] == {
        "sidecar.istio.io/nativeSidecar": "true"}


def test_the_patch_gives_on_the_server_what_the_object_gives(kube, run_plugin, ns):
    proxy = container("cloud-sql-proxy", PROXY, args=["--port=5432", "shop:eu:orders"], port=5432)
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "orders", "namespace": ns},
                  "spec": {"selector": {"matchLabels": {"app": "orders"}}, "template": {
                      "metadata": {"labels": {"app": "orders"}},
                      "spec": {"initContainers": [container("istio-init"), container("db-migrate")],
                               "containers": [container("orders", port=8080), proxy]}}}}
    created(kube, deployment)

    [whole], _ = migrated(run_plugin, "deployment", "orders", "-n", ns)
    patch = run_plugin("migrate", "deployment", "orders", "-n", ns, "--patch")
    assert patch.code == 0, patch.stderr
    [fragment] = [d for d in yaml.safe_load_all(patch.stdout) if d]

    path = PATHS["Deployment"].format(ns) + "/orders"
    patched = kube.api.request("PATCH", path, fragment, params={"dryRun": "All"},
                               content_type="application/strategic-merge-patch+json")
    replaced = kube.api.request("PUT", path, dict(whole, metadata=dict(
        whole["metadata"], resourceVersion=kube.api.get(path)["metadata"]["resourceVersion"])),
        params={"dryRun": "All"})
    assert patched["spec"]["template"] == replaced["spec"]["template"]
    assert [c["name"] for c in patched["spec"]["template"]["spec"]["initContainers"]] == [
        "istio-init", "cloud-sql-proxy", "db-migrate"]


def test_migrate_all_namespaces_only_reads(cluster, kube, run_plugin, ns):
    proxy = container("cloud-sql-proxy", PROXY, args=["--port=5432", "shop:eu:orders"], port=5432)
    kube.job(ns, "export", [container("export", command=["./export"]), proxy])
    before = {e["auditID"] for e in cluster.audit_events(PLUGIN_USER)}

    documents, summary = migrated(run_plugin, "-A")

    assert ("Job", ns, "export") in {(d["kind"], d["metadata"]["namespace"], d["metadata"]["name"])
                                     for d in documents}
    assert "no --kube-version" not in summary  # the server's version was read instead
    cluster.wait_for_audit(PLUGIN_USER, lambda e: e["auditID"] not in before
                           and e["requestURI"].startswith("/api/v1/pods"))
    made = [e for e in cluster.audit_events(PLUGIN_USER) if e["auditID"] not in before]
    assert {e["verb"] for e in made} <= {"get", "list"}
    assert {e["requestURI"].split("?")[0] for e in made} == WORKLOAD_READS


def test_nodes_that_cannot_run_native_sidecars_are_in_the_preflight_list(kube, run_plugin, ns):
    kube.node("e2e-old-node", kubelet_version="v1.28.15")
    kube.job(ns, "export", [container("export"), container("cloud-sql-proxy", PROXY, port=5432)])

    _, summary = migrated(run_plugin, "job", "export", "-n", ns)

    assert "e2e-old-node (v1.28.15)" in summary



def test_a_live_job_in_a_namespace_istio_injects_is_switched(kube, run_plugin, ns):
    kube.api.patch(f"/api/v1/namespaces/{ns}", {"metadata": {"labels": {"istio-injection": "enabled"}}})
    kube.job(ns, "report", [container("report", command=["./report"])])

    [job], summary = migrated(run_plugin, "job", "report", "-n", ns)

    assert job["spec"]["template"]["metadata"]["annotations"] == {"sidecar.istio.io/nativeSidecar": "true"}
    assert f"namespace {ns} asks for it (label istio-injection: enabled)" in summary
    assert "selector" not in job["spec"] and "uid" not in job["metadata"] and "status" not in job
