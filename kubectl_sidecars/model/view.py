"""One pod as the plugin sees it: each container's role and state, and kubectl's columns."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Dict, List, Optional

from kubectl_sidecars.model.classify import EPHEMERAL, LEGACY, SIDECAR, classify
from kubectl_sidecars.model.owners import controller_reference
from kubectl_sidecars.model.printer import print_pod
from kubectl_sidecars.model.roles import ContainerRoles
from kubectl_sidecars.model.timeutil import parse_time

PROBES = ("startup", "readiness", "liveness")


@dataclass
class Termination:
    exit_code: Optional[int]
    reason: Optional[str]
    started_at: Optional[datetime]
    finished_at: Optional[datetime]
    message: Optional[str]

    @classmethod
    def of(cls, terminated: Optional[dict]) -> Optional["Termination"]:
        if terminated is None:
            return None
        return cls(terminated.get("exitCode"), terminated.get("reason"),
                   parse_time(terminated.get("startedAt")), parse_time(terminated.get("finishedAt")),
                   terminated.get("message"))


@dataclass
class ContainerView:
    name: str
    type: str
    index: int
    image: str
    state: str  # waiting | running | terminated | unknown
    reason: Optional[str]
    exit_code: Optional[int]
    started: Optional[bool]
    ready: bool
    restarts: int
    started_at: Optional[datetime]
    finished_at: Optional[datetime]
    probes: List[str]
    evidence: Optional[str]
    spec: dict = field(repr=False)
    terminated: Optional[Termination] = None
    last_terminated: Optional[Termination] = None
    waiting_message: Optional[str] = None

    @property
    def is_sidecar(self) -> bool:
        return self.type in (SIDECAR, LEGACY)

    @property
    def command_line(self) -> str:
        return " ".join(str(part) for part in (self.spec.get("command") or []) + (self.spec.get("args") or []))


@dataclass
class PodView(ContainerRoles):
    namespace: str
    name: str
    annotations: Dict[str, str]
    owner: Optional[Dict[str, str]]
    phase: str
    ready: str
    status: str
    restarts: int
    last_restart: Optional[datetime]
    node: Optional[str]
    created: Optional[datetime]
    deleted: Optional[datetime]
    grace_period: int
    restart_policy: str
    conditions: Dict[str, dict]
    containers: List[ContainerView]
    reason: Optional[str] = None  # status.reason: Evicted, NodeLost, a kubelet's rejection reason...
    message: Optional[str] = None
    unreadable: Optional[str] = None  # why the pod could not be viewed; it is then shown, never judged

    @property
    def initialized(self) -> bool:
        """The kubelet's Initialized condition: every plain init container done, every sidecar started."""
        return (self.conditions.get("Initialized") or {}).get("status") == "True"


def container_view(container: dict, status: Optional[dict], kind: str, index: int, evidence) -> ContainerView:
    status = status or {}
    state = status.get("state") or {}
    running, waiting, terminated = state.get("running"), state.get("waiting"), state.get("terminated")
    name = "running" if running is not None else "waiting" if waiting is not None else \
        "terminated" if terminated is not None else "unknown"
    ended = Termination.of(terminated)
    return ContainerView(
        name=container.get("name") or "",
        type=kind,
        index=index,
        image=container.get("image") or status.get("image") or "",
        state=name,
        reason=(waiting or terminated or {}).get("reason"),
        exit_code=ended.exit_code if ended else None,
        started=status.get("started") if status else None,
        ready=bool(status.get("ready")),
        restarts=status.get("restartCount") or 0,
        started_at=parse_time((running or terminated or {}).get("startedAt")),
        finished_at=ended.finished_at if ended else None,
        probes=[p for p in PROBES if container.get(p + "Probe")],
        evidence=evidence,
        spec=container,
        terminated=ended,
        last_terminated=Termination.of((status.get("lastState") or {}).get("terminated")),
        waiting_message=(waiting or {}).get("message"),
    )


def build_pod_view(pod: dict) -> PodView:
    """Tolerant of missing fields: dumps and pods that no kubelet has reported on yet are normal."""
    metadata, spec, status = pod.get("metadata") or {}, pod.get("spec") or {}, pod.get("status") or {}
    roles = classify(pod)
    statuses = {
        "initContainers": {s.get("name"): s for s in status.get("initContainerStatuses") or []},
        "containers": {s.get("name"): s for s in status.get("containerStatuses") or []},
        "ephemeralContainers": {s.get("name"): s for s in status.get("ephemeralContainerStatuses") or []},
    }
    containers = []
    for section in ("initContainers", "containers", "ephemeralContainers"):
        for index, container in enumerate(spec.get(section) or []):
            kind, evidence = roles.get(container.get("name"), (EPHEMERAL, None))
            containers.append(container_view(container, statuses[section].get(container.get("name")),
                                              kind, index, evidence))
    printed = print_pod(pod)
    grace = spec.get("terminationGracePeriodSeconds")
    return PodView(
        namespace=metadata.get("namespace") or "",
        name=metadata.get("name") or "",
        annotations=metadata.get("annotations") or {},
        owner=controller_reference(metadata),
        phase=status.get("phase") or "",
        ready=printed.ready,
        status=printed.status,
        restarts=printed.restarts,
        last_restart=printed.last_restart,
        node=spec.get("nodeName"),
        created=parse_time(metadata.get("creationTimestamp")),
        deleted=parse_time(metadata.get("deletionTimestamp")),
        grace_period=30 if grace is None else grace,
        restart_policy=spec.get("restartPolicy") or "Always",
        conditions={c.get("type"): c for c in status.get("conditions") or []},
        containers=containers,
        reason=status.get("reason"),
        message=status.get("message"),
    )


UNREADABLE = "Unreadable"


def unreadable_pod_view(pod: dict, why: str) -> PodView:
    """A pod that cannot be viewed still gets its row, with what can be told of it and why, so one hostile
    object never hides the others. Only its name and namespace are read, and only if they are strings."""
    metadata = pod.get("metadata") if isinstance(pod, dict) and isinstance(pod.get("metadata"), dict) else {}

    def text(key: str) -> str:
        return metadata.get(key) if isinstance(metadata.get(key), str) else ""

    return PodView(namespace=text("namespace"), name=text("name"), annotations={}, owner=None, phase="",
                   ready="-", status=UNREADABLE, restarts=0, last_restart=None, node=None,
                   created=parse_time(metadata.get("creationTimestamp")), deleted=None, grace_period=30,
                   restart_policy="Always", conditions={}, containers=[], unreadable=why)
