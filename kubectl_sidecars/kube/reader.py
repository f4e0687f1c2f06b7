"""Raw JSON reads: one request per page of a LIST, never one per pod, and no model classes
(deserialising into them costs ~10x the JSON parse on big lists)."""

import json
from typing import Dict, Iterator, Optional
from urllib.parse import urlencode

from kubectl_sidecars.errors import ApiError
from kubectl_sidecars.kube.connection import Connection

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


def resource_path(kind: str, namespace: Optional[str], name: Optional[str] = None) -> str:
    prefix, plural = RESOURCES[kind]
    path = prefix
    if namespace and kind not in CLUSTER_SCOPED:
        path += f"/namespaces/{namespace}"
    path += f"/{plural}"
    return path + (f"/{name}" if name else "")


class Reader:
    def __init__(self, connection: Connection):
        self.connection = connection

    def get(self, kind: str, namespace: Optional[str], name: str) -> dict:
        return self._request(resource_path(kind, namespace, name), {})

    def list(self, kind: str, namespace: Optional[str] = None, label_selector: Optional[str] = None,
             field_selector: Optional[str] = None, chunk_size: int = 500) -> Iterator[dict]:
        """Items of every page, as dicts with kind set; pages are requested as the caller consumes."""
        params = {"limit": chunk_size} if chunk_size > 0 else {}
        if label_selector:
            params["labelSelector"] = label_selector
        if field_selector:
            params["fieldSelector"] = field_selector
        path = resource_path(kind, namespace)
        while True:
            page = self._request(path, params)
            for item in page.get("items") or []:
                item.setdefault("kind", kind)
                yield item
            token = (page.get("metadata") or {}).get("continue")
            if not token:
                return
            params = dict(params, **{"continue": token})

    def _request(self, path: str, params: dict) -> dict:
        import urllib3

        url = self.connection.server + path + ("?" + urlencode(params) if params else "")
        try:
            response = self.connection.pool.request(
                "GET", url, headers=self.connection.headers(), retries=False, preload_content=True,
                timeout=urllib3.Timeout(total=self.connection.timeout) if self.connection.timeout else None)
        except urllib3.exceptions.NewConnectionError as error:  # before TimeoutError: urllib3 2 derives it from that
            raise ApiError(f"Unable to connect to the server {self.connection.server}: {_reason(error)}") from None
        except urllib3.exceptions.TimeoutError:
            raise ApiError(f"the request to {self.connection.server} timed out") from None
        except urllib3.exceptions.SSLError as error:
            raise ApiError(f"TLS error talking to {self.connection.server}: {_reason(error)}") from None
        except urllib3.exceptions.HTTPError as error:
            raise ApiError(f"Unable to connect to the server {self.connection.server}: {_reason(error)}") from None
        if response.status >= 400:
            raise ApiError(_status_message(response.status, response.data))
        try:
            return json.loads(response.data)
        except ValueError:
            raise ApiError(f"the server answered {path} with something that is not JSON") from None


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
    reason = status.get("reason") or {401: "Unauthorized", 403: "Forbidden", 404: "NotFound"}.get(code, str(code))
    message = status.get("message") or body.decode("utf-8", "replace").strip() or "no message"
    if code == 401:
        return "You must be logged in to the server (Unauthorized)"
    return f"Error from server ({reason}): {message}"
