"""read -> view: open the source (cluster or files), select pods, and gather what each command needs
into a Snapshot. Views are built as pages arrive, so raw pages do not pile up in memory."""

import os
from datetime import datetime, timezone
from typing import Iterable, Iterator, List, Optional, Tuple

from kubectl_sidecars.errors import ApiError
from kubectl_sidecars.kinds import DIAGNOSE_KINDS
from kubectl_sidecars.model import PodView, build_pod_view, unreadable_pod_view
from kubectl_sidecars.model.shape import problem, title
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


def _view(pod: dict, notes: List[str]) -> PodView:
    """A pod's view; a pod that fails the typed boundary, or that the view cannot be built from, becomes an
    unreadable row with a note, and the other pods are shown as usual. -f input never gets here with a
    wrongly typed object (files.py refuses it), so this guards what the API server hands over."""
    found = problem(pod)
    if found is None:
        try:
            return build_pod_view(pod)
        except Exception as error:  # a bug meeting odd data: isolate the pod unless debugging
            if os.environ.get("KUBECTL_SIDECARS_DEBUG"):
                raise
            found = f"could not be viewed ({type(error).__name__})"
    notes.append(f"{title(pod)} could not be read, so it was not checked: {found}")
    return unreadable_pod_view(pod, str(found))


def views(pods: Iterable[dict], notes: List[str]) -> List[PodView]:
    return sorted((_view(p, notes) for p in pods), key=lambda v: (v.namespace, v.name))


def readable(objects: Iterable[dict], notes: List[str]) -> Iterator[dict]:
    """Jobs, Events and Nodes that pass the typed boundary; the others are left out, with one note saying
    how many and why the first was (a cluster-wide list must not flood the report)."""
    left_out, first = 0, ""
    for obj in objects:
        found = problem(obj)
        if found is None:
            yield obj
            continue
        left_out += 1
        first = first or f"{title(obj)}: {found}"
    if left_out:
        notes.append(f"{left_out} object(s) could not be read and were left out (the first: {first})")


def checked(obj: dict) -> dict:
    """The object a command targets by name: when it fails the typed boundary there is nothing to diagnose."""
    found = problem(obj)
    if found is not None:
        raise ApiError(f"{title(obj)} cannot be read: {found}")
    return obj


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
    snapshot = Snapshot(now=datetime.now(timezone.utc))
    snapshot.pods = views(source.pods(selection), snapshot.notes)
    return snapshot


def _owned_by(obj: dict, owner: dict) -> bool:
    uid = (owner.get("metadata") or {}).get("uid")
    name = (owner.get("metadata") or {}).get("name")
    return any(ref.get("kind") == owner.get("kind") and (ref.get("uid") == uid if uid else ref.get("name") == name)
               for ref in (obj.get("metadata") or {}).get("ownerReferences") or [])


def _recent_jobs(source, cronjob: dict, namespace: str, count: int, notes: List[str]) -> List[dict]:
    owned = [j for j in readable(source.list("Job", namespace), notes) if _owned_by(j, dict(cronjob, kind="CronJob"))]
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
            jobs = [checked(dict(source.get("Job", namespace, name), kind="Job"))]
        else:
            cronjob = checked(dict(source.get("CronJob", namespace, name), kind="CronJob"))
            jobs = _recent_jobs(source, cronjob, namespace, recent_jobs, snapshot.notes)
        pods = [p for job in jobs for p in source.list("Pod", namespace, selector_of(job))]
    else:
        workload = checked(dict(source.get(DIAGNOSE_KINDS[kind], namespace, name), kind=DIAGNOSE_KINDS[kind]))
        snapshot.workloads = [workload]
        pods = source.list("Pod", namespace, selector_of(workload))
    snapshot.pods = views(pods, snapshot.notes)
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
        return [dict(j, kind="Job") for j in readable(source.list("Job", namespace), snapshot.notes)
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
        snapshot.events = [e for e in readable(source.list("Event", namespace), snapshot.notes)
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
        snapshot.nodes = [n for n in readable(source.list("Node", None), snapshot.notes)
                          if (n.get("metadata") or {}).get("name") in wanted]
    except ApiError as error:
        snapshot.notes.append(f"nodes could not be read, so kubelet versions were not checked ({error})")
