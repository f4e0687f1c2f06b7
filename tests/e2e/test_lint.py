"""`kubectl sidecars lint` for real: a chart of the tests' own rendered by a real helm (built from its Go module)
and piped into the plugin through kubectl's dispatch, as a CI step would; and `lint -A` against the API server,
which must see nothing but LISTs of workloads."""

import json
import subprocess
from pathlib import Path

import pytest

from tests.factory import container, sidecar
from tests.unit.test_cli_offline import table_rows
from tests.unit.test_lint import sarif_schema

from .cluster import PLUGIN_USER, REPO, BinariesUnavailable, build_binaries

CHART = REPO / "tests" / "fixtures" / "lint-chart"
HOOK = "Job shop-migrate (helm hook pre-install,pre-upgrade)"
WORKLOAD_LISTS = {"/apis/apps/v1/deployments", "/apis/apps/v1/statefulsets", "/apis/apps/v1/daemonsets",
                  "/apis/apps/v1/replicasets", "/apis/batch/v1/jobs", "/apis/batch/v1/cronjobs", "/api/v1/pods"}
PROXY = "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.14.1"


@pytest.fixture(scope="session")
def helm():
    try:
        return Path(build_binaries("helm")["helm"]) / "helm"
    except BinariesUnavailable as err:
        pytest.skip(f"cannot build helm: {err}")


@pytest.fixture
def render(helm, tmp_path):
    """`helm template shop CHART ARGS`: the manifests a CI step would lint."""
    home = {"HELM_CACHE_HOME": tmp_path / "cache", "HELM_CONFIG_HOME": tmp_path / "config",
            "HELM_DATA_HOME": tmp_path / "data", "PATH": "/usr/bin:/bin"}

    def run(*args):
        proc = subprocess.run([str(helm), "template", "shop", str(CHART), *args], capture_output=True, text=True,
                              env={k: str(v) for k, v in home.items()}, timeout=120)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout
    return run


def test_a_hook_job_with_a_legacy_proxy_fails_ci_until_the_chart_uses_a_native_sidecar(render, run_plugin):
    legacy = run_plugin("lint", "-f", "-", "--fail-on", "error", input=render())
    native = run_plugin("lint", "-f", "-", "--fail-on", "error", input=render("--set", "nativeSidecar=true"))

    assert legacy.code == 1, legacy.stderr
    rows = {(r["OBJECT"], r["FINDING"], r["SEVERITY"], r["SOURCE"]) for r in table_rows(legacy.stdout)}
    assert (HOOK, "job-template-legacy-sidecar", "error", "shop/templates/migrate-hook.yaml") in rows
    assert {severity for _, _, severity, _ in rows} == {"error", "info"}  # the Deployment's proxy is only info
    assert native.code == 0, native.stderr
    assert native.stdout == ""
    assert "No sidecar problems found in 2 pod template(s)." in native.stderr


def test_the_sarif_of_the_rendered_chart_validates_and_points_at_the_chart_files(render, run_plugin):
    import jsonschema

    result = run_plugin("lint", "-f", "-", "-o", "sarif", input=render())

    assert result.code == 0, result.stderr
    sarif = json.loads(result.stdout)
    jsonschema.Draft4Validator(sarif_schema()).validate(sarif)
    located = {(r["ruleId"], r["level"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"])
               for r in sarif["runs"][0]["results"]}
    assert located == {("job-template-legacy-sidecar", "error", "shop/templates/migrate-hook.yaml"),
                       ("legacy-sidecar", "note", "shop/templates/deployment.yaml")}


def test_lint_all_namespaces_reads_only_workloads(cluster, kube, run_plugin, ns):
    app = container("export", command=["./export"])
    proxy = container("cloud-sql-proxy", PROXY, args=["--port=5432", "shop:eu:orders"], port=5432)
    job = kube.job(ns, "export", [app, proxy])
    kube.job_pod(job)  # made by the Job: judged at the Job
    kube.cronjob(ns, "nightly", [app], init=[sidecar("cloud-sql-proxy", PROXY, port=5432, startup_probe=True)])
    kube.pod(ns, "smoke", [container("smoke", command=["./smoke"]), proxy], restart_policy="Never", node=None)
    kube.api.post(f"/apis/apps/v1/namespaces/{ns}/deployments", {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": ns},
        "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": {
            "metadata": {"labels": {"app": "web"},
                         "annotations": {"proxy.istio.io/config": "terminationDrainDuration: 40s"}},
            "spec": {"containers": [container("web", port=8080)]}}}})
    before = {e["auditID"] for e in cluster.audit_events(PLUGIN_USER)}

    result = run_plugin("lint", "-A", "-o", "json")

    assert result.code == 0, result.stderr
    document = json.loads(result.stdout)
    found = {(o["kind"], o["name"]): sorted(f["code"] for f in o["findings"] if f["severity"] != "info")
             for o in document["objects"] if o["namespace"] == ns}
    assert found == {("Job", "export"): ["job-template-legacy-sidecar"], ("CronJob", "nightly"): [],
                     ("Pod", "smoke"): ["job-template-legacy-sidecar"], ("Deployment", "web"): ["drain-exceeds-grace"]}
    requests = cluster.wait_for_audit(PLUGIN_USER, lambda e: e["auditID"] not in before
                                      and e["objectRef"].get("resource") == "pods")
    assert requests, "the plugin's requests never reached the audit log"
    made = [e for e in cluster.audit_events(PLUGIN_USER) if e["auditID"] not in before]
    assert {e["verb"] for e in made} == {"list"}
    assert {e["requestURI"].split("?")[0] for e in made} == WORKLOAD_LISTS


def test_a_kind_the_user_may_not_list_is_a_note(cluster, kube, run_plugin, ns):
    kube.job(ns, "export", [container("export"), container("cloud-sql-proxy", PROXY, port=5432)])
    cluster.bind_role("job-reader", ns, [{"apiGroups": ["batch"], "resources": ["jobs"], "verbs": ["list"]}])

    result = run_plugin("lint", "-n", ns, "--fail-on", "error", kubeconfig=cluster.user_kubeconfig("job-reader"))

    assert result.code == 1, result.stderr
    assert [(r["OBJECT"], r["FINDING"]) for r in table_rows(result.stdout)][0] == (
        f"Job {ns}/export", "job-template-legacy-sidecar")
    assert "warning: deployments could not be listed, so their pod templates were not checked" in result.stderr
    assert "Traceback" not in result.stderr


def test_one_named_workload(kube, run_plugin, ns):
    kube.job(ns, "export", [container("export"), container("cloud-sql-proxy", PROXY, port=5432)])

    result = run_plugin("lint", "job", "export", "-n", ns, "-o", "json", "--kube-version", "1.31")

    assert result.code == 0, result.stderr
    [linted] = json.loads(result.stdout)["objects"]
    assert (linted["kind"], linted["name"], linted["source"]) == ("Job", "export", None)
    assert "job-template-legacy-sidecar" in [f["code"] for f in linted["findings"]]
