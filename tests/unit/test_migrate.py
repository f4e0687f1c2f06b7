"""`migrate`: the plan on every example and real case (round trips: every legacy sidecar becomes native or gets its
injector's switch, everything else is unchanged as data, the patch gives the same object, migrating twice changes
nothing), and each decision of the plan on small manifests."""

import copy
import json
from pathlib import Path

import pytest
import yaml

from kubectl_sidecars.lint import Manifest, pod_template, read_manifests, without_owned
from kubectl_sidecars.migrate import (
    ISTIO,
    LINKERD_ALPHA,
    MOVED,
    PERSON,
    REWRITTEN,
    SWITCHED,
    cleaned,
    plan_migrations,
    rewrite_command,
)
from kubectl_sidecars.model.classify import LEGACY, SIDECAR, classify
from kubectl_sidecars.model.objects import NodeView
from kubectl_sidecars.render.migrate import diff_text, object_patch, objects_text, patches_text
from tests.factory import container, http_probe, sidecar
from tests.unit.test_cli_offline import cli
from tests.unit.test_lint_rules import APP, LEGACY_PROXY, PROXY, cronjob, deployment, job
from tests.unit.test_lint_rules import pod_template as template

ROOT = Path(__file__).resolve().parents[2]
INPUTS = sorted(str(p.relative_to(ROOT)) for p in [*(ROOT / "examples").glob("*.yaml"),
                                                   *(ROOT / "tests" / "fixtures" / "realcases").glob("*.json")]
                if not p.name.endswith(".expected.json"))


def planned(path):
    """The plan of an input of the repository, named as the command line names it (from the repository root)."""
    read = list(read_manifests([path]))
    return plan_migrations(without_owned(read), [m.obj for m in read])


def migrate(*objects, **options):
    return plan_migrations([Manifest(o, "test.yaml", 1) for o in objects], objects, **options)


def only(*objects, **options):
    [migration] = migrate(*objects, **options).migrations
    return migration


def spec_of(obj):
    return pod_template(obj)[0]["spec"]


def steps(migration, what):
    return migration.of(what)


# --- a strategic merge, for the subset of it the patches use --------------------------------------------------

def merged(target, patch):
    """`patch` applied to `target` the way the API server's strategic merge does for maps, containers merged by
    name ($patch: delete, $setElementOrder) and null deleting a field."""
    out = copy.deepcopy(target)
    for key, value in patch.items():
        if key.startswith("$setElementOrder/"):
            continue
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict):
            out[key] = merged(out.get(key) or {}, value)
        elif isinstance(value, list) and value and isinstance(value[0], dict) and "name" in value[0]:
            items = {item["name"]: item for item in out.get(key) or []}
            order = [item["name"] for item in out.get(key) or []]
            for entry in value:
                if entry.get("$patch") == "delete":
                    items.pop(entry["name"], None)
                else:
                    if entry["name"] not in items:
                        order.append(entry["name"])
                    items[entry["name"]] = merged(items.get(entry["name"]) or {}, entry)
            order = [e["name"] for e in patch.get(f"$setElementOrder/{key}", [])] or order
            out[key] = [items[name] for name in order if name in items]
        else:
            out[key] = value
    return out


# --- every example and real case ------------------------------------------------------------------------------

def test_the_inputs_with_legacy_sidecars_are_the_ones_migrated():
    migrated = {path for path in INPUTS if any(m.changed for m in planned(path).migrations)}

    assert migrated == {"examples/01-cronjob-legacy-sidecar-race.yaml", "examples/03-pi-job-legacy-sidecar.yaml",
                        "examples/06-istio-legacy-job-quitquitquit.yaml",
                        "tests/fixtures/realcases/01-legacy-slow-sidecar-app-crash-cronjob.json",
                        "tests/fixtures/realcases/10-katib-trial-job-notready-istio-proxy.json",
                        "tests/fixtures/realcases/14-istio-legacy-sidecar-healthy-bookinfo.json"}


@pytest.mark.parametrize("path", INPUTS)
def test_round_trip(path):
    plan = planned(path)
    for migration in (m for m in plan.migrations if m.changed):
        before, after = pod_template(migration.before)[0], pod_template(migration.after)[0]
        roles = classify(after)
        moved = [name for name, (role, _) in classify(before).items() if role == LEGACY and name in
                 {c["name"] for c in after["spec"].get("initContainers") or []}]
        # every helper moved is a native sidecar now, and no helper written in is left behind
        assert all(roles[name][0] == SIDECAR for name in moved)
        assert all(not (e or "").startswith("injected") for n, (r, e) in roles.items() if r == LEGACY) or \
            steps(migration, PERSON)
        # everything else unchanged, as data: the containers (but the fields the plan sets) and the object
        old = {c["name"]: c for s in ("initContainers", "containers") for c in before["spec"].get(s) or []}
        new = {c["name"]: c for s in ("initContainers", "containers") for c in after["spec"].get(s) or []}
        assert set(old) == set(new)
        for name in old:
            kept = {k: v for k, v in new[name].items() if k not in ("restartPolicy", "startupProbe", "command",
                                                                   "args")}
            assert kept == {k: v for k, v in old[name].items() if k not in ("startupProbe", "command", "args")}
        rest_before, rest_after = copy.deepcopy(migration.before), copy.deepcopy(migration.after)
        for obj in (rest_before, rest_after):
            template = pod_template(obj)[0]
            (template.get("metadata") or {}).pop("annotations", None)
            template["spec"].pop("initContainers", None)
            template["spec"].pop("containers")
        assert rest_before == rest_after
        # the patch makes the same object, and the output parses back to it
        assert merged(migration.before, object_patch(migration)) == migration.after
    printed = [d for d in yaml.safe_load_all(objects_text(plan, "yaml")) if d]
    assert printed == [m.after for m in plan.migrations if m.changed]
    # migrating the output again changes nothing
    again = plan_migrations([Manifest(d, "again.yaml", 1) for d in printed], printed)
    assert [m.title for m in again.migrations if m.changed] == []


def test_the_pi_job_is_ready_to_be_created_again():
    [migration] = planned("examples/03-pi-job-legacy-sidecar.yaml").migrations

    job_spec = migration.after["spec"]
    assert "selector" not in job_spec and "status" not in migration.after
    assert set(migration.after["metadata"]) == {"name", "namespace"}
    assert "labels" not in job_spec["template"]["metadata"]
    assert [(c["name"], c.get("restartPolicy")) for c in job_spec["template"]["spec"]["initContainers"]] == [
        ("sidecar", "Always")]
    assert [c["name"] for c in job_spec["template"]["spec"]["containers"]] == ["pi"]
    assert steps(migration, MOVED) == ["sidecar: containers -> initContainers[0] (first) with restartPolicy: Always"]


def test_the_injected_istio_job_gets_the_switch_and_loses_its_quitquitquit():
    [migration] = planned("examples/06-istio-legacy-job-quitquitquit.yaml").migrations

    template = migration.after["spec"]["template"]
    assert template["metadata"]["annotations"] == {"sidecar.istio.io/nativeSidecar": "true"}
    assert [c["name"] for c in template["spec"]["containers"]] == ["migrate"]
    assert "initContainers" not in template["spec"]
    assert template["spec"]["containers"][0]["command"] == ["sh", "-c", "python manage.py migrate --noinput"]
    assert steps(migration, MOVED) == [] and len(steps(migration, SWITCHED)) == 1


def test_a_job_made_by_a_template_that_is_not_in_the_input_keeps_its_selector():
    obj = job(template([APP, LEGACY_PROXY]))
    obj["spec"]["selector"] = {"matchLabels": {"team": "db"}}
    obj["spec"]["manualSelector"] = True

    assert only(obj).after["spec"]["selector"] == {"matchLabels": {"team": "db"}}


def test_live_objects_are_cleaned_of_server_set_metadata():
    obj = deployment(template([APP, LEGACY_PROXY], restart_policy="Always"))
    obj["metadata"].update(uid="u", resourceVersion="9", generation=3, creationTimestamp="2026-01-01T00:00:00Z",
                           managedFields=[{"manager": "kubectl"}], selfLink="/x",
                           annotations={"kubectl.kubernetes.io/last-applied-configuration": "{}", "team": "db"})
    obj["status"] = {"replicas": 1}

    after = cleaned(obj)

    assert after["metadata"] == {"name": "web", "namespace": obj["metadata"]["namespace"],
                                 "annotations": {"team": "db"}}
    assert "status" not in after


# --- the plan's decisions ---------------------------------------------------------------------------------------

def test_a_proxy_goes_after_the_mesh_and_its_own_init_and_before_the_steps_that_may_need_it():
    inits = [container("istio-init"), container("config", volumeMounts=[{"name": "conf", "mountPath": "/c"}]),
             container("db-migrate", command=["./migrate"])]
    proxy = dict(LEGACY_PROXY, volumeMounts=[{"name": "conf", "mountPath": "/etc/proxy"}])
    migration = only(job(template([APP, proxy], init=inits)))

    assert [c["name"] for c in spec_of(migration.after)["initContainers"]] == [
        "istio-init", "config", "cloud-sql-proxy", "db-migrate"]
    assert steps(migration, MOVED)[0] == ("cloud-sql-proxy: containers -> initContainers[2] (after istio-init, "
                                          "config, before db-migrate) with restartPolicy: Always")


def test_a_log_shipper_goes_after_every_init_container():
    shipper = container("fluent-bit", "fluent/fluent-bit:3.1")
    migration = only(job(template([APP, shipper], init=[container("db-migrate")])))

    assert [c["name"] for c in spec_of(migration.after)["initContainers"]] == ["db-migrate", "fluent-bit"]


def test_the_startup_probe_comes_from_readiness_else_the_port_and_an_existing_one_is_kept():
    ready = dict(LEGACY_PROXY, readinessProbe=http_probe(9801, "/readiness"))
    started = container("cloud-sql-proxy", PROXY, port=5432, startup_probe=True)
    probes = {}
    for helper in (ready, LEGACY_PROXY, started):
        [moved] = spec_of(only(job(template([APP, helper]))).after)["initContainers"]
        probes[len(probes)] = moved["startupProbe"]

    assert probes[0] == {"httpGet": ready["readinessProbe"]["httpGet"], "periodSeconds": 1, "failureThreshold": 30}
    assert probes[1] == {"tcpSocket": {"port": 5432}, "periodSeconds": 1, "failureThreshold": 30}
    assert probes[2] == started["startupProbe"]


def test_a_serving_helper_with_nothing_to_derive_a_probe_from_needs_a_person():
    helper = container("envoy", "envoyproxy/envoy:v1.31")
    migration = only(job(template([APP, helper])))

    assert "startupProbe" not in spec_of(migration.after)["initContainers"][0]
    assert steps(migration, PERSON) == ["envoy gets no startupProbe: it declares no port or readinessProbe to derive "
                                        "one from; add one, or the app may start before it serves"]


def test_the_cloud_sql_proxy_v2_gets_its_exit_zero_flag_and_v1_does_not():
    v2 = only(job(template([APP, LEGACY_PROXY])))
    v1 = only(job(template([APP, container("cloudsql-proxy", "gcr.io/cloudsql-docker/gce-proxy:1.33",
                                           command=["/cloud_sql_proxy", "-instances=p:r:db=tcp:5432"])])))

    assert spec_of(v2.after)["initContainers"][0]["args"] == LEGACY_PROXY["args"] + ["--exit-zero-on-sigterm"]
    assert spec_of(v1.after)["initContainers"][0]["command"] == ["/cloud_sql_proxy", "-instances=p:r:db=tcp:5432"]


@pytest.mark.parametrize("before, after", [
    (["sh", "-c", "./migrate && curl -fsS -X POST http://localhost:15020/quitquitquit"], ["sh", "-c", "./migrate"]),
    (["sh", "-c", "./migrate; rc=$?; pilot-agent request POST quitquitquit || true; exit $rc"],
     ["sh", "-c", "./migrate"]),
    (["/bin/bash", "-c", "trap 'curl -X POST localhost:15020/quitquitquit' EXIT; ./migrate --all"],
     ["/bin/bash", "-c", "./migrate --all"]),
    (["linkerd-await", "--shutdown", "--", "./migrate", "--all"], ["./migrate", "--all"]),
    (["sh", "-c", "linkerd-await --shutdown -- ./migrate --all"], ["sh", "-c", "./migrate --all"]),
])
def test_unambiguous_workarounds_are_removed(before, after):
    spec = container("migrate", command=before)

    assert rewrite_command(spec) is not None
    assert spec["command"] == after


@pytest.mark.parametrize("command", [
    ["sh", "-c", "./migrate; curl -X POST localhost:15020/quitquitquit"],  # the exit code would change
    ["sh", "-c", "./migrate && touch /shared/done"],                         # the helper waits for that file
])
def test_other_workarounds_are_kept_for_a_person(command):
    app = container("migrate", command=command)
    migration = only(job(template([app, LEGACY_PROXY])))

    assert spec_of(migration.after)["containers"][0]["command"] == command
    assert steps(migration, REWRITTEN) == []
    assert any(text.startswith("migrate still uses") for text in steps(migration, PERSON))


@pytest.mark.parametrize("where", ["labels", "annotations"])
def test_a_template_asking_istio_for_a_proxy_gets_the_switch_not_a_container(where):
    asked = template([APP])
    asked["metadata"] = {where: {"sidecar.istio.io/inject": "true"}}
    migration = only(cronjob(asked))

    after = pod_template(migration.after)[0]
    assert after["metadata"]["annotations"]["sidecar.istio.io/nativeSidecar"] == "true"
    assert [c["name"] for c in after["spec"]["containers"]] == ["migrate"]
    assert "Istio's version cannot be seen here" in "".join(migrate(cronjob(asked)).preflight)


def test_an_istio_too_old_for_the_annotation_is_in_the_preflight_list():
    obj = job(template([APP]))
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {
        "name": "migrate-x", "namespace": obj["metadata"]["namespace"],
        "ownerReferences": [{"kind": "Job", "name": "migrate", "controller": True}],
        "annotations": {"sidecar.istio.io/status": json.dumps({"containers": ["istio-proxy"]})}},
        "spec": {"containers": [APP, container("istio-proxy", "docker.io/istio/proxyv2:1.22.3")]}}

    plan = migrate(obj, pod)

    assert any("Istio 1.22" in item and ISTIO.reads_it in item for item in plan.preflight)


def test_an_old_linkerd_gets_the_alpha_switch():
    obj = deployment(template([APP, container("linkerd-proxy", "cr.l5d.io/linkerd/proxy:stable-2.14.10")],
                              restart_policy="Always"))
    obj["spec"]["template"]["metadata"] = {"annotations": {"linkerd.io/proxy-version": "stable-2.14.10"}}
    migration = only(obj)

    annotations = migration.after["spec"]["template"]["metadata"]["annotations"]
    assert annotations[LINKERD_ALPHA[0]] == "true"
    assert any("written into this manifest" in text for text in steps(migration, PERSON))


def test_dapr_is_switched_by_its_annotation():
    asked = template([APP], restart_policy="Always")
    asked["metadata"] = {"annotations": {"dapr.io/enabled": "true", "dapr.io/app-id": "orders"}}
    migration = only(deployment(asked))

    assert migration.after["spec"]["template"]["metadata"]["annotations"]["dapr.io/enable-native-sidecar"] == "true"


def test_what_nothing_can_migrate_is_said_and_not_printed():
    plan = planned("examples/06-kruise-sidecarset.yaml")

    [migration] = plan.migrations
    assert not migration.changed and objects_text(plan, "yaml") == ""
    assert "SidecarSet" in steps(migration, PERSON)[0]


def test_preflight_versions_and_failure_policy():
    obj = job(template([APP, LEGACY_PROXY]), podFailurePolicy={"rules": [
        {"action": "FailJob", "onExitCodes": {"operator": "In", "values": [137]}},
        {"action": "FailJob", "onExitCodes": {"containerName": "migrate", "operator": "In", "values": [42]}}]})
    nodes = [NodeView("old-1", "v1.28.9", (1, 28), True), NodeView("new-1", "v1.31.2", (1, 31), True)]

    preflight = migrate(obj, kube_version=(1, 28), nodes=nodes).preflight

    assert preflight[0].startswith("Kubernetes 1.28 cannot run native sidecars")
    assert preflight[1].startswith("1 node(s) run a kubelet older than 1.29") and "old-1 (v1.28.9)" in preflight[1]
    assert [p for p in preflight if "podFailurePolicy" in p] == [
        f"Job {obj['metadata']['namespace']}/migrate: podFailurePolicy rules[0] (FailJob on exit codes In [137]) has "
        "no containerName, so it also matches cloud-sql-proxy ending with 137 when the pod stops: scope it with "
        "onExitCodes.containerName: migrate"]


def test_objects_without_legacy_sidecars_are_left_out_and_said():
    native = job(template([APP], init=[sidecar("cloud-sql-proxy", PROXY, port=5432, startup_probe=True)]))
    plan = migrate(native)

    assert plan.migrations == [] and plan.unchanged == [f"Job {native['metadata']['namespace']}/migrate"]


# --- the command ------------------------------------------------------------------------------------------------

def test_the_command_prints_yaml_patch_and_diff_and_the_summary_on_stderr():
    example = "examples/01-cronjob-legacy-sidecar-race.yaml"
    objects, patch, diff = (cli("migrate", "-f", example, *extra) for extra in ((), ("--patch",), ("--diff",)))

    assert {objects.returncode, patch.returncode, diff.returncode} == {0}, objects.stderr
    [cronjob_after] = [d for d in yaml.safe_load_all(objects.stdout) if d]
    [patch_document] = [d for d in yaml.safe_load_all(patch.stdout) if d]
    plan = planned(example)
    assert cronjob_after == plan.migrations[0].after
    assert merged(plan.migrations[0].before, patch_document) == cronjob_after
    assert patches_text(plan) == patch.stdout and diff_text(plan) == diff.stdout
    assert diff.stdout.startswith(f"--- a/{example}: CronJob default/sidecar-cronjob")
    assert "+      - name: slow-sidecar\n" not in diff.stdout  # moved whole, not renamed
    assert objects.stderr.splitlines()[:3] == [
        "CronJob default/sidecar-cronjob:",
        "  moved: slow-sidecar: containers -> initContainers[0] (first) with restartPolicy: Always",
        "  moved: slow-sidecar: startupProbe derived from a TCP check of its port 8081 (periodSeconds 1, "
        "failureThreshold 30)"]
    assert "left out (no legacy sidecars)" not in objects.stderr


def test_json_output_is_a_list_and_patch_with_diff_is_a_usage_error():
    listed = cli("migrate", "-f", "examples/03-pi-job-legacy-sidecar.yaml", "-o", "json")
    both = cli("migrate", "-f", "examples/03-pi-job-legacy-sidecar.yaml", "--patch", "--diff")

    assert listed.returncode == 0
    assert [i["kind"] for i in json.loads(listed.stdout)["items"]] == ["Job"]
    assert both.returncode == 2 and both.stderr == "error: --patch and --diff cannot be used together\n"


def test_the_kube_version_is_checked():
    result = cli("migrate", "-f", "examples/03-pi-job-legacy-sidecar.yaml", "--kube-version", "1.27")

    assert result.returncode == 0
    assert "  - Kubernetes 1.27 cannot run native sidecars" in result.stderr


def test_a_malformed_template_is_an_input_error_from_a_file_and_a_note_from_the_cluster(tmp_path):
    rollout = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "metadata": {"name": "web"},
               "spec": {"template": {"spec": {"containers": [{"name": "web", "ports": "8080"}]}}}}
    path = tmp_path / "rollout.yaml"
    path.write_text(yaml.safe_dump(rollout))

    from_file = cli("migrate", "-f", str(path))
    notes = []
    from_cluster = plan_migrations([Manifest(rollout)], notes=notes)

    assert from_file.returncode == 4 and from_file.stderr.startswith(f"error: {path}: Rollout web")
    assert from_cluster.migrations == [] and notes[0].startswith("Rollout web could not be read")


def test_a_container_marked_only_by_the_default_container_annotation_is_not_moved():
    second = container("report", command=["./report"])
    marked = template([APP, second])
    marked["metadata"] = {"annotations": {"kubectl.kubernetes.io/default-container": "migrate"}}
    plan = migrate(job(marked))

    [migration] = plan.migrations
    assert not migration.changed
    assert steps(migration, PERSON) == ["report is a helper only by not the pod's main container "
                                        "(kubectl.kubernetes.io/default-container: migrate): if it is one, move it to "
                                        "initContainers with restartPolicy: Always yourself"]


def test_the_app_keeps_its_workaround_when_its_helper_cannot_be_migrated():
    app = container("migrate", command=["sh", "-c", "./migrate && curl -X POST localhost:15020/quitquitquit"])
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "smoke", "annotations": {
        "kruise.io/sidecarset-hash": json.dumps({"proxies": {"sidecarList": ["envoy"]}})}},
        "spec": {"restartPolicy": "Never", "containers": [app, container("envoy", "envoyproxy/envoy:v1.31")]}}

    [migration] = migrate(pod).migrations

    assert not migration.changed and steps(migration, REWRITTEN) == []


@pytest.mark.parametrize("opt_out, switched", [({}, True), ({"sidecar.istio.io/inject": "false"}, False)])
def test_a_namespace_with_istio_injection_gets_its_jobs_switched_unless_they_opt_out(opt_out, switched):
    obj = job(template([APP]))
    obj["spec"]["template"]["metadata"] = {"labels": opt_out}
    namespace = {"apiVersion": "v1", "kind": "Namespace",
                 "metadata": {"name": obj["metadata"]["namespace"], "labels": {"istio-injection": "enabled"}}}

    plan = plan_migrations([Manifest(obj, "test.yaml", 1)], [namespace, obj])

    annotations = [(m.after["spec"]["template"]["metadata"].get("annotations") or {}) for m in plan.migrations]
    assert annotations == ([{"sidecar.istio.io/nativeSidecar": "true"}] if switched else [])
    if switched:
        assert f"namespace {namespace['metadata']['name']} asks for it (label istio-injection: enabled)" in \
            steps(plan.migrations[0], SWITCHED)[0]


def test_an_injected_proxy_written_in_is_named_for_a_person_however_the_injection_was_asked():
    injected = template([APP, container("istio-proxy", "istio/proxyv2")])
    injected["metadata"] = {"labels": {"sidecar.istio.io/inject": "true"},
                            "annotations": {"sidecar.istio.io/status": json.dumps({"containers": ["istio-proxy"]})}}
    migration = only(job(injected))

    assert [c["name"] for c in spec_of(migration.after)["containers"]] == ["migrate", "istio-proxy"]
    assert any("written into this manifest" in text for text in steps(migration, PERSON))
