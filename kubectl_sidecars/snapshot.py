"""What one command read, live or from files: views of the selected pods and of what the rules read beside
them (Jobs, Events, Nodes, a workload's pod template), which kinds were read, and notes on what was not."""

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Dict, FrozenSet, Iterable, List, Optional, Set, Tuple

from kubectl_sidecars.model import PodView, build_pod_view
from kubectl_sidecars.model.objects import (
    EventView,
    JobView,
    NodeView,
    PodTemplateView,
    build_event_view,
    build_job_view,
    build_node_view,
    workload_template,
)

# The kinds the gather step can read for the rules.
PODS, JOBS, EVENTS, NODES = "pods", "jobs", "events", "nodes"
KINDS = (PODS, JOBS, EVENTS, NODES)


@dataclass
class Snapshot:
    now: datetime
    pods: List[PodView] = field(default_factory=list)
    jobs: List[JobView] = field(default_factory=list)
    templates: List[PodTemplateView] = field(default_factory=list)  # of the workload diagnosed, if any
    events: List[EventView] = field(default_factory=list)
    nodes: List[NodeView] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)
    read: Set[str] = field(default_factory=lambda: set(KINDS))  # what could be read (a refused kind is not)
    # The Jobs to give a verdict on, besides those owning a judged pod; None: every Job of the snapshot.
    targets: Optional[FrozenSet[Tuple[str, str]]] = None

    @classmethod
    def of(cls, now: datetime, pods: Iterable[dict] = (), jobs: Iterable[dict] = (), events: Iterable[dict] = (),
           nodes: Iterable[dict] = (), workloads: Iterable[dict] = (), read: Iterable[str] = KINDS) -> "Snapshot":
        """A snapshot of raw objects, as `kubectl get -o json` prints them."""
        return cls(now=now, pods=[build_pod_view(p) for p in pods], jobs=[build_job_view(j) for j in jobs],
                   events=[build_event_view(e) for e in events],
                   nodes=[build_node_view(n) for n in nodes], templates=[workload_template(w) for w in workloads],
                   read=set(read))

    @property
    def events_read(self) -> bool:
        return EVENTS in self.read

    @cached_property
    def _events_index(self) -> Dict[Tuple[str, str, str], List[EventView]]:
        """Rules ask per container, so the events are indexed by the object they are about, once."""
        index: Dict[Tuple[str, str, str], List[EventView]] = {}
        for event in self.events:
            index.setdefault(event.about, []).append(event)
        for found in index.values():
            found.sort(key=lambda e: e.last or datetime.min.replace(tzinfo=self.now.tzinfo))
        return index

    def events_about(self, kind: str, namespace: str, name: str) -> List[EventView]:
        """Oldest first."""
        return self._events_index.get((kind, namespace, name), [])

    def node(self, name: Optional[str]) -> Optional[NodeView]:
        return self._nodes_by_name.get(name or "")

    @cached_property
    def _nodes_by_name(self) -> Dict[str, NodeView]:
        return {n.name: n for n in self.nodes}

    @cached_property
    def _jobs_by_name(self) -> Dict[Tuple[str, str], JobView]:
        return {(j.namespace, j.name): j for j in self.jobs}

    def job(self, namespace: str, name: str) -> Optional[JobView]:
        return self._jobs_by_name.get((namespace, name))

    def job_of(self, pod: PodView) -> Optional[JobView]:
        owner = pod.owner or {}
        return self.job(pod.namespace, owner.get("name") or "") if owner.get("kind") == "Job" else None

    @cached_property
    def _pods_by_job(self) -> Dict[Tuple[str, str], List[PodView]]:
        index: Dict[Tuple[str, str], List[PodView]] = {}
        for pod in self.pods:
            if (pod.owner or {}).get("kind") == "Job":
                index.setdefault((pod.namespace, pod.owner["name"]), []).append(pod)
        return index

    def pods_of_job(self, job: JobView) -> List[PodView]:
        return self._pods_by_job.get((job.namespace, job.name), [])

    def template_of(self, pod: PodView) -> Optional[PodTemplateView]:
        """The pod template the pod was made from, when the snapshot holds its owner."""
        job = self.job_of(pod)
        if job is not None:
            return job.template
        owner = pod.owner or {}
        return next((t for t in self.templates if t.namespace == pod.namespace and t.name == owner.get("name")),
                    None)
