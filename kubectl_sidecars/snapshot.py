"""What one command read, live or from files: the views of the selected pods and the raw objects the
rules need beside them (jobs, events, nodes), plus notes on what could not be read."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Dict, List, Optional

from kubectl_sidecars.model import PodView


@dataclass
class Snapshot:
    now: datetime
    pods: List[PodView] = field(default_factory=list)
    jobs: List[dict] = field(default_factory=list)
    workloads: List[dict] = field(default_factory=list)
    events: List[dict] = field(default_factory=list)
    nodes: List[dict] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)
    events_read: bool = False

    _events_index: Optional[Dict[tuple, List[dict]]] = field(default=None, init=False, repr=False)

    def events_about(self, kind: str, namespace: str, name: str) -> List[dict]:
        """Rules ask per container, so the events are indexed by the object they are about, once."""
        if self._events_index is None:
            self._events_index = {}
            for event in self.events:
                involved = event.get("involvedObject") or event.get("regarding") or {}
                key = (involved.get("kind"), involved.get("namespace") or (event.get("metadata") or {}).get("namespace"),
                       involved.get("name"))
                self._events_index.setdefault(key, []).append(event)
        return self._events_index.get((kind, namespace, name), [])

    def node(self, name: Optional[str]) -> Optional[dict]:
        return next((n for n in self.nodes if (n.get("metadata") or {}).get("name") == name), None)

    def job(self, namespace: str, name: str) -> Optional[dict]:
        return next((j for j in self.jobs if (j.get("metadata") or {}).get("namespace") == namespace
                     and (j.get("metadata") or {}).get("name") == name), None)

    def pods_of_job(self, job: dict) -> List[PodView]:
        metadata = job.get("metadata") or {}
        owner = {"kind": "Job", "name": metadata.get("name")}
        return [p for p in self.pods if p.namespace == metadata.get("namespace") and p.owner == owner]
