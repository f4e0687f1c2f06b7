"""The judgement, in two passes over one snapshot. First every pod-scope rule runs once per pod; then the
Job-scope rules and the Job verdicts run once per Job, receiving the pods' findings as input. `status` and
`diagnose` both call judge(), so the same pod gets the same findings in both. A pod or Job whose judging
raises is reported as not judged and the others are judged normally (KUBECTL_SIDECARS_DEBUG re-raises)."""

from dataclasses import dataclass, field
from typing import Callable, Dict, Iterable, List, Optional, Tuple, TypeVar

from kubectl_sidecars.errors import DEBUG, debugging
from kubectl_sidecars.model import PodView
from kubectl_sidecars.model.objects import JobView, PodTemplateView
from kubectl_sidecars.rules import CATALOG
from kubectl_sidecars.rules.catalog import JOB, LIVE_POD, POD_TEMPLATE, Finding, Rule, severity_rank
from kubectl_sidecars.rules.jobs import PodFindings
from kubectl_sidecars.rules.verdict import JobVerdict, job_verdict
from kubectl_sidecars.snapshot import Snapshot

# A finding about a container makes these other findings about the same container redundant: the cause
# is reported, not its symptoms twice.
SUPERSEDES: Dict[str, Tuple[str, ...]] = {
    "sidecar-oomkilled": ("sidecar-crashloop", "sidecar-sigkilled"),
    "sidecar-liveness-killed": ("sidecar-crashloop", "sidecar-sigkilled"),
    "sidecar-startup-failed": ("sidecar-crashloop", "sidecar-not-ready"),
    "init-never-exits": ("init-before-sidecar",),
    "job-template-legacy-sidecar": ("legacy-sidecar",),
}
_POSITION = {code: index for index, code in enumerate(CATALOG)}


def _order(findings: Iterable[Finding], containers: Iterable = ()) -> List[Finding]:
    """Worst first, then in spec order of the container, then in catalog order."""
    position = {c.name: i for i, c in enumerate(containers)}
    return sorted(findings, key=lambda f: (-severity_rank(f.severity), position.get(f.container, len(position)),
                                           _POSITION.get(f.code, len(_POSITION))))


def _drop_superseded(findings: List[Finding]) -> List[Finding]:
    present = {(f.code, f.container) for f in findings}
    dropped = {(code, container) for (cause, container) in present for code in SUPERSEDES.get(cause, ())}
    return [f for f in findings if (f.code, f.container) not in dropped]


def _selected(rules: Optional[Iterable[Rule]], subject: str) -> List[Rule]:
    return [r for r in (CATALOG.values() if rules is None else rules) if subject in r.judges]


def pod_findings(pod: PodView, snapshot: Snapshot, rules: Optional[Iterable[Rule]] = None) -> List[Finding]:
    """Every live-pod finding for one pod, worst first."""
    found: List[Finding] = []
    for rule in _selected(rules, LIVE_POD):
        found.extend(rule.check(rule, pod, snapshot) or ())
    return _order(_drop_superseded(found), pod.containers)


def template_findings(template: PodTemplateView, snapshot: Snapshot,
                      rules: Optional[Iterable[Rule]] = None) -> List[Finding]:
    """The findings of the rules that judge a pod template (spec only), worst first."""
    found: List[Finding] = []
    for rule in _selected(rules, POD_TEMPLATE):
        found.extend(rule.check(rule, template, snapshot) or ())
    return _order(_drop_superseded(found), template.containers)


def job_findings(job: JobView, snapshot: Snapshot, found: PodFindings,
                 rules: Optional[Iterable[Rule]] = None) -> List[Finding]:
    """The Job-scope findings of one Job, given the findings of its pods."""
    return _order(f for rule in _selected(rules, JOB) for f in rule.check(rule, job, snapshot, found) or ())


def worst_severity(findings: Iterable[Finding]) -> Optional[str]:
    found = [f.severity for f in findings]
    return max(found, key=severity_rank) if found else None


@dataclass
class Diagnosis:
    verdicts: List[JobVerdict]
    pods: List[Tuple[PodView, List[Finding]]]
    notes: List[str] = field(default_factory=list)

    def findings(self) -> List[Finding]:
        """Every finding, of the Jobs and of the pods."""
        return [f for v in self.verdicts for f in v.findings] + [f for _, found in self.pods for f in found]

    def with_job_findings(self) -> List[Tuple[PodView, List[Finding]]]:
        """Each pod with its own findings and those of the Job that owns it (the `status` ISSUES column)."""
        by_job = {(v.namespace, v.name): v.findings for v in self.verdicts}
        return [(pod, found + (by_job.get((pod.namespace, pod.owner["name"]), [])
                               if (pod.owner or {}).get("kind") == "Job" else []))
                for pod, found in self.pods]


Result = TypeVar("Result")


def _isolated(what: str, work: Callable[[], Result], fallback: Result, notes: List[str], strict: bool) -> Result:
    """The one place where a failure to judge one object is contained: a note, and the others go on."""
    try:
        return work()
    except Exception as error:  # a bug met on one object must not hide the judgement of all the others
        if strict:
            raise
        notes.append(f"{what} was not judged: internal error ({type(error).__name__}); "
                     f"set {DEBUG}=1 for details")
        return fallback


def judge(snapshot: Snapshot, rules: Optional[Iterable[Rule]] = None, strict: Optional[bool] = None) -> Diagnosis:
    """Findings for every pod, then a verdict and Job-scope findings for every Job of the snapshot."""
    rules = None if rules is None else list(rules)
    strict = debugging() if strict is None else strict
    notes = list(snapshot.notes)
    rows = [(pod, [] if pod.unreadable else  # shown with why, never judged
             _isolated(f"pod {pod.namespace}/{pod.name}", lambda pod=pod: pod_findings(pod, snapshot, rules), [],
                       notes, strict))
            for pod in snapshot.pods]
    found: PodFindings = {(pod.namespace, pod.name): findings for pod, findings in rows}
    verdicts = []
    for job in snapshot.jobs:
        def verdict(job=job) -> JobVerdict:
            return job_verdict(job, snapshot, job_findings(job, snapshot, found, rules), found)
        judged = _isolated(f"Job {job.namespace}/{job.name}", verdict, None, notes, strict)
        if judged is not None:
            verdicts.append(judged)
    return Diagnosis(verdicts=verdicts, pods=rows, notes=notes)


def rules_reading(kind: str, rules: Optional[Iterable[Rule]] = None) -> List[str]:
    """The codes of the rules whose judgement rests on `kind`."""
    return [r.code for r in (CATALOG.values() if rules is None else rules) if kind in r.reads]
