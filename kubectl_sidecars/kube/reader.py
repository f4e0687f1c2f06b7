"""Raw JSON reads: one request per page of a LIST, never one per pod, and no model classes
(deserialising into them costs ~10x the JSON parse on big lists). Every request is bounded by
--request-timeout from connect to its last byte, and every path segment is a checked Kubernetes name."""

import json
import threading
import time
from contextlib import nullcontext
from typing import Callable, Dict, Iterator, Optional
from urllib.parse import quote, urlencode

from kubectl_sidecars.errors import ApiError, UsageError, warn
from kubectl_sidecars.kube.connection import CONNECT_TIMEOUT, Connection, Deadline
from kubectl_sidecars.selection import check_name, check_namespace

# (API path prefix, plural) of every kind the plugin reads.
RESOURCES: Dict[str, tuple] = {
    "Pod": ("/api/v1", "pods"),
    "Event": ("/api/v1", "events"),
    "Node": ("/api/v1", "nodes"),
    "Namespace": ("/api/v1", "namespaces"),
    "Job": ("/apis/batch/v1", "jobs"),
    "CronJob": ("/apis/batch/v1", "cronjobs"),
    "Deployment": ("/apis/apps/v1", "deployments"),
    "ReplicaSet": ("/apis/apps/v1", "replicasets"),
    "StatefulSet": ("/apis/apps/v1", "statefulsets"),
    "DaemonSet": ("/apis/apps/v1", "daemonsets"),
}
CLUSTER_SCOPED = ("Node", "Namespace")


class ServerError(ApiError):
    """The API server answered with an error status; the code decides what the reader does next."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code


def resource_path(kind: str, namespace: Optional[str], name: Optional[str] = None) -> str:
    """The URL path of a collection or object; names are checked, then percent-quoted as well."""
    prefix, plural = RESOURCES[kind]
    path = prefix
    if namespace and kind not in CLUSTER_SCOPED:
        path += "/namespaces/" + quote(check_namespace(namespace), safe="")
    path += f"/{plural}"
    return path + ("/" + quote(check_name(kind, name), safe="") if name is not None else "")


def paged_items(fetch: Callable[[Optional[str]], object], plural: str,
                opened: Callable[[object], dict] = lambda page: page) -> Iterator[dict]:
    """The items of every page of one LIST; opened(fetch(continue_token)) is one page.

    The next page is fetched in the background while the caller works through the current one (the API
    server prepares and sends it meanwhile), one page ahead and no more: its continue token only comes
    with it. It is opened (parsed) when the caller reaches it, so that the fetch, mostly waiting on the
    network, does not compete with the caller for the interpreter; whatever fetching it raised is raised
    then too.

    The caller builds views as pages arrive, so items cannot be taken back once yielded. When the
    continue token of a later page has expired (410 Gone: etcd compacted the revision the list was
    reading at), the list is read once more from the start and the items already yielded (by uid) are
    skipped. client-go's pager (tools/pager, FullListIfExpired) instead falls back to one unpaged LIST;
    relisting page by page keeps memory bounded by a page plus one uid per item, where buffering the
    pages, or one unpaged LIST, would hold the whole list. A second expiry, or a server that hands out a
    continue token it already gave (which would page forever), ends the read with an error."""
    yielded: set = set()
    seen_tokens: set = set()
    relisted = False
    page = opened(fetch(None))
    while True:
        items, token = _page_parts(page, plural)
        del page
        repeated = token is not None and token in seen_tokens
        upcoming = _Prefetch(fetch, token) if token is not None and not repeated else None
        if token is not None:
            seen_tokens.add(token)
        items.reverse()
        while items:  # popped, so that each item is freed once the caller is done with it
            item = items.pop()
            key = _identity(item)
            if key is not None:
                if key in yielded:
                    continue
                yielded.add(key)
            yield item
        if repeated:
            raise ApiError(f"the server returned the same continue token twice while listing {plural}: "
                           "stopping instead of paging forever")
        if upcoming is None:
            return
        try:
            page = opened(upcoming.result())
        except ServerError as error:
            if error.code != 410:
                raise
            if relisted:
                raise ApiError(f"the list of {plural} expired again while paging: {error}") from None
            warn(f"the list of {plural} expired while paging (410 Gone); reading it again from the start")
            relisted = True
            seen_tokens.clear()
            page = opened(fetch(None))


class _Prefetch:
    """fetch(token) on a daemon thread, so that neither an exit nor Ctrl-C ever waits for it; result()
    returns its page or raises its error. Requests keep their own --request-timeout there: the deadline
    is per thread (connection.Deadline)."""

    def __init__(self, fetch: Callable[[Optional[str]], object], token: str):
        self._done = threading.Event()
        self._page: object = None
        self._error: Optional[BaseException] = None
        threading.Thread(target=self._run, args=(fetch, token), name="next-page", daemon=True).start()

    def _run(self, fetch: Callable[[Optional[str]], object], token: str) -> None:
        try:
            self._page = fetch(token)
        except BaseException as error:  # handed to the caller, who decides
            self._error = error
        finally:
            self._done.set()

    def result(self) -> object:
        """The page, handed over: it is not kept here too."""
        self._done.wait()
        if self._error is not None:
            raise self._error
        page, self._page = self._page, None
        return page


def _page_parts(page: dict, plural: str) -> tuple:
    """A LIST page's items and continue token, or an error when the page is not shaped like one."""
    items = page.get("items")
    metadata = page.get("metadata")
    token = metadata.get("continue") if isinstance(metadata, dict) else None
    if items is not None and not isinstance(items, list):
        raise ApiError(f"the server answered a list of {plural} whose items are not a list")
    if token is not None and not isinstance(token, str):
        raise ApiError(f"the server answered a list of {plural} whose continue token is not a string")
    return items or [], token or None


def _identity(item) -> Optional[tuple]:
    """The uid, else the namespace and name; None for an item without either (never skipped)."""
    metadata = item.get("metadata") if isinstance(item, dict) else None
    if not isinstance(metadata, dict):
        return None
    uid, name = metadata.get("uid"), metadata.get("name")
    if uid:
        return ("uid", str(uid))
    return ("name", str(metadata.get("namespace")), str(name)) if name else None


class Reader:
    def __init__(self, connection: Connection):
        self.connection = connection

    def get(self, kind: str, namespace: Optional[str], name: str) -> dict:
        path = resource_path(kind, namespace, name)
        return _document(path, self._download(path, {}))

    def version(self) -> dict:
        """The API server's /version: gitVersion, major, minor."""
        return _document("/version", self._download("/version", {}))

    def list(self, kind: str, namespace: Optional[str] = None, label_selector: Optional[str] = None,
             field_selector: Optional[str] = None, chunk_size: int = 500) -> Iterator[dict]:
        """Items of every page, as dicts with kind set; pages are requested as the caller consumes."""
        params = {"limit": chunk_size} if chunk_size > 0 else {}
        if label_selector:
            params["labelSelector"] = label_selector
        if field_selector:
            params["fieldSelector"] = field_selector
        path = resource_path(kind, namespace)

        def fetch(token: Optional[str]) -> bytes:
            if token:
                return self._download(path, dict(params, **{"continue": token}))
            try:
                return self._download(path, params)
            except ServerError as error:
                # The server parses selectors more strictly than we do (value lengths, label syntax of
                # keys): its 400 on the first page is about what the user typed.
                if error.code == 400 and (label_selector or field_selector):
                    raise UsageError(str(error)) from None
                raise

        for item in paged_items(fetch, RESOURCES[kind][1], lambda answer: _document(path, answer)):
            if isinstance(item, dict):
                item.setdefault("kind", kind)
            yield item

    def _download(self, path: str, params: dict) -> bytes:
        """The body of a successful answer; ApiError or ServerError otherwise."""
        import urllib3

        server = self.connection.server
        url = server + path + ("?" + urlencode(params) if params else "")
        limit = self.connection.timeout
        deadline = Deadline(time.monotonic() + limit) if limit else None
        try:
            # kubectl: --request-timeout becomes http.Client.Timeout (client-go rest/transport.go
            # HTTPClientFor), which bounds the whole exchange up to the last byte of the body; with 0 only
            # the dialer's 30 s connect timeout applies (client-go transport/cache.go).
            with deadline or nullcontext():
                response = self.connection.pool.request(
                    "GET", url, headers=self.connection.headers(), retries=False,
                    timeout=urllib3.Timeout(connect=min(CONNECT_TIMEOUT, limit or CONNECT_TIMEOUT), read=limit))
        except urllib3.exceptions.HTTPError as error:
            raise ApiError(_failure(error, server, limit, deadline)) from None
        if deadline is not None and deadline.cut:  # headers cut short can still parse as an answer
            raise ApiError(_timed_out(server, limit))
        if response.status >= 400:
            raise ServerError(response.status, _status_message(response.status, response.data))
        return response.data


def _document(path: str, answer: bytes) -> dict:
    try:
        document = json.loads(answer)
    except ValueError:
        raise ApiError(f"the server answered {path} with something that is not JSON") from None
    if not isinstance(document, dict):
        raise ApiError(f"the server answered {path} with JSON that is not an object")
    return document


def _failure(error: Exception, server: str, limit: Optional[float], deadline: Optional[Deadline]) -> str:
    """kubectl-like words for a request that got no complete answer."""
    import urllib3

    if deadline is not None and deadline.passed():
        return _timed_out(server, limit)
    if isinstance(error, urllib3.exceptions.NewConnectionError):  # urllib3 2 derives it from ConnectTimeoutError
        return f"Unable to connect to the server {server}: {_reason(error)}"
    if isinstance(error, urllib3.exceptions.ConnectTimeoutError):
        return f"Unable to connect to the server {server}: no connection within {CONNECT_TIMEOUT:g}s"
    if isinstance(error, urllib3.exceptions.SSLError):
        return f"TLS error talking to {server}: {_reason(error)}"
    return f"Unable to connect to the server {server}: {_reason(error)}"


def _timed_out(server: str, limit: float) -> str:
    return f"the request to {server} timed out after {limit:g}s (--request-timeout)"


def _reason(error: Exception) -> str:
    reason = getattr(error, "reason", None) or error
    text = str(reason)
    return text.split(": ", 1)[-1] if "Connection refused" in text else text


def _status_message(code: int, body: bytes) -> str:
    """kubectl's wording: 'Error from server (Forbidden): pods is forbidden: User ...'."""
    try:
        status = json.loads(body)
    except ValueError:
        status = {}
    if not isinstance(status, dict):
        status = {}
    reason = status.get("reason") or {401: "Unauthorized", 403: "Forbidden", 404: "NotFound"}.get(code, str(code))
    message = status.get("message") or body.decode("utf-8", "replace").strip() or "no message"
    if code == 401:
        return "You must be logged in to the server (Unauthorized)"
    return f"Error from server ({reason}): {message}"
