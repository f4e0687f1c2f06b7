"""read -> view: open the source (cluster or files), select pods, and gather what each command needs
into a Snapshot. Views are built as pages arrive, so raw pages do not pile up in memory."""

from datetime import datetime, timezone
from typing import Iterable, List, Optional, Tuple

from kubectl_sidecars.errors import ApiError
from kubectl_sidecars.kinds import DIAGNOSE_KINDS
from kubectl_sidecars.model import PodView, build_pod_view
from kubectl_sidecars.selection import Selection
from kubectl_sidecars.snapshot import Snapshot



def open_source(files: Tuple[str, ...], kubeconfig: Optional[str], context: Optional[str],
                request_timeout: Optional[str], chunk_size: int):
    if files:
        from kubectl_sidecars.files import FileSource, load_objects

        return FileSource(load_objects(files))
    from kubectl_sidecars.kube.connection import connect
    from kubectl_sidecars.kube.source import LiveSource

    return LiveSource(connect(kubeconfig, context, request_timeout), chunk_size)


def resolve_namespace(source, namespace: Optional[str], all_namespaces: bool) -> Optional[str]:
    """kubectl's rule: -A wins, then -n, then the context's namespace (files: every namespace)."""
    if all_namespaces:
        return None
    return namespace or source.default_namespace


def views(pods: Iterable[dict]) -> List[PodView]:
    return sorted((build_pod_view(p) for p in pods), key=lambda v: (v.namespace, v.name))


def selector_of(obj: dict) -> str:
    """A workload's spec.selector (matchLabels and matchExpressions) as a label selector string."""
    selector = (obj.get("spec") or {}).get("selector") or {}
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression.get("key"), expression.get("operator"), expression.get("values") or []
        if operator in ("In", "NotIn"):
            parts.append(f"{key} {operator.lower()} ({','.join(values)})")
        elif operator == "Exists":
            parts.append(key)
        elif operator == "DoesNotExist":
            parts.append(f"!{key}")
    if not parts:
        raise ApiError(f"{obj.get('kind')} {(obj.get('metadata') or {}).get('name')} has no pod selector")
    return ",".join(parts)


def status_snapshot(source, selection: Selection) -> Snapshot:
    return Snapshot(now=datetime.now(timezone.utc), pods=views(source.pods(selection)))


def _owned_by(obj: dict, owner: dict) -> bool:
    uid = (owner.get("metadata") or {}).get("uid")
    name = (owner.get("metadata") or {}).get("name")
    return any(ref.get("kind") == owner.get("kind") and (ref.get("uid") == uid if uid else ref.get("name") == name)
               for ref in (obj.get("metadata") or {}).get("ownerReferences") or [])


def _recent_jobs(source, cronjob: dict, namespace: str, count: int) -> List[dict]:
    owned = [j for j in source.list("Job", namespace) if _owned_by(j, dict(cronjob, kind="CronJob"))]
    owned.sort(key=lambda j: (j.get("metadata") or {}).get("creationTimestamp") or "", reverse=True)
    return owned[:count]


def diagnosis_snapshot(source, kind: Optional[str], name: Optional[str], selection: Selection,
                       recent_jobs: int) -> Tuple[Snapshot, List[dict]]:
    """The pods of the target, its Jobs, and the Events and Nodes the rules use as evidence."""
    namespace = selection.namespace
    snapshot = Snapshot(now=datetime.now(timezone.utc))
    jobs: List[dict] = []
    if kind is None:
        pods = source.pods(selection)
    elif kind == "pod":
        pods = source.pods(Selection(namespace, (name,), selection.label_selector, selection.field_selector))
    elif kind in ("job", "cronjob"):
        if kind == "job":
            jobs = [dict(source.get("Job", namespace, name), kind="Job")]
        else:
            cronjob = dict(source.get("CronJob", namespace, name), kind="CronJob")
            jobs = _recent_jobs(source, cronjob, namespace, recent_jobs)
        pods = [p for job in jobs for p in source.list("Pod", namespace, selector_of(job))]
    else:
        workload = dict(source.get(DIAGNOSE_KINDS[kind], namespace, name), kind=DIAGNOSE_KINDS[kind])
        snapshot.workloads = [workload]
        pods = source.list("Pod", namespace, selector_of(workload))
    snapshot.pods = views(pods)
    snapshot.jobs = jobs or _jobs_of(source, snapshot, namespace)
    _add_events(source, snapshot, namespace)
    _add_nodes(source, snapshot)
    return snapshot, jobs


def _jobs_of(source, snapshot: Snapshot, namespace: Optional[str]) -> List[dict]:
    """The Jobs owning the pods (for podFailurePolicy and verdicts): one LIST, read only when a pod has one."""
    wanted = {(p.namespace, p.owner["name"]) for p in snapshot.pods if (p.owner or {}).get("kind") == "Job"}
    if not wanted:
        return []
    try:
        return [dict(j, kind="Job") for j in source.list("Job", namespace)
                if ((j.get("metadata") or {}).get("namespace"), (j.get("metadata") or {}).get("name")) in wanted]
    except ApiError as error:
        snapshot.notes.append(f"jobs could not be read, so their podFailurePolicy was not checked ({error})")
        return []


def _add_events(source, snapshot: Snapshot, namespace: Optional[str]) -> None:
    """Events are evidence, not a requirement: when they cannot be read, the diagnosis says so."""
    about = {("Pod", p.namespace, p.name) for p in snapshot.pods}
    about |= {("Job", (j.get("metadata") or {}).get("namespace"), (j.get("metadata") or {}).get("name"))
              for j in snapshot.jobs}
    if not about:
        return
    try:
        snapshot.events = [e for e in source.list("Event", namespace)
                           if ((e.get("involvedObject") or {}).get("kind"),
                               (e.get("involvedObject") or {}).get("namespace")
                               or (e.get("metadata") or {}).get("namespace"),
                               (e.get("involvedObject") or {}).get("name")) in about]
        snapshot.events_read = True
    except ApiError as error:
        snapshot.notes.append(f"events could not be read, so the diagnosis goes without them ({error})")


def _add_nodes(source, snapshot: Snapshot) -> None:
    """Node kubelet versions matter only for native sidecars."""
    wanted = {p.node for p in snapshot.pods if p.sidecars and p.node}
    if not wanted:
        return
    try:
        snapshot.nodes = [n for n in source.list("Node", None) if (n.get("metadata") or {}).get("name") in wanted]
    except ApiError as error:
        snapshot.notes.append(f"nodes could not be read, so kubelet versions were not checked ({error})")
