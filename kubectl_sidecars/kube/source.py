"""The live cluster as a source of objects (the offline twin is files.FileSource)."""

from typing import Iterator, Optional

from kubectl_sidecars.errors import ApiError, UsageError
from kubectl_sidecars.kube.connection import Connection
from kubectl_sidecars.kube.reader import Reader
from kubectl_sidecars.selection import Selection, check_namespace


class LiveSource:
    def __init__(self, connection: Connection, chunk_size: int):
        self.reader = Reader(connection)
        self.context_namespace = connection.namespace
        self.chunk_size = chunk_size

    @property
    def default_namespace(self) -> str:
        """The kubeconfig context's namespace, checked only when used: -n and -A make kubectl ignore it."""
        try:
            return check_namespace(self.context_namespace)
        except UsageError as error:
            raise ApiError(f"invalid kubeconfig: {error}") from None

    def pods(self, selection: Selection) -> Iterator[dict]:
        if selection.names:
            # Named pods are fetched like kubectl does, one GET per name the user typed, once every name
            # is known to be one.
            selection.validate()
            matches = Selection(selection.namespace, (), selection.label_selector, selection.field_selector).matcher()
            for name in selection.names:
                pod = self.reader.get("Pod", selection.namespace, name)
                if matches(pod):
                    yield pod
            return
        yield from self.reader.list("Pod", selection.namespace, selection.label_selector,
                                    selection.field_selector, self.chunk_size)

    def list(self, kind: str, namespace: Optional[str], label_selector: Optional[str] = None) -> Iterator[dict]:
        return self.reader.list(kind, namespace, label_selector, None, self.chunk_size)

    def get(self, kind: str, namespace: Optional[str], name: str) -> dict:
        return self.reader.get(kind, namespace, name)
