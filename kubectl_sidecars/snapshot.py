"""What one command read, live or from files: the views of the selected pods and the raw objects the
rules need beside them (jobs, events, nodes), plus notes on what could not be read."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import List, Optional

from kubectl_sidecars.model import PodView


@dataclass
class Snapshot:
    now: datetime
    pods: List[PodView] = field(default_factory=list)
    jobs: List[dict] = field(default_factory=list)
    cronjobs: List[dict] = field(default_factory=list)
    workloads: List[dict] = field(default_factory=list)
    events: List[dict] = field(default_factory=list)
    nodes: List[dict] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)
    events_read: bool = False

    def events_about(self, kind: str, namespace: str, name: str) -> List[dict]:
        return [e for e in self.events
                if (e.get("involvedObject") or e.get("regarding") or {}).get("kind") == kind
                and (e.get("involvedObject") or e.get("regarding") or {}).get("name") == name
                and (e.get("metadata") or {}).get("namespace", namespace) == namespace]

    def node(self, name: Optional[str]) -> Optional[dict]:
        return next((n for n in self.nodes if (n.get("metadata") or {}).get("name") == name), None)

    def job(self, namespace: str, name: str) -> Optional[dict]:
        return next((j for j in self.jobs if (j.get("metadata") or {}).get("namespace") == namespace
                     and (j.get("metadata") or {}).get("name") == name), None)

    def pods_of_job(self, job: dict) -> List[PodView]:
        metadata = job.get("metadata") or {}
        owner = {"kind": "Job", "name": metadata.get("name")}
        return [p for p in self.pods if p.namespace == metadata.get("namespace") and p.owner == owner]
