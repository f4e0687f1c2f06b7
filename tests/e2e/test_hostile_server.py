"""Servers that misbehave, and names that try to leave the namespace: every read stays bounded and
stays inside what the user named.

The slow server is a local socket that trickles its body. The other cases use the real API server,
seen through a small relay that forwards every request as the plugin user and may hold a request or
rewrite an answer; the expired continue token comes from a second API server that compacts etcd every
second, so the 410 is the server's own."""

import itertools
import json
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.factory import container, live

from ..unit.test_reader import TrickleServer
from .cluster import PLUGIN_USER, ApiError
from .conftest import serve_plane
from .kubelet import Kube
from .test_status_cli import one_line_error, plugin_config, plugin_requests, pods_of, write_config

# kube-apiserver --etcd-compaction-interval (k8s.io/apiserver pkg/server/options/etcd.go): any positive
# duration; each run compacts etcd up to the revision seen at the run before.
COMPACTION = "--etcd-compaction-interval=1s"


def server_config(server):
    """A kubeconfig with no credentials: the relay authenticates upstream."""
    return {"apiVersion": "v1", "kind": "Config", "current-context": "hostile",
            "clusters": [{"name": "hostile", "cluster": {"server": server}}],
            "users": [{"name": "anonymous", "user": {}}],
            "contexts": [{"name": "hostile", "context": {"cluster": "hostile", "user": "anonymous"}}]}


class Relay:
    """Plain HTTP in front of a real API server, forwarding each GET as the plugin user.

    hold(path) runs before a request is forwarded (it may block); rewrite(document) may change a
    successful JSON answer on its way back. Every forwarded path is kept in `paths`."""

    def __init__(self, plane, hold=lambda path: None, rewrite=lambda document: document):
        self.upstream = plane.api_as(PLUGIN_USER)
        self.hold, self.rewrite = hold, rewrite
        self.paths = []
        relay = self

        class Forward(BaseHTTPRequestHandler):
            def do_GET(self):
                relay.paths.append(self.path)
                relay.hold(self.path)
                status, body = relay.forward(self.path)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Forward)
        self.http.daemon_threads = True
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def forward(self, path):
        request = urllib.request.Request(self.upstream.server + path, headers={"Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, context=self.upstream.context, timeout=60) as response:
                return response.status, json.dumps(self.rewrite(json.loads(response.read()))).encode()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def kubeconfig(self, tmp_path):
        return write_config(tmp_path / "relay.yaml", server_config(f"http://127.0.0.1:{self.http.server_port}"))

    def close(self):
        self.http.shutdown()
        self.http.server_close()


def continue_tokens(paths):
    return [parse_qs(urlsplit(path).query).get("continue", [None])[0] for path in paths]


def some_pods(kube, ns, count=3):
    names = [f"pod-{i}" for i in range(count)]
    for name in names:
        kube.pod(ns, name, containers=[container("app")], statuses=[live.running("app")])
    return names


# --- a server that trickles --------------------------------------------------------------------------

@pytest.mark.parametrize("trickle_from", [None, 0], ids=["body", "status-line"])
def test_request_timeout_cuts_off_a_trickled_answer(run_plugin, tmp_path, trickle_from):
    server = TrickleServer(delay=0.3, trickle_from=trickle_from)  # each byte well within 2 s, the whole in > 10 s
    try:
        config = write_config(tmp_path / "slow.yaml", server_config(server.url))
        code, out, err = run_plugin("status", "-n", "default", "--request-timeout", "2s", kubeconfig=config,
                                    timeout=60)
    finally:
        server.close()

    one_line_error(code, out, err, 3)
    assert "timed out after 2s" in err


# --- a server that repeats its continue token --------------------------------------------------------

def test_a_repeated_continue_token_stops_the_read(cluster, kube, run_plugin, ns, tmp_path):
    some_pods(kube, ns)
    first = []

    def same_token(document):
        token = (document.get("metadata") or {}).get("continue")
        if token:
            first.append(token)
            document["metadata"]["continue"] = first[0]
        return document

    relay = Relay(cluster, rewrite=same_token)
    try:
        cluster.plugin_runs += 1
        code, out, err = run_plugin("status", "-n", ns, "--chunk-size", "1", kubeconfig=relay.kubeconfig(tmp_path),
                                    timeout=60)
    finally:
        relay.close()

    one_line_error(code, out, err, 3)
    assert "the server returned the same continue token twice while listing pods" in err
    assert continue_tokens(relay.paths) == [None, first[0]]  # two pages, then it stopped
    assert len(set(first)) == 2  # the real server did hand out a new token for the second page


# --- an expired continue token ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def compacting_cluster(request):
    """A second control plane whose API server compacts etcd every second."""
    yield from serve_plane(request, [COMPACTION], name="compacting")


def wait_until_expired(plane, path, token, timeout=120):
    """Writes objects and reads with token until the API server answers 410 Gone (a compaction passed)."""
    namespace = urlsplit(path).path.split("/")[4]
    deadline = time.monotonic() + timeout
    for write in itertools.count():
        plane.admin.post(f"/api/v1/namespaces/{namespace}/configmaps", {"metadata": {"name": f"bump-{write}"}})
        try:
            plane.admin.get(urlsplit(path).path, params={"limit": 1, "continue": token})
        except ApiError as error:
            if error.status == 410:
                return
            raise
        assert time.monotonic() < deadline, "the continue token never expired"
        time.sleep(0.5)


def test_an_expired_continue_token_relists_once(compacting_cluster, run_plugin, tmp_path):
    plane = compacting_cluster
    kube = Kube(plane.admin)
    ns = kube.namespace("relist")
    names = some_pods(kube, ns)
    page_two = threading.Event()
    release = threading.Event()

    def hold_page_two(path):
        if continue_tokens([path]) != [None] and not page_two.is_set():
            page_two.set()
            release.wait(timeout=150)

    relay = Relay(plane, hold=hold_page_two)
    try:
        plane.plugin_runs += 1
        with ThreadPoolExecutor(1) as pool:
            run = pool.submit(run_plugin, "status", "-n", ns, "--chunk-size", "1", "-o", "json",
                              kubeconfig=relay.kubeconfig(tmp_path), timeout=180)
            assert page_two.wait(timeout=60), "the plugin never asked for its second page"
            try:
                wait_until_expired(plane, relay.paths[1], continue_tokens(relay.paths)[1])
            finally:
                release.set()
            code, out, err = run.result()
    finally:
        relay.close()

    assert code == 0, err
    assert err == "warning: the list of pods expired while paging (410 Gone); reading it again from the start\n"
    assert [name for _, name in pods_of(out)] == names  # each pod exactly once
    tokens = continue_tokens(relay.paths)
    assert tokens[0] is None and tokens[1] and tokens[2] is None  # the relist starts without a token
    assert len(tokens) == 2 + len(names)
    events = plugin_requests(plane, ns, expected=len(tokens))
    assert [(e["verb"], e["responseStatus"]["code"]) for e in events] == \
        [("list", 200), ("list", 410)] + [("list", 200)] * len(names)


# --- names and namespaces ------------------------------------------------------------------------------

@pytest.mark.parametrize("args, complaint", [
    (["status", "../../../namespaces"], "invalid pod name '../../../namespaces': may not contain '/'"),
    (["status", "web", "../web"], "invalid pod name '../web'"),
    (["status", "-n", ".."], "invalid namespace '..': may not be '..'"),
    (["status", "-n", "kube-system/../../.."], "may not contain '/'"),
    (["diagnose", "job", "../x"], "invalid job name '../x'"),
    (["diagnose", "deployment/.."], "invalid deployment name '..'"),
], ids=["pod-path", "second-pod-path", "dot-dot-namespace", "namespace-path", "job-path", "deployment-dot-dot"])
def test_names_that_are_not_kubernetes_names_are_usage_errors(cluster, run_plugin, ns, tmp_path, args, complaint):
    if "-n" not in args:
        args = [*args, "-n", ns]

    started = audit_clock()
    code, out, err = run_plugin(*args, kubeconfig=uncounted_kubeconfig(cluster, tmp_path))

    one_line_error(code, out, err, 2)
    assert complaint in err
    assert requests_since(cluster, started) == []


def test_a_bad_namespace_in_the_kubeconfig_context_is_refused(cluster, run_plugin, tmp_path):
    started = audit_clock()
    code, out, err = run_plugin("status", kubeconfig=uncounted_kubeconfig(cluster, tmp_path, namespace="../.."))

    one_line_error(code, out, err, 3)
    assert "invalid kubeconfig: invalid namespace '../..'" in err
    assert requests_since(cluster, started) == []


def uncounted_kubeconfig(cluster, tmp_path, namespace=None):
    """The plugin user's kubeconfig, for runs that must not reach the API server: they do not count
    toward the session's check that the audit log holds the plugin's requests."""
    return write_config(tmp_path / "plugin.yaml", plugin_config(cluster, namespace=namespace))


def audit_clock():
    """Now, written like the audit log's microsecond timestamps, which then compare as strings."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def requests_since(cluster, started):
    """The plugin user's requests that the API server received after started."""
    time.sleep(0.3)  # an audit event would have landed by now
    return [e["requestURI"] for e in cluster.audit_events(PLUGIN_USER) if e["requestReceivedTimestamp"] >= started]


# --- selectors the server rejects ---------------------------------------------------------------------

def test_a_selector_the_server_rejects_is_a_usage_error(cluster, run_plugin, ns):
    code, out, err = run_plugin("status", "-n", ns, "-l", "app=" + "v" * 64)  # label values: at most 63

    one_line_error(code, out, err, 2)
    assert "Error from server (BadRequest)" in err
    assert [e["responseStatus"]["code"] for e in plugin_requests(cluster, ns)] == [400]


# --- TLS verification off ------------------------------------------------------------------------------

def test_insecure_skip_tls_verify_is_said_once(cluster, kube, run_plugin, ns, tmp_path):
    names = some_pods(kube, ns)
    config = plugin_config(cluster, namespace=ns)
    server = config["clusters"][0]["cluster"]
    del server["certificate-authority-data"]
    server["insecure-skip-tls-verify"] = True

    code, out, err = run_plugin("status", "--chunk-size", "1", "-o", "json",
                                kubeconfig=write_config(tmp_path / "insecure.yaml", config))

    assert code == 0, err
    assert [name for _, name in pods_of(out)] == names  # read over several requests
    assert err == f"warning: TLS verification is off for {cluster.server} (insecure-skip-tls-verify in the " \
                  "kubeconfig): the server's identity is not checked\n"
