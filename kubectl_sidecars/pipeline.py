"""read -> view: open the source (cluster or files), select pods, and gather what the rules read into a
Snapshot. Views are built as pages arrive, so raw pages do not pile up in memory."""

from datetime import datetime, timezone
from itertools import chain, islice
from typing import Callable, Iterable, Iterator, List, Optional, Tuple

from kubectl_sidecars.engine import rules_reading
from kubectl_sidecars.errors import ApiError, debugging
from kubectl_sidecars.kinds import DIAGNOSE_KINDS
from kubectl_sidecars.model import PodView, build_pod_view, unreadable_pod_view
from kubectl_sidecars.model.objects import build_event_view, build_job_view, build_node_view, workload_template
from kubectl_sidecars.model.shape import problem, title
from kubectl_sidecars.rules import CATALOG, Rule
from kubectl_sidecars.rules.catalog import JOB
from kubectl_sidecars.selection import Selection, listing_key
from kubectl_sidecars.snapshot import EVENTS, JOBS, NODES, PODS, Snapshot


def open_source(files: Tuple[str, ...], kubeconfig: Optional[str], context: Optional[str],
                request_timeout: Optional[str], chunk_size: int):
    if files:
        from kubectl_sidecars.files import FileSource, load_objects

        return FileSource(load_objects(files), checked_at_load=True)
    from kubectl_sidecars.kube.connection import connect
    from kubectl_sidecars.kube.source import LiveSource

    return LiveSource(connect(kubeconfig, context, request_timeout), chunk_size)


def resolve_namespace(source, namespace: Optional[str], all_namespaces: bool) -> Optional[str]:
    """kubectl's rule: -A wins, then -n, then the context's namespace (files: every namespace)."""
    if all_namespaces:
        return None
    return namespace or source.default_namespace


Check = Callable[[dict], Optional[object]]


def _not_again(obj: dict) -> None:
    """Objects that passed the typed boundary where they were loaded (-f: files.py) are not checked twice."""
    return None


def boundary(source) -> Check:
    """How the objects of a source are checked: -f input was checked (and refused) as it was loaded; what the
    API server hands over is checked here, one object at a time, so one bad object is isolated."""
    return _not_again if getattr(source, "checked_at_load", False) else problem


def _view(pod: dict, notes: List[str], check: Check) -> PodView:
    """A pod's view; a pod that fails the typed boundary, or that the view cannot be built from, becomes an
    unreadable row with a note, and the other pods are shown as usual."""
    found = check(pod)
    if found is None:
        try:
            return build_pod_view(pod)
        except Exception as error:  # a bug meeting odd data: isolate the pod unless debugging
            if debugging():
                raise
            found = f"could not be viewed ({type(error).__name__})"
    notes.append(f"{title(pod)} could not be read, so it was not checked: {found}")
    return unreadable_pod_view(pod, str(found))


def views(pods: Iterable[dict], notes: List[str], check: Check = problem) -> Iterator[PodView]:
    return (_view(p, notes, check) for p in pods)


def readable(objects: Iterable[dict], notes: List[str], check: Check = problem) -> Iterator[dict]:
    """Jobs, Events and Nodes that pass the typed boundary; the others are left out, with one note saying
    how many and why the first was (a cluster-wide list must not flood the report)."""
    left_out, first = 0, ""
    for obj in objects:
        found = check(obj)
        if found is None:
            yield obj
            continue
        left_out += 1
        first = first or f"{title(obj)}: {found}"
    if left_out:
        notes.append(f"{left_out} object(s) could not be read and were left out (the first: {first})")


def checked(obj: dict, check: Check = problem) -> dict:
    """The object a command targets by name: when it fails the typed boundary there is nothing to diagnose."""
    found = check(obj)
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


def _owned_by(obj: dict, owner: dict) -> bool:
    uid = (owner.get("metadata") or {}).get("uid")
    name = (owner.get("metadata") or {}).get("name")
    return any(ref.get("kind") == owner.get("kind") and (ref.get("uid") == uid if uid else ref.get("name") == name)
               for ref in (obj.get("metadata") or {}).get("ownerReferences") or [])


def _recent_jobs(source, cronjob: dict, namespace: str, count: int, notes: List[str], check: Check) -> List[dict]:
    jobs = readable(source.list("Job", namespace), notes, check)
    owned = [j for j in jobs if _owned_by(j, dict(cronjob, kind="CronJob"))]
    owned.sort(key=lambda j: (j.get("metadata") or {}).get("creationTimestamp") or "", reverse=True)
    return owned[:count]


def _key(obj: dict) -> Tuple[str, str]:
    metadata = obj.get("metadata") or {}
    return metadata.get("namespace") or "", metadata.get("name") or ""


# A selection of more pods than this is judged as it is read: its pods are never all in memory. Up to it,
# the pods are read first, and then only what they need beside them.
STREAM_AFTER = 500


def gather(source, selection: Selection, kind: Optional[str] = None, name: Optional[str] = None,
           recent_jobs: int = 3, rules: Optional[Iterable[Rule]] = None,
           stream_after: Optional[int] = None) -> Tuple[Snapshot, Iterable[PodView]]:
    """What the rules read beside the pods (the Jobs that own them, the Events about them, their Nodes), and
    the pods of the target (every selected pod without one), in listing order. Each kind is read once (one
    LIST), and only when a selected rule reads it; a refused read becomes a note naming the checks that ran
    without it.

    A selection of up to `stream_after` pods is read whole first, and only what those pods need is read
    beside them. A larger one is a stream, read and viewed page by page as the caller judges it: everything
    the rules may need beside it is read before it."""
    rules = list(CATALOG.values() if rules is None else rules)
    stream_after = STREAM_AFTER if stream_after is None else stream_after
    wanted = {read for rule in rules for read in rule.reads}
    namespace = selection.namespace
    snapshot = Snapshot(now=datetime.now(timezone.utc))
    check = boundary(source)
    jobs: List[dict] = []
    if kind is None:
        pods = source.pods(selection)
    elif kind == "pod":
        pods = source.pods(Selection(namespace, (name,), selection.label_selector, selection.field_selector))
    elif kind in ("job", "cronjob"):
        if kind == "job":
            jobs = [checked(dict(source.get("Job", namespace, name), kind="Job"), check)]
        else:
            cronjob = checked(dict(source.get("CronJob", namespace, name), kind="CronJob"), check)
            recent = _recent_jobs(source, cronjob, namespace, recent_jobs, snapshot.notes, check)
            jobs = [dict(j, kind="Job") for j in recent]
        pods = [p for job in jobs for p in source.list("Pod", namespace, selector_of(job))]
    else:
        workload = checked(dict(source.get(DIAGNOSE_KINDS[kind], namespace, name), kind=DIAGNOSE_KINDS[kind]),
                           check)
        snapshot.templates = [workload_template(workload)]
        pods = source.list("Pod", namespace, selector_of(workload))
    stream = views(pods, snapshot.notes, check)
    streamable = kind is None and not selection.names  # a selection LIST, not pods named or of one workload
    head = list(islice(stream, stream_after + 1)) if streamable else list(stream)
    snapshot.read = {PODS}
    if not streamable or len(head) <= stream_after:
        snapshot.pods = sorted(head, key=lambda pod: listing_key(pod.namespace, pod.name))
        _read_beside(source, snapshot, rules, wanted, namespace, check, jobs)
        return snapshot, snapshot.pods
    snapshot.targets = frozenset()
    _read_beside(source, snapshot, rules, wanted, namespace, check, jobs, streamed=True)
    return snapshot, chain(head, stream)


def _read_beside(source, snapshot: Snapshot, rules: List[Rule], wanted: set, namespace: Optional[str], check: Check,
                 jobs: List[dict], streamed: bool = False) -> None:
    """The Jobs, Events and Nodes the rules read. For pods known beforehand (snapshot.pods), only what those
    pods need; for a stream, everything the rules may need (the Jobs, the Events about pods and Jobs, the
    Nodes)."""
    pods = snapshot.pods
    if JOBS in wanted:
        owners = {(p.namespace, p.owner["name"]) for p in pods if (p.owner or {}).get("kind") == "Job"}
        owners -= {_key(j) for j in jobs}
        jobs += _read(snapshot, JOBS, rules, streamed or bool(owners),
                      lambda: [dict(j, kind="Job") for j in readable(source.list("Job", namespace), snapshot.notes,
                                                                     check) if streamed or _key(j) in owners])
    snapshot.jobs = [build_job_view(j) for j in jobs]
    if EVENTS in wanted:
        # evidence about sidecars, and about the Jobs judged
        about = {("Pod", p.namespace, p.name) for p in pods if p.all_sidecars}
        about |= {("Job", j.namespace, j.name) for j in snapshot.jobs}
        snapshot.events = [e for e in _read(snapshot, EVENTS, rules, streamed or bool(about), lambda: map(
            build_event_view, readable(source.list("Event", namespace), snapshot.notes, check)))
            if (e.about[0] in ("Pod", "Job") if streamed else e.about in about)]
    if NODES in wanted:
        # kubelet versions for native sidecars; readiness for pods stuck in Init or Terminating
        names = {p.node for p in pods if p.node and (p.sidecars or p.deleted or p.inits and not p.initialized)}
        snapshot.nodes = [n for n in _read(snapshot, NODES, rules, streamed or bool(names), lambda: map(
            build_node_view, readable(source.list("Node", None), snapshot.notes, check)))
            if streamed or n.name in names]


def _refused(snapshot: Snapshot, kind: str, error: ApiError, rules: List[Rule]) -> None:
    """Which checks did not run for want of `kind` (those that judge Jobs), and which ran without it."""
    reading = [r for r in rules if r.code in rules_reading(kind, rules)]
    skipped = [r.code for r in reading if JOB in r.judges and kind == JOBS]
    partial = [r.code for r in reading if r.code not in skipped]
    parts = ([f"{', '.join(skipped)} did not run"] if skipped else []) + \
        ([f"{', '.join(partial)} ran without them"] if partial else [])
    snapshot.notes.append(f"{kind} could not be read, so {'; '.join(parts)} ({error})")


def _read(snapshot: Snapshot, kind: str, rules: List[Rule], needed: bool, listing: Callable[[], Iterable]) -> list:
    """One LIST of `kind` when a selected pod needs it; a refusal becomes a note, not an error."""
    found: list = []
    try:
        found = list(listing()) if needed else []
    except ApiError as error:
        _refused(snapshot, kind, error, rules)
        return []
    snapshot.read.add(kind)
    return found
