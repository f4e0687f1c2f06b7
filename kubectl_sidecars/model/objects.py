"""Views of the other kinds a snapshot carries beside pods: pod templates (a workload's or a Job's, spec
only), Jobs, Nodes and Events. The rules read these, never the raw dicts."""

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Dict, List, Optional, Tuple

from kubectl_sidecars.model.classify import EPHEMERAL, classify
from kubectl_sidecars.model.owners import controller_reference
from kubectl_sidecars.model.roles import ContainerRoles
from kubectl_sidecars.model.timeutil import parse_time
from kubectl_sidecars.model.view import ContainerView, container_view

# Where the pod template sits in each kind that has one.
TEMPLATE_PATHS = {"Job": "spec.template", "CronJob": "spec.jobTemplate.spec.template",
                  "Deployment": "spec.template", "StatefulSet": "spec.template", "DaemonSet": "spec.template",
                  "ReplicaSet": "spec.template"}


def _metadata(obj: dict) -> dict:
    return obj.get("metadata") or {}


@dataclass
class PodTemplateView(ContainerRoles):
    """A pod template with no status: what template-scope rules judge, and where patches go."""
    kind: str        # the object holding the template: Deployment, Job, CronJob...
    namespace: str
    name: str
    path: str        # where the template sits in that object
    annotations: Dict[str, str]
    restart_policy: str
    grace_period: int
    containers: List[ContainerView]
    owner: Optional[Dict[str, str]]  # the controller its pods will have


def build_template_view(kind: str, namespace: str, name: str, template: dict,
                        path: Optional[str] = None) -> PodTemplateView:
    metadata, spec = template.get("metadata") or {}, template.get("spec") or {}
    roles = classify({"metadata": metadata, "spec": spec})
    containers = []
    for section in ("initContainers", "containers"):
        for index, container in enumerate(spec.get(section) or []):
            role, evidence = roles.get(container.get("name"), (EPHEMERAL, None))
            containers.append(container_view(container, None, role, index, evidence))
    grace = spec.get("terminationGracePeriodSeconds")
    return PodTemplateView(kind=kind, namespace=namespace, name=name,
                           path=TEMPLATE_PATHS.get(kind, "spec.template") if path is None else path,
                           annotations=metadata.get("annotations") or {},
                           restart_policy=spec.get("restartPolicy") or "Always",
                           grace_period=30 if grace is None else grace, containers=containers,
                           owner={"kind": kind, "name": name})


def workload_template(workload: dict) -> PodTemplateView:
    metadata = _metadata(workload)
    kind = workload.get("kind") or ""
    spec = workload.get("spec") or {}
    template = ((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") if kind == "CronJob" \
        else spec.get("template")
    return build_template_view(kind, metadata.get("namespace") or "", metadata.get("name") or "", template or {})


@dataclass(frozen=True)
class Condition:
    type: str
    reason: str
    message: str
    since: Optional[datetime]

    @property
    def text(self) -> str:
        return ": ".join(p for p in (self.reason, self.message) if p)


@dataclass(frozen=True)
class FailurePolicyRule:
    """One spec.podFailurePolicy.rules[] entry, with onExitCodes read out."""
    index: int
    action: str
    container_name: Optional[str]
    operator: str
    values: Tuple[int, ...]
    on_exit_codes: bool
    raw: dict = field(compare=False)

    def matches(self, code: int) -> bool:
        return code in self.values if self.operator == "In" else \
            code not in self.values if self.operator == "NotIn" else False


@dataclass
class JobView:
    namespace: str
    name: str
    owner: Optional[Dict[str, str]]   # its CronJob, if any
    completions: Optional[int]
    parallelism: int
    backoff_limit: Optional[int]
    suspended: bool
    failure_policy: List[FailurePolicyRule]
    active: int
    succeeded: int
    failed: int
    started: Optional[datetime]
    completed: Optional[datetime]
    conditions: List[Condition]       # those with status True, in the order the Job lists them
    template: PodTemplateView

    def condition(self, kind: str) -> Optional[Condition]:
        return next((c for c in self.conditions if c.type == kind), None)

    @property
    def completions_column(self) -> str:
        """kubectl's COMPLETIONS column."""
        if self.completions is not None:
            return f"{self.succeeded}/{self.completions}"
        return f"{self.succeeded}/1 of {self.parallelism}" if self.parallelism > 1 else f"{self.succeeded}/1"

    @property
    def patch_home(self) -> Tuple[str, str, str]:
        """(kind, name, path) of the template users edit: the CronJob's for its Jobs."""
        if (self.owner or {}).get("kind") == "CronJob":
            return "CronJob", self.owner["name"], TEMPLATE_PATHS["CronJob"]
        return "Job", self.name, TEMPLATE_PATHS["Job"]


def _policy_rule(index: int, entry: dict) -> FailurePolicyRule:
    on = entry.get("onExitCodes") or {}
    return FailurePolicyRule(index=index, action=entry.get("action") or "?",
                             container_name=on.get("containerName"), operator=on.get("operator") or "",
                             values=tuple(v for v in on.get("values") or [] if isinstance(v, int)
                                          and not isinstance(v, bool)),
                             on_exit_codes=bool(on), raw=entry)


def build_job_view(job: dict) -> JobView:
    metadata, spec, status = _metadata(job), job.get("spec") or {}, job.get("status") or {}
    namespace, name = metadata.get("namespace") or "", metadata.get("name") or ""
    conditions = [Condition(c.get("type") or "", c.get("reason") or "", c.get("message") or "",
                            parse_time(c.get("lastTransitionTime")))
                  for c in status.get("conditions") or [] if c.get("status") == "True"]
    return JobView(
        namespace=namespace, name=name, owner=controller_reference(metadata), completions=spec.get("completions"),
        parallelism=spec.get("parallelism") or 0, backoff_limit=spec.get("backoffLimit"),
        suspended=bool(spec.get("suspend")),
        failure_policy=[_policy_rule(i, r) for i, r in enumerate((spec.get("podFailurePolicy") or {})
                                                                   .get("rules") or [])],
        active=status.get("active") or 0, succeeded=status.get("succeeded") or 0, failed=status.get("failed") or 0,
        started=parse_time(status.get("startTime")), completed=parse_time(status.get("completionTime")),
        conditions=conditions,
        template=build_template_view("Job", namespace, name, spec.get("template") or {}))


VERSION = re.compile(r"^v?([0-9]{1,6})\.([0-9]{1,6})")  # bounded: a kubelet version, not a 10,000-digit number


@dataclass(frozen=True)
class NodeView:
    name: str
    kubelet: str                              # status.nodeInfo.kubeletVersion as written
    kubelet_version: Optional[Tuple[int, int]]  # (major, minor), None when unreadable
    ready: Optional[bool]                     # the Ready condition; None when not reported


def build_node_view(node: dict) -> NodeView:
    status = node.get("status") or {}
    text = (status.get("nodeInfo") or {}).get("kubeletVersion") or ""
    match = VERSION.match(text)
    ready = next((c.get("status") == "True" for c in status.get("conditions") or [] if c.get("type") == "Ready"),
                 None)
    return NodeView(name=_metadata(node).get("name") or "", kubelet=text,
                    kubelet_version=(int(match.group(1)), int(match.group(2))) if match else None, ready=ready)


FIELD_PATH = re.compile(r"^spec\.(?:initContainers|containers|ephemeralContainers)\{(?P<name>[^}]*)\}$")


@dataclass(frozen=True)
class EventView:
    """A core/v1 or events.k8s.io/v1 Event about one object (and, through fieldPath, one container)."""
    kind: str
    namespace: str
    name: str
    container: Optional[str]
    type: str
    reason: str
    message: str
    count: int
    first: Optional[datetime]
    last: Optional[datetime]

    @property
    def about(self) -> Tuple[str, str, str]:
        return self.kind, self.namespace, self.name


def build_event_view(event: dict) -> EventView:
    involved = event.get("involvedObject") or event.get("regarding") or {}
    series = event.get("series") or {}
    last = None
    for key in ("lastTimestamp", "eventTime", "firstTimestamp"):
        last = parse_time(event.get(key))
        if last:
            break
    last = last or parse_time(series.get("lastObservedTime")) or parse_time(_metadata(event).get("creationTimestamp"))
    match = FIELD_PATH.match(involved.get("fieldPath") or "")
    return EventView(kind=involved.get("kind") or "",
                     namespace=involved.get("namespace") or _metadata(event).get("namespace") or "",
                     name=involved.get("name") or "", container=match.group("name") if match else None,
                     type=event.get("type") or "Normal", reason=event.get("reason") or "",
                     message=event.get("message") or event.get("note") or "",
                     count=event.get("count") or series.get("count") or 1,
                     first=parse_time(event.get("firstTimestamp")) or last, last=last)
