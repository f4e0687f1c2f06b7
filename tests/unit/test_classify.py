"""Every container type, every kind of legacy-sidecar evidence, and the near-misses that stay `app`."""

import glob
import json
import os

import pytest

from kubectl_sidecars.files import load_objects
from kubectl_sidecars.model.classify import APP, EPHEMERAL, INIT, LEGACY, SIDECAR, TYPES, classify
from tests.factory import (
    container,
    exited,
    istio_annotations,
    job_pod,
    pod,
    replicaset_owner,
    running,
    sidecar,
    terminated,
    waiting,
)

REALCASES = os.path.join(os.path.dirname(__file__), os.pardir, "fixtures", "realcases")

APP_CONTAINER = container("app", "registry.example.com/shop/checkout:2.8.1", port=8080)
BEHAVIOUR = "still running after the other containers of this run-to-completion pod finished"


def test_types_are_the_documented_five():
    assert TYPES == ("init", "sidecar", "legacy-sidecar", "app", "ephemeral")


def test_native_types_come_from_the_spec():
    built = pod(
        containers=[APP_CONTAINER],
        init_containers=[container("wait-for-db", "busybox:1.36"),
                         sidecar("log-shipper", "docker.io/fluent/fluent-bit:3.0.4"),
                         container("migrate", "registry.example.com/shop/migrate:2.8.1", restart_policy=None)],
        ephemeral_containers=[{"name": "debugger-8xk2l", "image": "busybox:1.36", "targetContainerName": "app"}],
    )
    assert classify(built) == {
        "wait-for-db": (INIT, None),
        "log-shipper": (SIDECAR, None),
        "migrate": (INIT, None),
        "app": (APP, None),
        "debugger-8xk2l": (EPHEMERAL, None),
    }


def test_native_sidecar_with_a_proxy_name_is_a_sidecar_not_legacy():
    built = pod(containers=[APP_CONTAINER], init_containers=[container("istio-init"), sidecar("istio-proxy")],
                annotations=istio_annotations(containers=[], inits=["istio-init", "istio-proxy"]))
    assert classify(built) == {"istio-init": (INIT, None), "istio-proxy": (SIDECAR, None), "app": (APP, None)}


def test_init_container_with_restart_policy_other_than_always_is_init():
    built = pod(containers=[APP_CONTAINER], init_containers=[container("setup", restart_policy="OnFailure")])
    assert classify(built)["setup"] == (INIT, None)


def test_pod_without_spec():
    assert classify({"kind": "Pod", "metadata": {"name": "x"}}) == {}


# ---------------------------------------------------------------- injector evidence


def test_istio_status_lists_injected_containers():
    built = pod(containers=[APP_CONTAINER, container("istio-proxy")], init_containers=[container("istio-init")],
                annotations=istio_annotations())
    assert classify(built) == {
        "istio-init": (INIT, None),
        "app": (APP, None),
        "istio-proxy": (LEGACY, "injected by Istio (sidecar.istio.io/status)"),
    }


def test_istio_status_names_a_container_nobody_would_recognise():
    built = pod(containers=[APP_CONTAINER, container("istio-proxy"), container("audit-tap")],
                annotations=istio_annotations(containers=["istio-proxy", "audit-tap"]))
    result = classify(built)
    assert result["audit-tap"] == (LEGACY, "injected by Istio (sidecar.istio.io/status)")
    assert result["app"] == (APP, None)


def test_istio_status_that_is_not_json_is_ignored():
    annotations = {"sidecar.istio.io/status": "{not json", "kubectl.kubernetes.io/default-container": ""}
    built = pod(containers=[APP_CONTAINER, container("audit-tap")], annotations=annotations)
    assert classify(built) == {"app": (APP, None), "audit-tap": (APP, None)}


def test_linkerd_proxy_version_with_linkerd_proxy():
    built = pod(containers=[container("linkerd-proxy", port=4191), APP_CONTAINER],
                init_containers=[container("linkerd-init")],
                annotations={"linkerd.io/created-by": "linkerd/proxy-injector edge-24.5.1",
                             "linkerd.io/inject": "enabled", "linkerd.io/proxy-version": "edge-24.5.1",
                             "linkerd.io/trust-root-sha256": "3c5f1e2a"})
    assert classify(built) == {
        "linkerd-init": (INIT, None),
        "linkerd-proxy": (LEGACY, "injected by Linkerd (linkerd.io/proxy-version)"),
        "app": (APP, None),
    }


def test_vault_agent_injected():
    built = pod(containers=[APP_CONTAINER, container("vault-agent")], init_containers=[container("vault-agent-init")],
                annotations={"vault.hashicorp.com/agent-inject": "true",
                             "vault.hashicorp.com/agent-inject-status": "injected",
                             "vault.hashicorp.com/role": "checkout"})
    assert classify(built) == {
        "vault-agent-init": (INIT, None),
        "app": (APP, None),
        "vault-agent": (LEGACY, "injected by Vault Agent Injector (vault.hashicorp.com/agent-inject-status)"),
    }


def test_openkruise_sidecarset_hash_lists_the_injected_containers():
    hashes = {"log-sidecarset": {"updateTimestamp": "2025-03-04T09:58:12Z", "hash": "8x7f9d4zwv2b6c4w",
                                 "sidecarSetName": "log-sidecarset", "sidecarList": ["log-agent"],
                                 "controllerRevision": "log-sidecarset-5b9c8f7d6d"}}
    built = pod(containers=[APP_CONTAINER, container("log-agent", "registry.example.com/infra/log-agent:0.9.0")],
                annotations={"kruise.io/sidecarset-hash": json.dumps(hashes),
                             "kruise.io/sidecarset-injected-list": "log-sidecarset"})
    assert classify(built) == {
        "app": (APP, None),
        "log-agent": (LEGACY, "injected by OpenKruise SidecarSet 'log-sidecarset' (kruise.io/sidecarset-hash)"),
    }


def test_openkruise_is_injected_env():
    agent = container("log-agent", "registry.example.com/infra/log-agent:0.9.0",
                      env={"IS_INJECTED": "true", "LOG_DIR": "/var/log/app"})
    built = pod(containers=[APP_CONTAINER, agent])
    assert classify(built)["log-agent"] == (LEGACY, "injected by OpenKruise SidecarSet (IS_INJECTED)")
    assert classify(built)["app"] == (APP, None)


def test_is_injected_false_is_no_evidence():
    agent = container("log-agent", "registry.example.com/infra/log-agent:0.9.0", env={"IS_INJECTED": "false"})
    assert classify(pod(containers=[APP_CONTAINER, agent]))["log-agent"] == (APP, None)


def test_injector_annotations_without_their_container_are_no_evidence():
    annotations = {"linkerd.io/proxy-version": "edge-24.5.1", "vault.hashicorp.com/agent-inject-status": "injected"}
    built = pod(containers=[APP_CONTAINER, container("worker")], annotations=annotations)
    assert classify(built) == {"app": (APP, None), "worker": (APP, None)}


def test_vault_status_other_than_injected_falls_back_to_the_name():
    built = pod(containers=[APP_CONTAINER, container("vault-agent")],
                annotations={"vault.hashicorp.com/agent-inject-status": "update"})
    assert classify(built)["vault-agent"] == (LEGACY, "well-known helper name 'vault-agent'")


def test_injector_evidence_wins_over_the_name():
    built = pod(containers=[APP_CONTAINER, container("istio-proxy")], annotations=istio_annotations())
    assert classify(built)["istio-proxy"][1] == "injected by Istio (sidecar.istio.io/status)"


# ---------------------------------------------------------------- default-container evidence


def test_default_container_marks_the_others():
    built = pod(containers=[container("audit-forwarder"), APP_CONTAINER],
                annotations={"kubectl.kubernetes.io/default-container": "app"})
    assert classify(built) == {
        "audit-forwarder": (LEGACY, "not the pod's main container (kubectl.kubernetes.io/default-container: app)"),
        "app": (APP, None),
    }


def test_default_container_naming_no_container_is_no_evidence():
    built = pod(containers=[container("audit-forwarder"), APP_CONTAINER],
                annotations={"kubectl.kubernetes.io/default-container": "main"})
    assert classify(built) == {"audit-forwarder": (APP, None), "app": (APP, None)}


def test_default_container_is_stronger_evidence_than_a_well_known_name():
    # sidecar-semantics.md and classify's own docstring: injector, then default-container, then names
    built = pod(containers=[APP_CONTAINER, container("fluent-bit", "docker.io/fluent/fluent-bit:3.0.4")],
                annotations={"kubectl.kubernetes.io/default-container": "app"})
    assert classify(built)["fluent-bit"] == (
        LEGACY, "not the pod's main container (kubectl.kubernetes.io/default-container: app)")


def test_the_default_container_is_the_app_even_with_a_helper_name():
    # an Envoy front proxy whose log shipper rides along: the annotation says envoy is the workload
    built = pod(containers=[container("envoy", "docker.io/envoyproxy/envoy:v1.30.1", port=8080),
                            container("fluent-bit", "docker.io/fluent/fluent-bit:3.0.4")],
                annotations={"kubectl.kubernetes.io/default-container": "envoy"})
    result = classify(built)
    assert result["envoy"] == (APP, None)
    assert result["fluent-bit"][0] == LEGACY


# ---------------------------------------------------------------- names and images


@pytest.mark.parametrize("name, evidence", [
    ("fluent-bit", "well-known helper name 'fluent-bit'"),
    ("fluentd", "well-known helper name 'fluentd'"),
    ("git-sync", "well-known helper name 'git-sync'"),
    ("config-reloader", "well-known helper name 'config-reloader'"),
    ("otel-collector", "well-known helper name 'otel-collector'"),
    ("envoy", "well-known helper name 'envoy'"),
    ("promtail", "well-known helper name 'promtail'"),
    ("filebeat", "well-known helper name 'filebeat'"),
    ("datadog-agent", "well-known helper name 'datadog-agent'"),
])
def test_well_known_helper_names(name, evidence):
    built = pod(containers=[APP_CONTAINER, container(name, f"registry.example.com/mirror/other:{name}")])
    assert classify(built) == {"app": (APP, None), name: (LEGACY, evidence)}


@pytest.mark.parametrize("name", ["cloud-sql-proxy", "istio-proxy", "linkerd-proxy", "oauth2-proxy"])
def test_well_known_names_are_named_as_such_not_as_a_suffix(name):
    built = pod(containers=[APP_CONTAINER, container(name, "registry.example.com/mirror/helper:1.0")])
    assert classify(built)[name] == (LEGACY, f"well-known helper name '{name}'")


@pytest.mark.parametrize("image, repository", [
    ("docker.io/fluent/fluent-bit:3.0.4", "fluent-bit"),
    ("gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.11.0", "cloud-sql-proxy"),
    ("docker.io/istio/proxyv2:1.22.3", "proxyv2"),
    ("registry.k8s.io/git-sync/git-sync:v4.2.3", "git-sync"),
    ("registry.local:5000/mirror/fluent-bit@sha256:" + "a" * 64, "fluent-bit"),
    ("docker.io/envoyproxy/envoy:v1.30.1@sha256:" + "b" * 64, "envoy"),
])
def test_well_known_helper_images(image, repository):
    built = pod(containers=[APP_CONTAINER, container("shipper", image)])
    assert classify(built)["shipper"] == (LEGACY, f"well-known helper image '{repository}'")


@pytest.mark.parametrize("name, suffix", [("slow-sidecar", "sidecar"), ("auth-proxy", "proxy"),
                                          ("metrics_sidecar", "sidecar"), ("Egress-Proxy", "proxy")])
def test_helper_name_suffixes(name, suffix):
    built = pod(containers=[APP_CONTAINER, container(name, "registry.example.com/team/helper:1.0")])
    assert classify(built)[name] == (LEGACY, f"helper name ending in '{suffix}'")


# ---------------------------------------------------------------- behaviour


def _job_with(states, restart_policy="Never", names=("report", "uploader")):
    return job_pod(containers=[container(n) for n in names], statuses=states, restart_policy=restart_policy,
                   pod_conditions=None)


def test_still_running_after_the_app_finished_in_a_job_pod():
    built = _job_with([terminated("report", 0), running("uploader")])
    assert classify(built) == {"report": (APP, None), "uploader": (LEGACY, BEHAVIOUR)}


def test_still_running_after_the_app_failed_in_an_on_failure_job_pod():
    built = _job_with([terminated("report", 1), running("uploader")], restart_policy="OnFailure")
    assert classify(built)["uploader"] == (LEGACY, BEHAVIOUR)


def test_behaviour_counts_only_containers_without_other_evidence():
    built = job_pod(containers=[container("report"), container("istio-proxy"), container("uploader")],
                    statuses=[terminated("report", 0), running("istio-proxy"), running("uploader")],
                    annotations=istio_annotations(containers=["istio-proxy"]))
    assert classify(built) == {"report": (APP, None),
                               "istio-proxy": (LEGACY, "injected by Istio (sidecar.istio.io/status)"),
                               "uploader": (LEGACY, BEHAVIOUR)}


def test_job_pod_with_every_container_running_has_no_behaviour_evidence():
    built = _job_with([running("report"), running("uploader")])
    assert classify(built) == {"report": (APP, None), "uploader": (APP, None)}


def test_job_pod_with_every_container_finished_has_no_behaviour_evidence():
    built = _job_with([terminated("report", 0), terminated("uploader", 0)], names=("report", "uploader"))
    assert classify(built) == {"report": (APP, None), "uploader": (APP, None)}


def test_job_pod_whose_other_container_is_restarting_has_no_behaviour_evidence():
    built = _job_with([waiting("report", "CrashLoopBackOff", restarts=2, last=exited(1, until=30)),
                       running("uploader")], restart_policy="OnFailure")
    assert classify(built)["uploader"] == (APP, None)


def test_single_container_job_pod_is_app():
    built = _job_with([running("report")], names=("report",))
    assert classify(built) == {"report": (APP, None)}


def test_long_running_deployment_pod_where_one_container_exited_stays_app():
    built = pod(name="api-5c7d9f8b6-q2w3e", owner=replicaset_owner("api-5c7d9f8b6"),
                containers=[container("api"), container("warmup")],
                statuses=[running("api"), terminated("warmup", 0, since=4, until=20)])
    assert classify(built) == {"api": (APP, None), "warmup": (APP, None)}


def test_restart_policy_absent_means_always_and_no_behaviour_evidence():
    built = pod(containers=[container("api"), container("warmup")],
                statuses=[running("api"), terminated("warmup", 0)])
    del built["spec"]["restartPolicy"]
    assert classify(built) == {"api": (APP, None), "warmup": (APP, None)}


# ---------------------------------------------------------------- near-misses


def test_lone_envoy_gateway_pod_is_app():
    built = pod(name="gateway-6f8d7c9b5-k9z8x", owner=replicaset_owner("gateway-6f8d7c9b5"),
                containers=[container("envoy", "docker.io/envoyproxy/envoy:v1.30.1", port=8080)],
                statuses=[running("envoy")])
    assert classify(built) == {"envoy": (APP, None)}


def test_pod_made_only_of_helpers_keeps_them_as_apps():
    built = pod(name="logging-7xk2p", labels={}, containers=[container("fluentd"), container("config-reloader")])
    assert classify(built) == {"fluentd": (APP, None), "config-reloader": (APP, None)}


def test_a_helper_named_like_its_workload_is_the_app():
    built = pod(name="fluentd-7xk2p", labels={"app.kubernetes.io/name": "fluentd"},
                containers=[container("fluentd"), container("config-reloader")])
    assert classify(built) == {"fluentd": (APP, None),
                               "config-reloader": (LEGACY, "well-known helper name 'config-reloader'")}


def test_envoy_of_an_envoy_deployment_is_the_app():
    built = pod(name="envoy-6f8d7c9b5-k9z8x", labels={}, owner=replicaset_owner("envoy-6f8d7c9b5"),
                containers=[container("shutdown-manager"), container("envoy", "docker.io/envoyproxy/envoy:v1.30.1")])
    assert classify(built) == {"shutdown-manager": (APP, None), "envoy": (APP, None)}


def test_istio_gateway_is_its_injected_proxy_alone():
    built = pod(name="istio-ingressgateway-7d9f-x2x", labels={},
                containers=[container("istio-proxy", "docker.io/istio/proxyv2:1.24.0")],
                annotations=istio_annotations(containers=["istio-proxy"]))
    assert classify(built) == {"istio-proxy": (APP, None)}


def test_steps_of_a_tekton_task_run_are_apps():
    built = pod(name="build-run-pod", labels={}, restart_policy="Never",
                owner={"apiVersion": "tekton.dev/v1", "kind": "TaskRun", "name": "build-run", "uid": "u-1",
                       "controller": True},
                containers=[container("step-build"), container("step-push")],
                statuses=[terminated("step-build", 0), running("step-push")])
    assert classify(built) == {"step-build": (APP, None), "step-push": (APP, None)}


def test_pod_made_only_of_helpers_keeps_injected_ones_as_legacy():
    built = pod(containers=[container("envoy", "docker.io/envoyproxy/envoy:v1.30.1"), container("istio-proxy")],
                annotations=istio_annotations(containers=["istio-proxy"]))
    assert classify(built) == {"envoy": (APP, None),
                               "istio-proxy": (LEGACY, "injected by Istio (sidecar.istio.io/status)")}


@pytest.mark.parametrize("name, image", [
    ("sidecar-user", "docker.io/zwindler/sidecar-user:latest"),
    ("envoyer", "registry.example.com/team/envoyer:1.0"),
    ("proxy-config-api", "registry.example.com/team/proxy-config-api:1.0"),
    ("gitsyncer", "registry.example.com/team/gitsyncer:1.0"),
    ("reviews", "docker.io/istio/examples-bookinfo-reviews-v1:1.17.0"),
])
def test_names_that_only_look_like_helpers_stay_app(name, image):
    built = pod(containers=[APP_CONTAINER, container(name, image)])
    assert classify(built) == {"app": (APP, None), name: (APP, None)}


def test_app_named_after_a_helper_in_its_image_tag_only_stays_app():
    built = pod(containers=[APP_CONTAINER, container("worker", "registry.example.com/team/worker:envoy-1.30")])
    assert classify(built)["worker"] == (APP, None)


# ---------------------------------------------------------------- the transcribed real cases


def _realcases():
    for path in sorted(glob.glob(os.path.join(REALCASES, "*.json"))):
        if path.endswith(".expected.json"):
            continue
        with open(path[:-len(".json")] + ".expected.json", encoding="utf-8") as handle:
            expected = json.load(handle)
        for obj in load_objects([path]):
            if obj.get("kind") == "Pod":
                yield pytest.param(obj, expected["classification"], id=os.path.basename(path)[:-5])


@pytest.mark.parametrize("pod_object, expected", list(_realcases()))
def test_real_cases_classification(pod_object, expected):
    name = pod_object["metadata"]["name"]
    result = classify(pod_object)
    wanted = {key.split("/", 1)[1]: value for key, value in expected.items() if key.split("/", 1)[0] == name}
    assert wanted, "the fixture lists no container of this pod"
    for container_name, kind in wanted.items():
        allowed = kind if isinstance(kind, list) else [kind]
        assert result[container_name][0] in allowed, container_name
        assert (result[container_name][1] is not None) == (result[container_name][0] == LEGACY)
