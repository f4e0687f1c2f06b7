"""`lint`: pod templates judged before any pod runs. Manifests come from files (`helm template` and `kustomize
build` output included: the `# Source:` file helm writes above each document is kept) or from the workloads
of the cluster; every object holding a pod template is judged by the template-scope rules, and the spec of a
Job or CronJob by the Job-scope rules, with no status and no pods."""

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import partial
from typing import Iterable, Iterator, List, Optional, Tuple

from kubectl_sidecars.engine import isolated, job_findings, template_findings, worst_severity
from kubectl_sidecars.errors import ApiError, InputError, debugging
from kubectl_sidecars.files import expand_paths, flatten_objects, parse_documents, read_input
from kubectl_sidecars.kube.reader import RESOURCES, ServerError
from kubectl_sidecars.model.manifest import HELM_HOOK, build_manifest_template
from kubectl_sidecars.model.objects import JobView, build_job_view
from kubectl_sidecars.model.owners import controller_reference
from kubectl_sidecars.model.shape import KINDS, POD_TEMPLATE, ShapeError, problem, title
from kubectl_sidecars.rules.catalog import Finding
from kubectl_sidecars.selection import Selection
from kubectl_sidecars.snapshot import Snapshot

# What `lint` reads live: the kinds that hold the pod templates users write, each in one paged LIST.
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod")
# Of these, an object with a controller is made from its controller's template (a Deployment's ReplicaSets,
# a CronJob's Jobs, every controller's Pods), or by an operator from its own resource: it is judged there.
MADE_FROM_A_TEMPLATE = ("ReplicaSet", "Job", "Pod")
# A line that starts a YAML document (a block scalar cannot hold one at column 0), and the comment `helm
# template` writes after it naming the chart file the document was rendered from.
DOCUMENT_START = re.compile(r"^---(?=[ \t\r]|$)", re.M)
SOURCE_COMMENT = re.compile(r"^# Source: ([^\r\n]*\S)", re.M)


@dataclass(frozen=True)
class Manifest:
    obj: dict
    source: Optional[str] = None  # the input file or stdin, or the chart file helm named; None: the cluster
    line: Optional[int] = None    # where its document starts in `source` (None for a chart file or the cluster)


@dataclass
class LintedObject:
    kind: str
    namespace: str
    name: str
    source: Optional[str]
    line: Optional[int]
    hook: Optional[str]
    findings: List[Finding]


@dataclass
class LintResult:
    objects: List[LintedObject]
    kube_version: Optional[Tuple[int, int]]
    notes: List[str] = field(default_factory=list)

    def findings(self) -> List[Finding]:
        return [f for o in self.objects for f in o.findings]

    @property
    def worst(self) -> Optional[str]:
        return worst_severity(self.findings())


# --- reading -----------------------------------------------------------------------------------------------

def _pieces(text: str) -> Iterator[Tuple[str, int, Optional[str]]]:
    """The YAML stream cut at its document starts: (text, first line, helm's `# Source:` file or None).
    JSON has no document starts and stays whole."""
    if text.lstrip().startswith(("{", "[")):
        yield text, 1, None
        return
    starts = [0] + [m.start() for m in DOCUMENT_START.finditer(text) if m.start() > 0]
    line = 1
    for index, start in enumerate(starts):
        piece = text[start:starts[index + 1] if index + 1 < len(starts) else len(text)]
        comment = SOURCE_COMMENT.search(piece)
        yield piece, line, comment.group(1) if comment else None
        line += piece.count("\n")


def read_manifests(paths: Iterable[str]) -> Iterator[Manifest]:
    """Every object of the -f inputs with where it was written. The documents are read by files.py's loader
    (its safe YAML, alias budget, typed boundary and error words: a malformed input stops with exit 4)."""
    for path in expand_paths(paths):
        name = "stdin" if path == "-" else path
        for piece, line, chart_file in _pieces(read_input(path)):
            where = name if line == 1 else f"{name} (the document at line {line})"
            for document in parse_documents(piece, where):
                for obj in flatten_objects(document, where):
                    yield Manifest(obj, chart_file or name, None if chart_file else line)


def _key(obj: dict) -> Tuple[str, str, str]:
    metadata = obj.get("metadata") or {}
    return obj.get("kind") or "", metadata.get("namespace") or "", metadata.get("name") or ""


def without_owned(manifests: Iterable[Manifest]) -> List[Manifest]:
    """Input dumped from a cluster holds workloads and what their controllers made: an object made from the
    template of an owner the input also holds is judged once, at that owner."""
    manifests = list(manifests)
    present = {_key(m.obj) for m in manifests}
    kept = []
    for manifest in manifests:
        kind, namespace, _ = _key(manifest.obj)
        owner = controller_reference(manifest.obj.get("metadata") or {})
        if kind in MADE_FROM_A_TEMPLATE and owner and (owner["kind"], namespace, owner["name"]) in present:
            continue
        kept.append(manifest)
    return kept


def _status_of(error: ApiError) -> Optional[int]:
    return error.code if isinstance(error, ServerError) else None


def cluster_manifests(source, namespace: Optional[str], label_selector: Optional[str],
                      notes: List[str]) -> Iterator[Manifest]:
    """The workloads of the cluster, one paged LIST per kind; a kind that may not be listed (403) or is not
    served (404) is a note, and the other kinds are linted."""
    for kind in WORKLOADS:
        try:
            for obj in source.list(kind, namespace, label_selector):
                metadata = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
                if kind in MADE_FROM_A_TEMPLATE and controller_reference(metadata):
                    continue
                yield Manifest(obj)
        except ApiError as error:
            if _status_of(error) not in (403, 404):
                raise
            notes.append(f"{RESOURCES[kind][1]} could not be listed, so their pod templates were not checked "
                         f"({error})")


def in_namespace(manifests: Iterable[Manifest], selection: Selection, files: bool) -> Iterator[Manifest]:
    """The manifests the selection names. From files, an object without a namespace is in the one -n names,
    where `kubectl apply -n` would create it."""
    matches = Selection(None, (), selection.label_selector, selection.field_selector).matcher()
    for manifest in manifests:
        namespace = (manifest.obj.get("metadata") or {}).get("namespace")
        if files and selection.namespace is not None and namespace not in (None, "", selection.namespace):
            continue
        if matches(manifest.obj):
            yield manifest


# --- judging -----------------------------------------------------------------------------------------------

def pod_template(obj: dict) -> Optional[Tuple[dict, str]]:
    """The pod template an object holds and its path: a Pod's own spec, a PodTemplate's template,
    spec.jobTemplate.spec.template, or any spec.template with containers (Deployments, Argo Rollouts...)."""
    kind, spec = obj.get("kind"), obj.get("spec")
    if kind == "Pod":
        return {"metadata": obj.get("metadata") or {}, "spec": spec or {}}, ""
    if kind == "PodTemplate":
        return (obj["template"], "template") if isinstance(obj.get("template"), dict) else None
    if not isinstance(spec, dict):
        return None
    job = spec.get("jobTemplate")
    job_spec = job.get("spec") if isinstance(job, dict) else None
    if isinstance(job_spec, dict) and isinstance(job_spec.get("template"), dict):
        return job_spec["template"], "spec.jobTemplate.spec.template"
    template = spec.get("template")
    if isinstance(template, dict) and isinstance(template.get("spec"), dict) and "containers" in template["spec"]:
        return template, "spec.template"
    return None


def _template_problem(obj: dict, template: dict, path: str) -> Optional[ShapeError]:
    """The typed boundary for the template of a kind it does not know (its own kinds were checked whole)."""
    if obj.get("kind") in KINDS:
        return None
    try:
        POD_TEMPLATE(template)
    except ShapeError as error:
        error.segments.append("." + path)
        return error
    return None


def checked_template(manifest: Manifest, notes: List[str]) -> Optional[Tuple[dict, str]]:
    """The object's pod template and its path, once the object passed the typed boundary; None without a
    template. An object that fails it stops the run with exit 4 when it was read from a file (as -f does
    everywhere) and is a note when the cluster handed it over."""
    obj = manifest.obj
    found = problem(obj) if manifest.source is None else None  # files passed it where they were read
    held = pod_template(obj) if found is None else None
    if held is not None:
        found = _template_problem(obj, *held)
    if found is None:
        return held
    if manifest.source is not None:
        raise InputError(f"{manifest.source}: {title(obj)}: {found}")
    notes.append(f"{title(obj)} could not be read, so it was not checked: {found}")
    return None


def job_spec(obj: dict) -> Optional[JobView]:
    """The Job spec of a Job or CronJob without its status, for the Job-scope rules; None for other kinds."""
    metadata = obj.get("metadata") or {}
    if obj.get("kind") == "Job":
        return build_job_view({"metadata": metadata, "spec": obj.get("spec") or {}})
    if obj.get("kind") == "CronJob":
        owner = {"kind": "CronJob", "name": metadata.get("name") or "", "controller": True}
        return build_job_view({"metadata": {"namespace": metadata.get("namespace"), "name": metadata.get("name"),
                                            "ownerReferences": [owner]},
                               "spec": ((obj.get("spec") or {}).get("jobTemplate") or {}).get("spec") or {}})
    return None


def _judged(obj: dict, template: dict, path: str, hook: Optional[str], kube_version: Optional[Tuple[int, int]],
            snapshot: Snapshot) -> List[Finding]:
    metadata = obj.get("metadata") or {}
    view = build_manifest_template(obj.get("kind") or "", metadata.get("namespace") or "", metadata.get("name") or "",
                                   template, path, hook, kube_version)
    job = job_spec(obj)
    return template_findings(view, snapshot) + (job_findings(job, snapshot, {}) if job is not None else [])


def lint_manifests(manifests: Iterable[Manifest], kube_version: Optional[Tuple[int, int]] = None,
                   notes: Optional[List[str]] = None, strict: Optional[bool] = None) -> LintResult:
    """Each object holding a pod template, with its findings worst first (checked_template says what happens to
    one that fails the typed boundary); an object whose judging raises is a note, and the others are judged."""
    strict = debugging() if strict is None else strict
    result = LintResult([], kube_version, [] if notes is None else notes)  # the reader adds notes as it goes
    snapshot = Snapshot(now=datetime.now(timezone.utc), read=set())
    for manifest in manifests:
        obj = manifest.obj
        held = checked_template(manifest, result.notes)
        if held is None:
            continue
        kind, namespace, name = _key(obj)
        hook = (obj["metadata"].get("annotations") or {}).get(HELM_HOOK)
        findings = isolated(f"{kind} {namespace}/{name}" if namespace else f"{kind} {name}",
                             partial(_judged, obj, *held, hook, kube_version, snapshot), [], result.notes, strict)
        result.objects.append(LintedObject(kind, namespace, name, manifest.source, manifest.line, hook, findings))
    return result
