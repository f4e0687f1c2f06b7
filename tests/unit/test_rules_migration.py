"""legacy-sidecar and legacy-workaround."""

import copy

import pytest

from tests.factory import (
    container,
    istio_legacy_deployment,
    job_owner,
    logshipper,
    owner,
    pi_legacy,
    pod,
    replicaset_owner,
    running,
    terminated,
)
from tests.unit.judging import findings_of, shown, with_code

LEGACY, WORKAROUND = "legacy-sidecar", "legacy-workaround"


def test_legacy_sidecar_is_info_with_the_migrated_container():
    found = with_code(findings_of(pi_legacy()), LEGACY)
    assert [(f.severity, f.container) for f in found] == [("info", "sidecar")]
    remedy = shown(found[0])
    assert "initContainers:" in remedy and "restartPolicy: Always" in remedy and "image: hwchiu/netutils" in remedy
    assert "kube-api-access" not in remedy  # the service-account mount is added by admission, not written


def test_injected_legacy_sidecar_points_at_the_injector():
    found = with_code(findings_of(istio_legacy_deployment()), LEGACY)
    assert [f.container for f in found] == ["istio-proxy"]
    assert "sidecar.istio.io/nativeSidecar: 'true'" in shown(found[0])
    assert "stopped together with it" in found[0].message  # a Deployment pod is not meant to finish


def test_no_legacy_finding_for_native_sidecars():
    assert with_code(findings_of(logshipper()), LEGACY) == []


def _job_with_command(command):
    return pod("job-1", owner=job_owner("demo"), restart_policy="Never", phase=None,
               containers=[container("main", "curlimages/curl:8.10.1", command=["sh", "-c", command]),
                           container("istio-proxy", "docker.io/istio/proxyv2:1.22.0")],
               statuses=[terminated("main", 0, since=3, until=30), terminated("istio-proxy", 0, since=2, until=31)])


@pytest.mark.parametrize("command, word", [
    ("./run && curl -fsS -X POST http://localhost:15020/quitquitquit", "15020/quitquitquit"),
    ("./run; pilot-agent request POST quitquitquit", "pilot-agent"),
    ("linkerd-await --shutdown -- ./run", "linkerd-await --shutdown"),
    ("./run; curl -X POST http://localhost:4191/shutdown", "4191/shutdown"),
    ("./run && touch /shared/done", "done"),
])
def test_legacy_workarounds_in_the_app_command(command, word):
    found = with_code(findings_of(_job_with_command(command)), WORKAROUND)
    assert [(f.severity, f.container) for f in found] == [("info", "main")], command
    assert word.split()[0].split("/")[0] in found[0].message or word in found[0].message


def test_workarounds_in_the_helper_command():
    p = pod("job-1", owner=job_owner("demo"), restart_policy="Never", phase=None,
            containers=[container("main", "example/etl:1"),
                        container("cloud-sql-proxy", "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.14.0",
                                  args=["--quitquitquit", "--port=5432", "proj:region:db"]),
                        container("log-forwarder", "busybox:1.36",
                                  command=["sh", "-c", "while [ ! -f /shared/done ]; do sleep 1; done"])],
            statuses=[terminated("main", 0, since=3, until=30),
                      running("cloud-sql-proxy", since=2),
                      running("log-forwarder", since=2)])
    found = with_code(findings_of(p), WORKAROUND)
    assert sorted(f.container for f in found) == ["cloud-sql-proxy", "log-forwarder"]


def test_ordinary_commands_are_not_workarounds():
    assert with_code(findings_of(_job_with_command("python main.py --out /data/result.csv")), WORKAROUND) == []
    katib = "python3 /opt/mnist.py 1>/var/log/katib/metrics.log 2>&1 && echo completed > /var/log/katib/$$$$.pid"
    assert with_code(findings_of(_job_with_command(katib)), WORKAROUND) == []


def test_yaml_snippets_read_back_as_the_same_values():
    import yaml

    from kubectl_sidecars.render.patches import to_yaml
    from kubectl_sidecars.rules.common import native_sidecar_spec

    tricky = ["--domain", "$(POD_NAMESPACE).svc.cluster.local", "2", "0755", "10:30", ".inf", "true", "no", "~",
              "- x", "a: b", "a #b", "*", "&anchor", "!tag", "{a}", "[a]", "---", "--", "multi\nline", "tab\there",
              "quote\"s", "it's", "ünïcode", "", " lead", "trail ", "%x", "@x", "`x", "|", ">", "?", "1e3", "0x1F"]
    spec = {"name": "proxy", "image": "docker.io/istio/proxyv2:1.22.0", "args": tricky,
            "ports": [{"containerPort": 15090, "protocol": "TCP"}],
            "env": [{"name": "A", "value": "true"}], "resources": {"limits": {"cpu": "2", "memory": "1Gi"}}}
    migrated, _ = native_sidecar_spec(spec)
    assert yaml.safe_load(to_yaml({"spec": {"initContainers": [migrated]}})) == {
        "spec": {"initContainers": [migrated]}}
    assert migrated["restartPolicy"] == "Always"
    assert migrated["startupProbe"] == {"tcpSocket": {"port": 15090}, "periodSeconds": 1, "failureThreshold": 30}


def test_every_patch_is_shown_as_yaml_that_reads_back_as_the_patch():
    import yaml

    from kubectl_sidecars.render.patches import patch_yaml
    from tests.factory import cronjob_legacy_race

    patches = [p for pod_dict in (pi_legacy(), istio_legacy_deployment(), logshipper(), cronjob_legacy_race())
               for finding in findings_of(pod_dict) for p in finding.patches]
    assert patches
    for patch in patches:
        assert yaml.safe_load(patch_yaml(patch)) == patch.patch


# --- a sidecar's own postStart gate is no workaround; pods built by workflow controllers -----------

LINKERD_AWAIT = {"postStart": {"exec": {"command": ["/usr/lib/linkerd/linkerd-await", "--timeout=2m",
                                                    "--port=4191"]}}}


def _linkerd(native):
    proxy = container("linkerd-proxy", "cr.l5d.io/linkerd/proxy:stable-2.14.10",
                      ports=[{"containerPort": p, "protocol": "TCP"} for p in (4143, 4191)],
                      restart_policy="Always" if native else None, lifecycle=LINKERD_AWAIT)
    app = container("emojivoto-web", "docker.l5d.io/buoyantio/emojivoto-web:v11", port=8080)
    annotations = {"linkerd.io/proxy-version": "stable-2.14.10", "linkerd.io/inject": "enabled"}
    if native:
        return pod("web-q8r2t", owner=replicaset_owner("web-6b8f79c6d8"), restart_policy="Always", phase=None,
                   annotations=annotations,
                   init_containers=[proxy],
                   containers=[app],
                   init_statuses=[running(proxy["name"], since=2)],
                   statuses=[running(app["name"], since=4)])
    return pod("web-lgcy1", owner=replicaset_owner("web-6b8f79c6d8"), restart_policy="Always", phase=None,
               annotations=annotations,
               containers=[proxy, app],
               statuses=[running(proxy["name"], since=2), running(app["name"], since=4)])


def test_linkerd_await_in_the_proxy_s_own_post_start_is_not_a_workaround():
    for native in (True, False):
        found = findings_of(_linkerd(native), now=3600)
        assert with_code(found, WORKAROUND) == [], native
        assert all("workarounds in use" not in e for f in with_code(found, LEGACY) for e in f.evidence)
    # the same command in the app's postStart, or wrapping the app, is one
    p = _linkerd(native=True)
    p["spec"]["containers"][0]["lifecycle"] = LINKERD_AWAIT
    assert [f.container for f in with_code(findings_of(p, now=3600), WORKAROUND)] == ["emojivoto-web"]


def test_legacy_sidecar_of_a_workflow_pod_has_nothing_to_migrate():
    argo = pod("hello-world-a1b2c", owner=owner("Workflow", "hello-world-x7k9p"), restart_policy="Never", phase=None,
               annotations={"kubectl.kubernetes.io/default-container": "main"},
               containers=[container("wait", "quay.io/argoproj/argoexec:v3.5.10", command=["argoexec", "wait"]),
                           container("main", "docker/whalesay:latest", command=["cowsay", "hello"])],
               statuses=[terminated("wait", 0, since=2, until=12), terminated("main", 0, since=3, until=10)])
    found = with_code(findings_of(argo), LEGACY)
    assert [f.container for f in found] == ["wait"]
    assert "Argo Workflows" in shown(found[0]) and "Nothing to migrate" in shown(found[0])
    assert "initContainers" not in shown(found[0])
    assert "nothing to migrate" in found[0].message
    # the same container in a Job's pod gets the migration
    job_pod = copy.deepcopy(argo)
    job_pod["metadata"]["ownerReferences"][0].update(kind="Job", name="hello", apiVersion="batch/v1")
    assert "initContainers:" in shown(with_code(findings_of(job_pod), LEGACY)[0])


def test_each_legacy_sidecar_gets_its_own_remedy():
    istio = '{"initContainers":["istio-init"],"containers":["istio-proxy"]}'
    p = pod("trial-1", owner=job_owner("trial"), restart_policy="Never", phase=None,
            annotations={"sidecar.istio.io/status": istio},
            containers=[container("training", "mnist:v1"),
                        container("istio-proxy", "docker.io/istio/proxyv2:1.22.0"),
                        container("fluent-bit", "fluent/fluent-bit:3.1")],
            statuses=[running("training", since=3), running("istio-proxy", since=2), running("fluent-bit", since=2)])
    remedies = {f.container: shown(f) for f in with_code(findings_of(p), LEGACY)}
    assert "sidecar.istio.io/nativeSidecar" in remedies["istio-proxy"]
    assert "- name: fluent-bit" in remedies["fluent-bit"] and "nativeSidecar" not in remedies["fluent-bit"]
