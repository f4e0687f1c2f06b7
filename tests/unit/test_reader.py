"""The live reader's own logic: name checks before any URL, paging that ends, relists once on an expired
continue token, and a --request-timeout that bounds a body trickled by a real local socket."""

import itertools
import json
import socket
import ssl
import subprocess
import threading

import pytest

from kubectl_sidecars.errors import ApiError, UsageError
from kubectl_sidecars.kube.connection import Connection, parse_request_timeout, with_deadlines
from kubectl_sidecars.kube.reader import Reader, ServerError, paged_items, resource_path
from kubectl_sidecars.selection import Selection, check_name, check_namespace
from tests import factory
from tests.unit import processes

EXPIRED = ServerError(410, "Error from server (Expired): The provided continue parameter is too old")


# --- names and namespaces ------------------------------------------------------------------------------

@pytest.mark.parametrize("namespace", ["default", "kube-system", "a", "x" * 63, "0ab"])
def test_valid_namespaces_pass(namespace):
    assert check_namespace(namespace) == namespace


@pytest.mark.parametrize("namespace, problem", [
    ("..", "may not be '..'"), (".", "may not be '.'"), ("../../x", "may not contain '/'"),
    ("a%2f", "may not contain '%'"), ("x" * 64, "no more than 63"), ("Team", "RFC 1123 label"),
    ("a.b", "RFC 1123 label"), ("-a", "RFC 1123 label"), ("a-", "RFC 1123 label"), ("", "RFC 1123 label"),
    ("a\x1bb", "RFC 1123 label"),
])
def test_invalid_namespaces_are_usage_errors(namespace, problem):
    with pytest.raises(UsageError, match="invalid namespace") as raised:
        check_namespace(namespace)
    assert problem in str(raised.value)


@pytest.mark.parametrize("name", ["web", "web-1.example", "a" * 253, "1"])
def test_valid_names_pass(name):
    assert check_name("Pod", name) == name


@pytest.mark.parametrize("name, problem", [
    ("..", "may not be '..'"), (".", "may not be '.'"), ("../../../namespaces", "may not contain '/'"),
    ("a" * 254, "no more than 253"), ("a..b", "RFC 1123 subdomain"), ("Web", "RFC 1123 subdomain"),
    (".web", "RFC 1123 subdomain"), ("web?watch=1", "RFC 1123 subdomain"),
])
def test_invalid_names_are_usage_errors_naming_the_kind(name, problem):
    with pytest.raises(UsageError, match="invalid job name") as raised:
        check_name("Job", name)
    assert problem in str(raised.value)


def test_resource_paths_are_built_from_checked_names():
    assert resource_path("Pod", "team-a") == "/api/v1/namespaces/team-a/pods"
    assert resource_path("Job", "team-a", "nightly.v2") == "/apis/batch/v1/namespaces/team-a/jobs/nightly.v2"
    assert resource_path("Node", "ignored-for-nodes") == "/api/v1/nodes"
    with pytest.raises(UsageError, match="invalid pod name"):
        resource_path("Pod", "team-a", "../../../namespaces")
    with pytest.raises(UsageError, match="invalid namespace"):
        resource_path("Pod", "..")


def test_selection_checks_its_namespace_and_pod_names():
    assert Selection("team-a", ("web",)).validate().namespace == "team-a"
    assert Selection(None).validate().namespace is None
    with pytest.raises(UsageError, match="invalid namespace"):
        Selection("..").validate()
    with pytest.raises(UsageError, match="invalid pod name"):
        Selection("team-a", ("ok", "../x")).validate()


# --- paging ----------------------------------------------------------------------------------------------

def pod(uid):
    return {"metadata": {"name": f"pod-{uid}", "namespace": "default", "uid": uid}}


def page(uids, token=None):
    return {"items": [pod(uid) for uid in uids], "metadata": {"continue": token} if token else {}}


class Server:
    """Answers fetch(token) from a script of pages or errors, recording the tokens it was asked for."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.asked = []
        self.replies = threading.Condition()
        self.replied = 0

    def __call__(self, token):
        self.asked.append(token)
        try:
            answer = self.answers.pop(0)
            if isinstance(answer, Exception):
                raise answer
            return answer
        finally:
            with self.replies:
                self.replied += 1
                self.replies.notify_all()

    def has_replied(self, count):
        """Waits until `count` requests have had their answer, a page or an error."""
        with self.replies:
            return self.replies.wait_for(lambda: self.replied >= count, timeout=processes.PATIENCE)


def uids(items):
    return [item["metadata"]["uid"] for item in items]


def test_pages_are_followed_until_there_is_no_continue_token():
    server = Server(page(["a", "b"], "t1"), page(["c"], "t2"), page(["d"]))

    assert uids(paged_items(server, "pods")) == ["a", "b", "c", "d"]
    assert server.asked == [None, "t1", "t2"]


def test_the_next_page_is_fetched_while_the_caller_is_on_this_one_and_no_further():
    server = Server(page(["a", "b"], "t1"), page(["c"], "t2"), page(["d"]))
    items = paged_items(server, "pods")

    assert uids([next(items)]) == ["a"]
    assert server.has_replied(2)
    assert server.asked == [None, "t1"]  # the token of the third page comes with the second
    assert uids(items) == ["b", "c", "d"]
    assert server.asked == [None, "t1", "t2"]


def test_an_error_on_the_next_page_is_raised_when_the_caller_reaches_it():
    server = Server(page(["a", "b"], "t1"), ApiError("Unable to connect to the server: connection reset"))
    items = paged_items(server, "pods")

    assert uids([next(items)]) == ["a"]
    assert server.has_replied(2)  # the second page has failed already
    assert uids([next(items)]) == ["b"]
    with pytest.raises(ApiError, match="connection reset"):
        next(items)


@pytest.mark.parametrize("tokens", [["t1", "t1"], ["t1", "t2", "t1"]], ids=["same-twice", "cycle"])
def test_a_continue_token_seen_before_stops_the_read(tokens):
    server = Server(*[page([str(i)], token) for i, token in enumerate(tokens)], page(["never"]))
    seen = []

    with pytest.raises(ApiError, match="same continue token twice while listing pods"):
        for item in paged_items(server, "pods"):
            seen.append(item)
    assert uids(seen) == [str(i) for i in range(len(tokens))]
    assert server.answers == [page(["never"])]  # no request after the repeated token


def test_an_expired_token_relists_once_and_yields_every_item_once(capsys):
    server = Server(page(["a", "b"], "t1"), EXPIRED, page(["a", "b"], "r1"), page(["c", "d"], "r2"), page(["e"]))

    assert uids(paged_items(server, "pods")) == ["a", "b", "c", "d", "e"]
    assert server.asked == [None, "t1", None, "r1", "r2"]
    assert capsys.readouterr().err == ("warning: the list of pods expired while paging (410 Gone); "
                                       "reading it again from the start\n")


def test_the_relist_skips_only_what_was_already_yielded(capsys):
    """Objects deleted before the relist are not shown twice; objects created meanwhile are shown."""
    server = Server(page(["a", "b"], "t1"), EXPIRED, page(["b", "new"], "r1"), page(["c"]))

    assert uids(paged_items(server, "jobs")) == ["a", "b", "new", "c"]
    assert "list of jobs expired" in capsys.readouterr().err


def test_a_second_expiry_fails_with_one_line(capsys):
    server = Server(page(["a"], "t1"), EXPIRED, page(["a"], "r1"), EXPIRED)
    items = paged_items(server, "pods")

    with pytest.raises(ApiError) as raised:
        list(items)
    assert str(raised.value).startswith("the list of pods expired again while paging: Error from server (Expired)")
    assert "\n" not in str(raised.value)
    assert capsys.readouterr().err.count("warning:") == 1


def test_a_410_on_the_first_page_is_not_a_relist(capsys):
    with pytest.raises(ServerError):
        list(paged_items(Server(EXPIRED), "pods"))
    assert capsys.readouterr().err == ""


def test_items_without_identity_are_never_dropped():
    server = Server({"items": [{"metadata": {}}, {"metadata": {}}, "junk", {"metadata": {"name": "x"}}]})

    assert len(list(paged_items(server, "pods"))) == 4


@pytest.mark.parametrize("answer, complaint", [
    ({"items": {"a": 1}}, "items are not a list"), ({"items": 7}, "items are not a list"),
    ({"items": [], "metadata": {"continue": 5}}, "continue token is not a string"),
])
def test_a_page_not_shaped_like_a_list_is_an_api_error(answer, complaint):
    with pytest.raises(ApiError, match=f"the server answered a list of pods whose {complaint}"):
        list(paged_items(Server(answer), "pods"))


def test_a_page_without_items_or_metadata_ends_the_list():
    assert list(paged_items(Server({"metadata": None}), "pods")) == []


# --- request timeouts -------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, seconds", [("0", None), ("", None), ("2s", 2), ("1m30s", 90), ("250ms", 0.25),
                                           ("3", 3)])
def test_request_timeout_is_parsed_like_kubectl(text, seconds):
    assert parse_request_timeout(text) == seconds


class TrickleServer:
    """A real TCP server (TLS when given a server context) that answers every request with a JSON
    document; from `trickle_from` on (0: the status line; None: the body) it sends one byte per delay.
    With `answers`, only that many requests are answered: later ones are held, unanswered, until the
    server closes, and `holding` is set."""

    def __init__(self, delay, body=b'{"kind": "Pod", "metadata": {"name": "web"}}', trickle_from=None, tls=None,
                 answers=None):
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
        self.delay, self.answer, self.tls = delay, head + body, tls
        self.trickle_from = len(head) if trickle_from is None else trickle_from
        self.answers = itertools.count(1)
        self.answered = answers
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.stop, self.holding = threading.Event(), threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self):
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.listener.getsockname()[1]}"

    def _serve(self):
        while not self.stop.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(client,), daemon=True).start()

    def _answer(self, client):
        try:
            with (self.tls.wrap_socket(client, server_side=True) if self.tls else client) as peer:
                peer.recv(65536)
                if self.answered is not None and next(self.answers) > self.answered:
                    self.holding.set()
                    self.stop.wait()
                    return
                peer.sendall(self.answer[:self.trickle_from])
                for byte in self.answer[self.trickle_from:]:
                    if self.stop.wait(self.delay):
                        return
                    peer.sendall(bytes([byte]))
        except OSError:
            return

    def close(self):
        self.stop.set()
        self.listener.close()


@pytest.fixture(scope="module")
def tls_context(tmp_path_factory):
    """A server context with a throwaway self-signed certificate."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "server.crt", folder / "server.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost", "-days", "1"],
                   check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert), str(key))
    return context


def reader_for(server, timeout):
    import urllib3
    from kubernetes import client

    pool = with_deadlines(urllib3.PoolManager(cert_reqs="CERT_NONE"))  # the test server's certificate is its own
    return Reader(Connection(pool, server, client.Configuration(), "default", timeout))


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
@pytest.mark.parametrize("trickle_from", [None, 0, 20], ids=["body", "status-line", "headers"])
@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_a_trickled_answer_is_cut_off_at_the_request_timeout(tls_context, trickle_from, tls):
    """Every byte comes within 0.2 s, so no socket read times out; the whole answer would need ~20 s."""
    server = TrickleServer(delay=0.2, trickle_from=trickle_from, tls=tls_context if tls else None)
    try:
        with pytest.raises(ApiError, match=r"timed out after 0.5s \(--request-timeout\)"):
            reader_for(server.url, timeout=0.5).get("Pod", "default", "web")
    finally:
        server.close()


def test_without_a_request_timeout_a_slow_body_is_read_whole():
    server = TrickleServer(delay=0.001)
    try:
        assert reader_for(server.url, timeout=None).get("Pod", "default", "web")["metadata"]["name"] == "web"
    finally:
        server.close()


@pytest.mark.parametrize("body, complaint", [(b"[1, 2]", "JSON that is not an object"),
                                            (b"<html>", "something that is not JSON")])
def test_an_answer_that_is_not_a_json_object_is_an_api_error(body, complaint):
    server = TrickleServer(delay=0, body=body)
    try:
        with pytest.raises(ApiError, match=f"the server answered /api/v1/namespaces/default/pods/web with {complaint}"):
            reader_for(server.url, timeout=None).get("Pod", "default", "web")
    finally:
        server.close()


@pytest.mark.parametrize("timeout, complaint", [(None, "no connection within 0.5s"), (60, "no connection within 0.5s"),
                                                (0.2, r"timed out after 0.2s \(--request-timeout\)")])
def test_connecting_is_bounded_even_without_a_request_timeout(monkeypatch, timeout, complaint):
    """A listener whose accept queue is full never completes a handshake, like an unroutable address."""
    from kubectl_sidecars.kube import reader as reader_module

    monkeypatch.setattr(reader_module, "CONNECT_TIMEOUT", 0.5)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    queued = []
    try:
        for _ in range(4):  # fill the accept queue; later handshakes wait for ever
            waiting = socket.socket()
            waiting.setblocking(False)
            waiting.connect_ex(listener.getsockname())
            queued.append(waiting)
        reader = reader_for(f"http://127.0.0.1:{listener.getsockname()[1]}", timeout=timeout)
        with pytest.raises(ApiError, match=complaint):
            reader.get("Pod", "default", "web")
    finally:
        for waiting in queued:
            waiting.close()
        listener.close()


# --- the page fetched ahead -------------------------------------------------------------------------------

@pytest.fixture
def stalled_list():
    """A LIST of pods whose first page comes at once, with a continue token, and whose next page never."""
    web = factory.pod("web", containers=[factory.container("app")], statuses=[factory.running("app")])
    first = {"kind": "PodList", "metadata": {"continue": "t1"}, "items": [web]}
    server = TrickleServer(delay=0, body=json.dumps(first).encode(), answers=1)
    yield server
    server.close()


def test_the_page_fetched_ahead_keeps_the_request_timeout(stalled_list):
    items = reader_for(stalled_list.url, timeout=0.5).list("Pod", "default", chunk_size=1)

    assert [item["metadata"]["name"] for item in itertools.islice(items, 1)] == ["web"]
    with pytest.raises(ApiError, match=r"timed out after 0.5s \(--request-timeout\)"):
        next(items)


def test_ctrl_c_while_the_next_page_is_on_its_way_is_one_line_and_130(stalled_list, tmp_path):
    from tests.unit.test_entry import PLUGIN, environment

    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "stalled",
        "clusters": [{"name": "stalled", "cluster": {"server": stalled_list.url}}],
        "users": [{"name": "anonymous", "user": {}}],
        "contexts": [{"name": "stalled", "context": {"cluster": "stalled", "user": "anonymous"}}]}))
    child = subprocess.Popen(PLUGIN + ["status", "-n", "default", "--chunk-size", "1"],
                             env=environment(KUBECONFIG=str(kubeconfig)), stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert stalled_list.holding.wait(processes.PATIENCE)

    assert processes.interrupt(child) == (130, "", "error: interrupted\n")
