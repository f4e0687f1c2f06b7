"""The template-scope checks `lint` runs, each with the near misses that must stay quiet."""

from typing import Dict, Optional, Sequence

import pytest

from kubectl_sidecars.lint import Manifest, lint_manifests
from kubectl_sidecars.rules.templates import go_duration
from tests.factory import container, sidecar

PROXY = "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.8.0"


def pod_template(containers: Sequence[dict], init: Sequence[dict] = (), restart_policy: str = "Never",
                 annotations: Optional[Dict[str, str]] = None, labels: Optional[Dict[str, str]] = None,
                 **spec) -> dict:
    return {"metadata": {"labels": labels or {}, "annotations": annotations or {}},
            "spec": {"restartPolicy": restart_policy, "containers": list(containers), "initContainers": list(init),
                     **spec}}


def job(template: dict, name: str = "migrate", hook: Optional[str] = None, **spec) -> dict:
    metadata = {"name": name, "namespace": "shop"}
    if hook:
        metadata["annotations"] = {"helm.sh/hook": hook}
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": metadata, "spec": {"template": template, **spec}}


def cronjob(template: dict, name: str = "nightly") -> dict:
    return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": name, "namespace": "shop"},
            "spec": {"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": template}}}}


def deployment(template: dict, name: str = "web") -> dict:
    template = dict(template, spec=dict(template["spec"], restartPolicy="Always"))
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": "shop"},
            "spec": {"selector": {"matchLabels": {"app": name}}, "template": template}}


def bare_pod(template: dict, name: str = "smoke-test", hook: Optional[str] = None) -> dict:
    metadata = dict(template["metadata"], name=name, namespace="shop")
    if hook:
        metadata["annotations"] = dict(metadata["annotations"], **{"helm.sh/hook": hook})
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": template["spec"]}


def linted(obj: dict, kube_version=None):
    [found] = lint_manifests([Manifest(obj, "chart/templates/x.yaml")], kube_version, strict=True).objects
    return found.findings


def codes(obj: dict, kube_version=None, at_least: str = "info"):
    order = ("info", "warning", "error")
    return sorted((f.code, f.container) for f in linted(obj, kube_version)
                  if order.index(f.severity) >= order.index(at_least))


def one(obj: dict, code: str, kube_version=None):
    [finding] = [f for f in linted(obj, kube_version) if f.code == code]
    return finding


APP = container("migrate", command=["./migrate", "--to", "latest"])
LEGACY_PROXY = container("cloud-sql-proxy", PROXY, args=["--port=5432", "proj:region:db"], port=5432)


# --- job-template-legacy-sidecar --------------------------------------------------------------------------

def test_a_job_with_a_helper_in_containers_never_completes():
    finding = one(job(pod_template([APP, LEGACY_PROXY])), "job-template-legacy-sidecar")

    assert finding.severity == "error"
    assert finding.container == "cloud-sql-proxy"
    assert "never completes" in finding.message
    [patch] = finding.patches
    assert (patch.target.kind, patch.target.name, patch.target.path) == ("Job", "migrate", "spec.template")
    [moved] = patch.patch["spec"]["initContainers"]
    assert moved["name"] == "cloud-sql-proxy" and moved["restartPolicy"] == "Always"
    assert moved["startupProbe"] == {"tcpSocket": {"port": 5432}, "periodSeconds": 1, "failureThreshold": 30}
    assert patch.patch["spec"]["containers"] == [{"name": "cloud-sql-proxy", "$patch": "delete"}]


def test_a_cronjob_patch_goes_to_the_cronjob_template():
    finding = one(cronjob(pod_template([APP, LEGACY_PROXY])), "job-template-legacy-sidecar")

    [patch] = finding.patches
    assert (patch.target.kind, patch.target.path) == ("CronJob", "spec.jobTemplate.spec.template")


def test_a_helm_hook_pod_runs_to_completion_whatever_its_restart_policy():
    template = pod_template([container("smoke", command=["./smoke"]), LEGACY_PROXY], restart_policy="Always")

    finding = one(bare_pod(template, hook="test"), "job-template-legacy-sidecar")

    assert "Helm hook (test)" in finding.message
    assert codes(bare_pod(template), at_least="warning") == []  # the same pod, not a hook: it is a server


@pytest.mark.parametrize("labels, annotations, injected", [
    ({"sidecar.istio.io/inject": "true"}, {}, "istio-proxy"),
    ({}, {"sidecar.istio.io/inject": "true"}, "istio-proxy"),
    ({}, {"linkerd.io/inject": "enabled"}, "linkerd-proxy"),
    ({}, {"vault.hashicorp.com/agent-inject": "true", "vault.hashicorp.com/role": "app"}, "vault-agent"),
])
def test_a_job_that_asks_an_injector_for_a_plain_container(labels, annotations, injected):
    finding = one(job(pod_template([APP], labels=labels, annotations=annotations)), "job-template-legacy-sidecar")

    assert finding.container == injected
    [patch] = finding.patches
    assert patch.target.path == "spec.template"
    assert list(patch.patch["metadata"]["annotations"].values()) == ["true"]


@pytest.mark.parametrize("annotations", [
    {"sidecar.istio.io/inject": "true", "sidecar.istio.io/nativeSidecar": "true"},
    {"linkerd.io/inject": "enabled", "config.beta.linkerd.io/proxy-enable-native-sidecar": "true"},
    {"linkerd.io/inject": "enabled", "config.alpha.linkerd.io/proxy-enable-native-sidecar": "true"},
    {"vault.hashicorp.com/agent-inject": "true", "vault.hashicorp.com/agent-pre-populate-only": "true"},
    {"sidecar.istio.io/inject": "false"},
    {"linkerd.io/inject": "disabled"},
])
def test_an_injector_in_native_mode_or_off_is_quiet(annotations):
    assert codes(job(pod_template([APP], annotations=annotations))) == []


def test_the_fix_names_each_injectors_native_switch():
    istio = one(job(pod_template([APP], labels={"sidecar.istio.io/inject": "true"})), "job-template-legacy-sidecar")
    linkerd = one(job(pod_template([APP], annotations={"linkerd.io/inject": "enabled"})),
                  "job-template-legacy-sidecar")

    assert istio.patches[0].patch["metadata"]["annotations"] == {"sidecar.istio.io/nativeSidecar": "true"}
    assert linkerd.patches[0].patch["metadata"]["annotations"] == {
        "config.beta.linkerd.io/proxy-enable-native-sidecar": "true"}


def test_a_deployment_with_a_proxy_is_quiet():
    template = pod_template([container("web", port=8080), LEGACY_PROXY], labels={"sidecar.istio.io/inject": "true"})

    assert codes(deployment(template), at_least="warning") == []


def test_a_job_with_a_native_sidecar_and_a_startup_probe_has_no_finding():
    template = pod_template([APP], init=[sidecar("cloud-sql-proxy", PROXY, port=5432, startup_probe=True)])

    assert codes(job(template)) == []


@pytest.mark.parametrize("helper, app", [
    (container("cloud-sql-proxy", PROXY, args=["--quitquitquit", "proj:region:db"], port=5432),
     container("migrate", command=["sh", "-c", "./migrate && curl -X POST localhost:9091/quitquitquit"])),
    (container("istio-proxy"),
     container("migrate", command=["sh", "-c", "./migrate; pilot-agent request POST quitquitquit"])),
    (container("git-sync", "registry.k8s.io/git-sync/git-sync:v4.2.1", args=["--one-time"]), APP),
    (container("vault-agent", "hashicorp/vault:1.16.1", args=["agent", "-config=/etc/agent.hcl", "-exit-after-auth"]),
     APP),
])
def test_a_job_whose_helper_is_told_to_exit_is_not_an_error(helper, app):
    assert codes(job(pod_template([app, helper])), at_least="warning") == []


def test_an_exit_flag_set_to_false_does_not_count():
    helper = container("vault-agent", "hashicorp/vault:1.16.1", args=["agent", "-exit-after-auth=false"])

    assert ("job-template-legacy-sidecar", "vault-agent") in codes(job(pod_template([APP, helper])))


def test_without_native_sidecars_in_the_target_version_the_fix_is_to_tell_the_helper_to_exit():
    finding = one(job(pod_template([APP, LEGACY_PROXY])), "job-template-legacy-sidecar", kube_version=(1, 27))

    assert finding.patches == ()
    assert "1.27" in finding.remedy and "quitquitquit" in finding.remedy
    assert "Kubernetes 1.27 (--kube-version)" in finding.evidence[1]


def test_without_a_kube_version_the_assumed_version_is_said():
    finding = one(job(pod_template([APP, LEGACY_PROXY])), "job-template-legacy-sidecar")

    assert "Kubernetes >= 1.29 assumed (no --kube-version)" in finding.evidence[1]


# --- restart-policy-on-container --------------------------------------------------------------------------

def test_restart_policy_always_on_a_container_is_an_error_with_the_move_to_init_containers():
    helper = dict(LEGACY_PROXY, restartPolicy="Always")

    finding = one(job(pod_template([APP, helper])), "restart-policy-on-container")

    assert finding.severity == "error" and finding.container == "cloud-sql-proxy"
    assert "does not make it a sidecar" in finding.message
    assert finding.patches[0].patch["spec"]["initContainers"][0]["restartPolicy"] == "Always"


def test_restart_policy_on_an_app_container_is_removed_by_the_fix():
    web = container("web", restart_policy="Always")

    finding = one(deployment(pod_template([web])), "restart-policy-on-container")

    assert finding.patches[0].patch == {"spec": {"containers": [{"name": "web", "restartPolicy": None}]}}


def test_another_restart_policy_is_an_error_only_where_the_api_server_rejects_it():
    app = container("migrate", restart_policy="OnFailure")

    assert codes(job(pod_template([app]))) == []
    assert codes(job(pod_template([app])), kube_version=(1, 36)) == []
    assert "rejects it" in one(job(pod_template([app])), "restart-policy-on-container", (1, 33)).message


def test_restart_policy_on_an_init_container_is_a_native_sidecar_not_a_finding():
    template = pod_template([APP], init=[sidecar("cloud-sql-proxy", PROXY, port=5432, startup_probe=True)])

    assert "restart-policy-on-container" not in {c for c, _ in codes(job(template))}


# --- drain-exceeds-grace ----------------------------------------------------------------------------------

def native_proxy(**fields) -> dict:
    return sidecar("cloud-sql-proxy", PROXY, port=5432, startup_probe=True, **fields)


def test_a_pre_stop_sleep_as_long_as_the_grace_period_is_always_killed():
    proxy = native_proxy(lifecycle={"preStop": {"exec": {"command": ["/bin/sh", "-c", "sleep 30"]}}})

    finding = one(deployment(pod_template([container("web")], init=[proxy])), "drain-exceeds-grace")

    assert finding.severity == "warning" and finding.container == "cloud-sql-proxy"
    assert "30s" in finding.message and "SIGKILL" in finding.message
    assert finding.patches[0].patch == {"spec": {"terminationGracePeriodSeconds": 45}}


def test_a_pre_stop_sleep_action_counts_and_a_shorter_one_is_quiet():
    long = native_proxy(lifecycle={"preStop": {"sleep": {"seconds": 60}}})
    short = native_proxy(lifecycle={"preStop": {"sleep": {"seconds": 20}}})

    assert one(deployment(pod_template([container("web")], init=[long])), "drain-exceeds-grace")
    assert codes(deployment(pod_template([container("web")], init=[short])), at_least="warning") == []


def test_istio_termination_drain_duration_against_the_grace_period():
    config = {"proxy.istio.io/config": "holdApplicationUntilProxyStarts: true\nterminationDrainDuration: 1m30s\n"}

    finding = one(deployment(pod_template([container("web")], annotations=config,
                                          terminationGracePeriodSeconds=60)), "drain-exceeds-grace")

    assert finding.container == "istio-proxy"
    assert "90s" in finding.message and "before the drain finishes" in finding.message
    assert codes(deployment(pod_template([container("web")], annotations=config,
                                         terminationGracePeriodSeconds=120))) == []


def test_linkerd_wait_before_exit_against_the_default_grace_period():
    wait = {"config.alpha.linkerd.io/proxy-wait-before-exit-seconds": "30"}

    assert one(deployment(pod_template([container("web")], annotations=wait)), "drain-exceeds-grace")
    assert codes(deployment(pod_template([container("web")], annotations=dict(
        wait, **{"config.alpha.linkerd.io/proxy-wait-before-exit-seconds": "20"})))) == []


def test_an_apps_own_pre_stop_sleep_is_not_a_sidecar_drain():
    web = container("web", lifecycle={"preStop": {"exec": {"command": ["sleep", "40"]}}})

    assert codes(deployment(pod_template([web]))) == []


@pytest.mark.parametrize("text, seconds", [("45s", 45), ("1m30s", 90), ("1.5h", 5400), ("500ms", 0.5),
                                           ("5", None), ("soon", None), ("30s junk", None)])
def test_go_durations(text, seconds):
    assert go_duration(text) == seconds


# --- native-sidecars-unsupported with --kube-version -----------------------------------------------------

@pytest.mark.parametrize("version, reported", [((1, 27), True), ((1, 28), True), ((1, 29), False), (None, False)])
def test_native_sidecars_against_the_target_version(version, reported):
    template = job(pod_template([APP], init=[native_proxy()]))

    found = [f for f in linted(template, version) if f.code == "native-sidecars-unsupported"]

    assert bool(found) == reported
    if reported:
        assert found[0].severity == "error" and found[0].container == "cloud-sql-proxy"


# --- the existing meanings, on templates ------------------------------------------------------------------

def test_a_pod_failure_policy_of_a_job_manifest_that_matches_a_sidecar():
    policy = {"rules": [{"action": "FailJob", "onExitCodes": {"operator": "In", "values": [137]}}]}
    template = pod_template([APP], init=[native_proxy()])

    finding = one(job(template, podFailurePolicy=policy), "pod-failure-policy-matches-sidecar")
    named = dict(policy, rules=[dict(policy["rules"][0], onExitCodes=dict(
        policy["rules"][0]["onExitCodes"], containerName="migrate"))])

    assert finding.severity == "warning"
    assert finding.patches[0].patch["spec"]["podFailurePolicy"]["rules"][0]["onExitCodes"]["containerName"] == \
        "migrate"
    assert "pod-failure-policy-matches-sidecar" not in {c for c, _ in codes(job(template, podFailurePolicy=named))}


def test_a_cronjobs_pod_failure_policy_patch_goes_to_its_job_template():
    policy = {"rules": [{"action": "FailJob", "onExitCodes": {"operator": "NotIn", "values": [0]}}]}
    obj = cronjob(pod_template([APP], init=[native_proxy()]))
    obj["spec"]["jobTemplate"]["spec"]["podFailurePolicy"] = policy

    finding = one(obj, "pod-failure-policy-matches-sidecar")

    assert (finding.patches[0].target.kind, finding.patches[0].target.path) == ("CronJob", "spec.jobTemplate")


def test_template_meanings_of_the_existing_rules():
    waits = container("migrate", command=["sh", "-c", "linkerd-await --shutdown -- ./migrate"])
    envoy = sidecar("envoy", "envoyproxy/envoy:v1.31", port=9901)
    template = pod_template([waits], init=[container("schema", command=["./schema"]), envoy])

    assert codes(job(template)) == [("init-before-sidecar", "schema"), ("legacy-workaround", "migrate"),
                                    ("no-startup-probe", "envoy")]
