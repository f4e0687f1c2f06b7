"""Kubeconfig handling through the official client (several KUBECONFIG paths, contexts, exec and OIDC
auth), and one TLS-configured urllib3 pool for raw reads."""

import os
import re
import socket
import threading
import time
from dataclasses import dataclass
from typing import Optional

from kubectl_sidecars.errors import ApiError, UsageError, warn

# kubectl's dialer gives up connecting after 30 s whatever --request-timeout says
# (client-go transport/cache.go: net.Dialer{Timeout: 30 * time.Second}).
CONNECT_TIMEOUT = 30.0
_DURATION = re.compile(r"^(?:(\d+(?:\.\d+)?)(h|ms|m|s)?)+$")
_UNIT_SECONDS = {"h": 3600, "m": 60, "s": 1, "ms": 0.001, None: 1}


def parse_request_timeout(text: Optional[str]) -> Optional[float]:
    """kubectl's --request-timeout: '0' means no timeout, a bare number is seconds, else 1m30s style."""
    if text is None or text.strip() in ("", "0"):
        return None
    parts = re.findall(r"(\d+(?:\.\d+)?)(h|ms|m|s)?", text.strip())
    if not _DURATION.match(text.strip()) or not parts:
        raise UsageError(f"invalid --request-timeout {text!r}: use a number of seconds or a duration like 30s, 1m")
    seconds = sum(float(value) * _UNIT_SECONDS[unit or None] for value, unit in parts)
    return seconds or None


@dataclass
class Connection:
    pool: object  # urllib3.PoolManager with the cluster's TLS settings
    server: str
    configuration: object  # kubernetes.client.Configuration, for auth headers that refresh
    namespace: str
    timeout: Optional[float]

    def headers(self) -> dict:
        headers = {"Accept": "application/json", "User-Agent": "kubectl-sidecars"}
        for setting in self.configuration.auth_settings().values():
            if setting.get("in") == "header" and setting.get("value"):
                headers[setting["key"]] = setting["value"]
        basic = self.configuration.get_basic_auth_token() if self.configuration.username else None
        if basic:
            headers["Authorization"] = basic
        return headers


def _context_namespace(config_file: Optional[str], context: Optional[str]) -> str:
    from kubernetes import config

    contexts, active = config.list_kube_config_contexts(config_file)
    chosen = next((c for c in contexts if c.get("name") == context), None) if context else active
    if chosen is None:
        raise ApiError(f'context "{context}" does not exist')
    return (chosen.get("context") or {}).get("namespace") or "default"


def connect(kubeconfig: Optional[str], context: Optional[str], request_timeout: Optional[str]) -> Connection:
    timeout = parse_request_timeout(request_timeout)
    from kubernetes import client, config
    from kubernetes.client import rest
    from kubernetes.config.config_exception import ConfigException

    configuration = client.Configuration()
    failures = _capture_client_errors()
    try:
        if kubeconfig is None and not os.environ.get("KUBECONFIG") and \
                not os.path.exists(os.path.expanduser("~/.kube/config")) and \
                os.environ.get("KUBERNETES_SERVICE_HOST"):
            config.load_incluster_config(client_configuration=configuration)
            namespace = _in_cluster_namespace()
        else:
            config.load_kube_config(config_file=kubeconfig, context=context,
                                    client_configuration=configuration, persist_config=False)
            namespace = _context_namespace(kubeconfig, context)
        server = str(configuration.host or "").rstrip("/")
    except ConfigException as error:
        raise ApiError(f"invalid kubeconfig: {_first_line(error)}") from None
    except Exception as error:  # the client's loader raises whatever its parsing of a bad file runs into
        raise ApiError(f"cannot load kubeconfig: {_first_line(error)}") from None
    if failures:
        raise ApiError(f"kubeconfig credentials failed: {failures[0]}")
    if not server:
        raise ApiError("the kubeconfig names no server")
    configuration.retries = False
    if not configuration.verify_ssl:
        _quiet_insecure_requests(server)
    pool = with_deadlines(rest.RESTClientObject(configuration).pool_manager)
    return Connection(pool, server, configuration, namespace, timeout)


_exchange = threading.local()  # .current: the Deadline of the request this thread is making


class Deadline:
    """One request's end: when it passes, the socket carrying the answer is shut, which ends any read
    still blocked on it. urllib3's read timeout is per socket read, so a server that trickles its headers
    or body, a byte at a time, would never trip it. Use as `with Deadline(when):` around the request."""

    def __init__(self, when: float):
        self.when = when
        self.timer: Optional[threading.Timer] = None
        self.cut = False  # the socket was shut: whatever the request returned is incomplete

    def watch(self, sock) -> None:
        self.timer = threading.Timer(max(0.0, self.when - time.monotonic()), self._shut, (sock,))
        self.timer.daemon = True
        self.timer.start()

    def passed(self) -> bool:
        return self.cut or time.monotonic() >= self.when

    def _shut(self, sock) -> None:
        """The plain socket's shutdown, also under TLS: SSLSocket.shutdown would drop the TLS state that
        the reading thread is still using."""
        self.cut = True
        try:
            socket.socket.shutdown(sock, socket.SHUT_RDWR)
        except OSError:
            pass

    def __enter__(self) -> "Deadline":
        _exchange.current = self
        return self

    def __exit__(self, *failure) -> None:
        _exchange.current = None
        if self.timer is not None:
            self.timer.cancel()


def with_deadlines(pool):
    """Makes the pool's connections report their socket to the Deadline of the request they carry."""
    from urllib3 import HTTPConnectionPool, HTTPSConnectionPool
    from urllib3.connection import HTTPConnection, HTTPSConnection

    def watched(connection_class):
        class Watched(connection_class):
            def getresponse(self, *args, **kwargs):
                deadline = getattr(_exchange, "current", None)
                if deadline is not None and self.sock is not None:
                    deadline.watch(self.sock)
                return super().getresponse(*args, **kwargs)
        return Watched

    class WatchedHTTPPool(HTTPConnectionPool):
        ConnectionCls = watched(HTTPConnection)

    class WatchedHTTPSPool(HTTPSConnectionPool):
        ConnectionCls = watched(HTTPSConnection)

    pool.pool_classes_by_scheme = {"http": WatchedHTTPPool, "https": WatchedHTTPSPool}
    return pool


def _quiet_insecure_requests(server: str) -> None:
    """insecure-skip-tls-verify: urllib3 would warn on every request; say it once instead."""
    import urllib3

    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    warn(f"TLS verification is off for {server} (insecure-skip-tls-verify in the kubeconfig): "
         "the server's identity is not checked")


def _capture_client_errors() -> list:
    """The client logs a failing exec or OIDC auth plugin and goes on without credentials; keep those
    messages off stderr and turn the first one into the error the user sees."""
    import logging

    failures: list = []

    class Collect(logging.Handler):
        def emit(self, record):
            failures.append(_first_line(Exception(record.getMessage())))

    root = logging.getLogger()
    root.handlers = [Collect(logging.ERROR)]
    return failures


def _in_cluster_namespace() -> str:
    try:
        with open("/var/run/secrets/kubernetes.io/serviceaccount/namespace") as handle:
            return handle.read().strip() or "default"
    except OSError:
        return "default"


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]
