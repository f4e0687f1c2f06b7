"""`kubectl sidecars status` through kubectl's plugin dispatch: selection flags, output formats, paged
reads checked in the audit log, kubeconfig handling, and every kind of API failure as one line."""

import base64
import json
import os
import re
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from tests.factory import ago, container, live, sidecar

from .cluster import PLUGIN_USER, CertificateAuthority, free_port

ISTIO = {"sidecar.istio.io/status": json.dumps({"initContainers": [], "containers": ["istio-proxy"]})}
ESC = "\x1b"


# --- helpers -----------------------------------------------------------------------------------------

def parse_table(text):
    """kubectl-style table -> list of {header: cell}; columns start where their header starts."""
    lines = [line for line in text.splitlines() if line.strip()]
    starts = [(m.start(), m.group()) for m in re.finditer(r"\S+", lines[0])]
    rows = []
    for line in lines[1:]:
        cells = {}
        for i, (start, header) in enumerate(starts):
            end = starts[i + 1][0] if i + 1 < len(starts) else None
            cells[header] = line[start:end].strip()
        rows.append(cells)
    return rows


def b64(path):
    return base64.b64encode(Path(path).read_bytes()).decode()


def pods_of(out):
    document = json.loads(out)
    assert (document["apiVersion"], document["kind"]) == ("kubectl-sidecars/v1", "SidecarStatus")
    return [(p["namespace"], p["name"]) for p in document["pods"]]


def one_line_error(code, out, err, expected_code):
    assert code == expected_code, (code, out, err)
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    assert err.startswith("error: ") and err.count("error:") == 1, err


def plugin_requests(cluster, ns, expected=1, timeout=10):
    """The plugin user's audit events about namespace ns, once at least `expected` have landed."""
    deadline = time.monotonic() + timeout
    while True:
        events = [e for e in cluster.audit_events(PLUGIN_USER) if f"/namespaces/{ns}/" in e["requestURI"]]
        if len(events) >= expected or time.monotonic() > deadline:
            return events
        time.sleep(0.1)


def write_config(path, config):
    path.write_text(yaml.safe_dump(config))
    return path


def plugin_config(cluster, namespace=None):
    return yaml.safe_load(cluster.plugin_kubeconfig(namespace=namespace).read_text())


def config_with_user(cluster, user_entry, cluster_ca=None):
    """A one-context kubeconfig against the e2e server with a hand-made user entry."""
    return {
        "apiVersion": "v1", "kind": "Config", "current-context": "e2e",
        "clusters": [{"name": "e2e", "cluster": {"server": cluster.server,
                                                 "certificate-authority-data": cluster_ca or b64(cluster.ca.cert)}}],
        "users": [{"name": "someone", "user": user_entry}],
        "contexts": [{"name": "e2e", "context": {"cluster": "e2e", "user": "someone"}}],
    }


@pytest.fixture
def web(kube, ns):
    """A running pod with a ready native sidecar, labelled app=web."""
    return kube.pod(ns, "web", init=[sidecar("proxy")], containers=[container("app")], labels={"app": "web"},
                    statuses=[live.running("proxy"), live.running("app")])


# --- namespaces and selection ------------------------------------------------------------------------

def test_namespace_comes_from_the_kubeconfig_context(cluster, run_plugin, ns, web):
    code, out, err = run_plugin("status", "-o", "json", kubeconfig=cluster.plugin_kubeconfig(namespace=ns))

    assert code == 0, err
    assert pods_of(out) == [(ns, "web")]


def test_context_without_namespace_means_default(kube, run_plugin, ns):
    kube.pod("default", f"{ns}-in-default", containers=[container("app")], statuses=[live.running("app")])

    code, out, err = run_plugin("status", "-o", "json")

    assert code == 0, err
    pods = pods_of(out)
    assert ("default", f"{ns}-in-default") in pods
    assert {namespace for namespace, _ in pods} == {"default"}


def test_namespace_flag(kube, run_plugin, ns, web):
    kube.pod(f"{ns}-other", "elsewhere", containers=[container("app")], statuses=[live.running("app")])

    code, out, err = run_plugin("status", "-n", ns)

    assert code == 0, err
    rows = parse_table(out)
    assert [r["NAME"] for r in rows] == ["web"]
    assert "NAMESPACE" not in out.splitlines()[0]
    [row] = rows
    assert (row["READY"], row["STATUS"], row["SIDECARS"], row["APP"]) == ("2/2", "Running", "1/1", "1/1")


def test_all_namespaces_adds_the_namespace_column(kube, run_plugin, ns, web):
    other = kube.namespace(f"{ns}-b")
    kube.pod(other, "worker", containers=[container("app")], statuses=[live.waiting("app", "ImagePullBackOff")])

    code, out, err = run_plugin("status", "-A")

    assert code == 0, err
    assert out.splitlines()[0].split()[:2] == ["NAMESPACE", "NAME"]
    mine = {(r["NAMESPACE"], r["NAME"]): r["STATUS"] for r in parse_table(out) if r["NAMESPACE"] in (ns, other)}
    assert mine == {(ns, "web"): "Running", (other, "worker"): "ImagePullBackOff"}


def test_label_selector(kube, run_plugin, ns, web):
    kube.pod(ns, "db", containers=[container("postgres")], labels={"app": "db"}, statuses=[live.running("postgres")])
    kube.pod(ns, "cache", containers=[container("redis")], labels={"app": "cache", "tier": "backend"},
             statuses=[live.running("redis")])

    code, out, err = run_plugin("status", "-n", ns, "-l", "app in (web,cache),tier!=frontend", "-o", "json")

    assert code == 0, err
    assert sorted(name for _, name in pods_of(out)) == ["cache", "web"]


def test_field_selector_is_applied_by_the_server(cluster, kube, run_plugin, ns, web):
    kube.pod(ns, "starting", containers=[container("app")], statuses=[live.waiting("app", "ContainerCreating")])
    kube.pod(ns, "done", containers=[container("main")], restart_policy="Never", statuses=[live.terminated("main", 0)])

    code, out, err = run_plugin("status", "-n", ns, "--field-selector", "status.phase=Running", "-o", "json")

    assert code == 0, err
    assert pods_of(out) == [(ns, "web")]
    # one LIST of pods, filtered by the server; web's native sidecar also has its Events read (one LIST)
    requests = plugin_requests(cluster, ns, expected=2)
    [event] = [e for e in requests if e["objectRef"]["resource"] == "pods"]
    assert parse_qs(urlsplit(event["requestURI"]).query)["fieldSelector"] == ["status.phase=Running"]
    assert sorted(e["objectRef"]["resource"] for e in requests) == ["events", "pods"]


# --- output formats ----------------------------------------------------------------------------------

@pytest.fixture
def mixed(kube, ns):
    """One pod with a container of every type: init, native sidecar, app, legacy sidecar, ephemeral."""
    pod = kube.pod(ns, "mixed", annotations=ISTIO,
                   init=[container("migrate"), sidecar("proxy", startupProbe={"tcpSocket": {"port": 15021}})],
                   containers=[container("app", readinessProbe={"tcpSocket": {"port": 8080}},
                                         livenessProbe={"tcpSocket": {"port": 8080}}),
                               container("istio-proxy", image="istio/proxyv2:1.22.3")],
                   statuses=[live.terminated("migrate", 0, until=ago(500)), live.running("proxy"),
                             live.running("app", restarts=1, last=live.exited(137, "OOMKilled")),
                             live.running("istio-proxy")])
    debugger = {"name": "debugger", "image": "registry.example/busybox:1.36", "targetContainerName": "app",
                "terminationMessagePolicy": "File", "imagePullPolicy": "IfNotPresent"}
    path = f"/api/v1/namespaces/{ns}/pods/mixed"
    pod = kube.api.patch(path + "/ephemeralcontainers", {"spec": {"ephemeralContainers": [debugger]}})
    debug_status = dict(live.running("debugger", ready=False, started=None), image=debugger["image"],
                        imageID=debugger["image"] + "@sha256:" + "1" * 64)
    return kube.set_status(pod, [live.terminated("migrate", 0, until=ago(500)), live.running("proxy"),
                                 live.running("app", restarts=1, last=live.exited(137, "OOMKilled")),
                                 live.running("istio-proxy")],
                           ephemeralContainerStatuses=[debug_status])


def test_named_pod_shows_its_containers(run_plugin, ns, mixed):
    code, out, err = run_plugin("status", "mixed", "-n", ns)

    assert code == 0, err
    assert out.splitlines()[0].split() == ["CONTAINER", "TYPE", "#", "STATE", "REASON/EXIT", "STARTED", "READY",
                                           "RESTARTS", "AGE", "IMAGE", "PROBES"]
    rows = [(r["CONTAINER"], r["TYPE"], r["#"], r["STATE"], r["REASON/EXIT"], r["RESTARTS"], r["PROBES"])
            for r in parse_table(out)]
    assert rows == [
        ("migrate", "init", "0", "terminated", "Completed (0)", "0", "-"),
        ("proxy", "sidecar", "1", "running", "", "0", "startup"),
        ("app", "app", "0", "running", "", "1", "readiness,liveness"),
        ("istio-proxy", "legacy-sidecar", "1", "running", "", "0", "-"),
        ("debugger", "ephemeral", "0", "running", "", "0", "-"),
    ]


def test_wide_adds_node_and_container_names(run_plugin, ns, mixed):
    code, out, err = run_plugin("status", "-n", ns, "-o", "wide")

    assert code == 0, err
    [row] = parse_table(out)
    assert (row["NAME"], row["READY"], row["STATUS"], row["NODE"]) == ("mixed", "3/3", "Running", "e2e-node")
    assert row["CONTAINERS"] == "init=migrate sidecar=proxy legacy=istio-proxy app=app"
    assert (row["INIT"], row["SIDECARS"], row["APP"]) == ("1/1", "1/1 +1 legacy", "1/1")


def test_yaml_output_parses(run_plugin, ns, mixed):
    code, out, err = run_plugin("status", "-n", ns, "-o", "yaml")

    assert code == 0, err
    document = yaml.safe_load(out)
    assert (document["apiVersion"], document["kind"]) == ("kubectl-sidecars/v1", "SidecarStatus")
    [pod] = document["pods"]
    assert (pod["namespace"], pod["name"], pod["ready"], pod["status"], pod["restarts"], pod["node"]) == \
        (ns, "mixed", "3/3", "Running", 1, "e2e-node")
    types = {c["name"]: (c["type"], c["evidence"] is not None) for c in pod["containers"]}
    assert types == {"migrate": ("init", False), "proxy": ("sidecar", False), "app": ("app", False),
                     "istio-proxy": ("legacy-sidecar", True), "debugger": ("ephemeral", False)}


# --- paged reads --------------------------------------------------------------------------------------

def test_chunk_size_pages_the_list(cluster, kube, run_plugin, ns):
    names = [f"pod-{i}" for i in range(5)]
    for name in names:
        kube.pod(ns, name, containers=[container("app")], statuses=[live.running("app")])

    code, out, err = run_plugin("status", "-n", ns, "--chunk-size", "2", "-o", "json")

    assert code == 0, err
    assert [name for _, name in pods_of(out)] == names  # each pod once
    events = plugin_requests(cluster, ns, expected=3)
    queries = [parse_qs(urlsplit(e["requestURI"]).query) for e in events]
    assert [e["verb"] for e in events] == ["list"] * 3, [e["requestURI"] for e in events]
    assert all(q["limit"] == ["2"] for q in queries)
    assert ["continue" in q for q in queries] == [False, True, True]
    assert all(e["objectRef"]["resource"] == "pods" and "name" not in e["objectRef"] for e in events)


# --- kubeconfig handling -----------------------------------------------------------------------------

def test_context_flag_picks_another_context(cluster, run_plugin, ns, web, tmp_path):
    config = plugin_config(cluster)
    config["clusters"].append({"name": "gone", "cluster": {"server": f"https://127.0.0.1:{free_port()}",
                                                           "certificate-authority-data": b64(cluster.ca.cert)}})
    config["contexts"] = [{"name": "gone", "context": {"cluster": "gone", "user": PLUGIN_USER}},
                          {"name": "team", "context": {"cluster": "e2e", "user": PLUGIN_USER, "namespace": ns}}]
    config["current-context"] = "gone"
    path = write_config(tmp_path / "two-contexts.yaml", config)

    code, out, err = run_plugin("status", "--context", "team", "-o", "json", kubeconfig=path)
    assert code == 0, err
    assert pods_of(out) == [(ns, "web")]

    code, out, err = run_plugin("status", "-o", "json", kubeconfig=path)
    one_line_error(code, out, err, 3)  # the current context points at nothing


def test_kubeconfig_flag_wins_over_the_environment(cluster, run_plugin, ns, web, tmp_path):
    unreachable = plugin_config(cluster)
    unreachable["clusters"][0]["cluster"]["server"] = f"https://127.0.0.1:{free_port()}"
    path = write_config(tmp_path / "unreachable.yaml", unreachable)

    code, out, err = run_plugin("status", "--kubeconfig", str(cluster.plugin_kubeconfig(namespace=ns)),
                                "-o", "json", kubeconfig=path)

    assert code == 0, err
    assert pods_of(out) == [(ns, "web")]


def test_kubeconfig_split_over_two_paths(cluster, run_plugin, ns, web, tmp_path):
    full = plugin_config(cluster)
    credentials = write_config(tmp_path / "credentials.yaml", {
        "apiVersion": "v1", "kind": "Config", "clusters": full["clusters"], "users": full["users"]})
    contexts = write_config(tmp_path / "contexts.yaml", {
        "apiVersion": "v1", "kind": "Config", "current-context": "work",
        "contexts": [{"name": "work", "context": {"cluster": "e2e", "user": PLUGIN_USER, "namespace": ns}}]})

    code, out, err = run_plugin("status", "-o", "json", kubeconfig=credentials,
                                env={"KUBECONFIG": f"{credentials}{os.pathsep}{contexts}"})

    assert code == 0, err
    assert pods_of(out) == [(ns, "web")]


# --- errors ------------------------------------------------------------------------------------------

def test_unreachable_server(cluster, run_plugin, tmp_path):
    config = plugin_config(cluster)
    port = free_port()
    config["clusters"][0]["cluster"]["server"] = f"https://127.0.0.1:{port}"

    code, out, err = run_plugin("status", "-n", "default", kubeconfig=write_config(tmp_path / "closed.yaml", config))

    one_line_error(code, out, err, 3)
    assert f"127.0.0.1:{port}" in err
    assert "Unable to connect to the server" in err and "refused" in err and "timed out" not in err


def test_user_without_any_role_is_forbidden(cluster, run_plugin, ns, web):
    code, out, err = run_plugin("status", "-n", ns, kubeconfig=cluster.user_kubeconfig("no-rbac-at-all"))

    one_line_error(code, out, err, 3)
    assert "forbidden" in err.lower()


def test_client_certificate_from_an_unknown_ca_is_unauthorized(cluster, run_plugin, ns, tmp_path):
    rogue = CertificateAuthority(tmp_path)
    cert, key = rogue.client_cert("mallory")
    config = config_with_user(cluster, {"client-certificate-data": b64(cert), "client-key-data": b64(key)})

    code, out, err = run_plugin("status", "-n", ns, kubeconfig=write_config(tmp_path / "rogue.yaml", config))

    one_line_error(code, out, err, 3)
    assert "Unauthorized" in err


def test_bad_token_is_unauthorized(cluster, run_plugin, ns, tmp_path):
    config = config_with_user(cluster, {"token": "not-a-token-this-server-knows"})

    code, out, err = run_plugin("status", "-n", ns, kubeconfig=write_config(tmp_path / "token.yaml", config))

    one_line_error(code, out, err, 3)
    assert "Unauthorized" in err


def test_server_certificate_from_an_unknown_ca(cluster, run_plugin, ns, tmp_path):
    rogue = CertificateAuthority(tmp_path)
    config = plugin_config(cluster)
    config["clusters"][0]["cluster"]["certificate-authority-data"] = b64(rogue.cert)

    code, out, err = run_plugin("status", "-n", ns, kubeconfig=write_config(tmp_path / "wrong-ca.yaml", config))

    one_line_error(code, out, err, 3)
    assert "certificate" in err.lower()


def test_named_pod_not_found(run_plugin, ns, web):
    code, out, err = run_plugin("status", "-n", ns, "no-such-pod")

    one_line_error(code, out, err, 3)
    assert "not found" in err
    assert "no-such-pod" in err


@pytest.mark.parametrize("flags", [["-l", "app in (web"], ["-l", "=web"], ["--field-selector", "spec.image=x"]],
                         ids=["unclosed-set", "no-key", "unsupported-field"])
def test_bad_selector_is_a_usage_error_before_any_request(cluster, run_plugin, ns, flags):
    code, out, err = run_plugin("status", "-n", ns, *flags)

    assert code == 2, (out, err)
    assert "Traceback" not in err
    time.sleep(0.3)  # an audit event would have landed by now
    assert plugin_requests(cluster, ns, expected=0) == []


def test_request_timeout(run_plugin, ns, web):
    code, out, err = run_plugin("status", "-n", ns, "--request-timeout", "1ms")

    one_line_error(code, out, err, 3)
    assert "timed out" in err


# --- hostile strings from the cluster ----------------------------------------------------------------

def test_control_characters_in_status_never_reach_the_terminal(kube, run_plugin, ns):
    reason = "Evil\u001b[31mReason"
    message = "line one\nline two \u001b[2J\u001b]0;owned\u0007"
    kube.pod(ns, "hostile", init=[sidecar("proxy")], containers=[container("app")],
             statuses=[live.running("proxy"), live.waiting("app", reason, message)])

    outputs = {}
    for args in (["-n", ns], ["-n", ns, "-o", "wide"], ["-n", ns, "hostile"], ["-n", ns, "--containers"],
                 ["-n", ns, "-o", "json"], ["-n", ns, "-o", "yaml"]):
        code, out, err = run_plugin("status", *args)
        assert code == 0, err
        assert ESC not in out and ESC not in err and "\u0007" not in out, args
        outputs[" ".join(args[2:]) or "table"] = out

    [row] = parse_table(outputs["table"])
    assert row["STATUS"] == "Evil\\x1b[31mReason"
    [pod] = json.loads(outputs["-o json"])["pods"]
    assert pod["status"] == reason  # structured output keeps the value; only its encoding escapes it
    assert yaml.safe_load(outputs["-o yaml"])["pods"][0]["containers"][1]["reason"] == reason
