"""The judgement, in two passes over one snapshot. First every pod-scope rule runs once per pod; then the
Job-scope rules and the Job verdicts run once per Job, receiving the pods' findings as input. `status` and
`diagnose` both call judge(), so the same pod gets the same findings in both. A pod or Job whose judging
raises is reported as not judged and the others are judged normally (KUBECTL_SIDECARS_DEBUG re-raises)."""

import dataclasses
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterable, Iterator, List, Optional, Set, Tuple, TypeVar

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
    findings = list(findings)
    if len(findings) < 2:
        return findings
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
    return _pod_findings(pod, snapshot, _selected(rules, LIVE_POD))


def _pod_findings(pod: PodView, snapshot: Snapshot, selected: List[Rule]) -> List[Finding]:
    found: List[Finding] = []
    for rule in selected:
        if rule.when is None or rule.when(pod):
            found.extend(rule.check(rule, pod, snapshot) or ())
    return _order(_drop_superseded(found) if len(found) > 1 else found, pod.containers)


def template_findings(template: PodTemplateView, snapshot: Snapshot,
                      rules: Optional[Iterable[Rule]] = None) -> List[Finding]:
    """The findings of the rules that judge a pod template (spec only), worst first."""
    found: List[Finding] = []
    for rule in _selected(rules, POD_TEMPLATE):
        if rule.when is None or rule.when(template):
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
    """A whole judgement at once: what tests and small selections use; commands stream a Judgement."""
    verdicts: List[JobVerdict]
    pods: List[Tuple[PodView, List[Finding]]]
    notes: List[str] = field(default_factory=list)

    def findings(self) -> List[Finding]:
        """Every finding, of the Jobs and of the pods."""
        return [f for v in self.verdicts for f in v.findings] + [f for _, found in self.pods for f in found]


def job_key(pod: PodView) -> Optional[Tuple[str, str]]:
    """(namespace, name) of the Job that owns the pod, or None."""
    owner = pod.owner
    return (pod.namespace, owner["name"]) if owner and owner.get("kind") == "Job" else None


Result = TypeVar("Result")


def isolated(what: str, work: Callable[[], Result], fallback: Result, notes: List[str], strict: bool) -> Result:
    """The one place where a failure to judge one object is contained: a note, and the others go on."""
    try:
        return work()
    except Exception as error:  # a bug met on one object must not hide the judgement of all the others
        if strict:
            raise
        notes.append(f"{what} was not judged: internal error ({type(error).__name__}); "
                     f"set {DEBUG}=1 for details")
        return fallback


class Judgement:
    """The two passes over a stream of pods. pods() judges each pod as it comes and hands it on, so a command
    can print it and let it go; only the pods of the snapshot's Jobs, and their findings, are kept for the
    second pass, verdicts(), which judges the Jobs once every pod has been seen."""

    def __init__(self, snapshot: Snapshot, rules: Optional[Iterable[Rule]] = None, strict: Optional[bool] = None):
        self.snapshot = snapshot
        self.rules = None if rules is None else list(rules)
        self._pod_rules = _selected(self.rules, LIVE_POD)
        self.strict = debugging() if strict is None else strict
        self.notes = list(snapshot.notes)
        self.found: Dict[Tuple[str, str], List[Finding]] = {}  # of the pods kept for the Job pass
        self._job_pods: List[PodView] = []
        self._owners: Set[Tuple[str, str]] = set()
        self._verdicts: Optional[List[JobVerdict]] = None
        self._by_job: Dict[Tuple[str, str], List[Finding]] = {}
        self._worst: Optional[str] = None

    def pods(self, pods: Iterable[PodView]) -> Iterator[Tuple[PodView, List[Finding]]]:
        for pod in pods:
            findings: List[Finding] = [] if pod.unreadable else isolated(  # shown with why, never judged
                f"pod {pod.namespace}/{pod.name}", lambda pod=pod: _pod_findings(pod, self.snapshot, self._pod_rules),
                [], self.notes, self.strict)
            self._note_worst(findings)
            owner = job_key(pod)
            if owner is not None and self.snapshot.job(*owner) is not None:
                self._owners.add(owner)
                self._job_pods.append(pod)
                self.found[(pod.namespace, pod.name)] = findings
            yield pod, findings

    def verdicts(self) -> List[JobVerdict]:
        """A verdict and Job-scope findings for every Job the snapshot targets or that owns a judged pod."""
        if self._verdicts is not None:
            return self._verdicts
        snapshot = dataclasses.replace(self.snapshot, pods=self._job_pods)
        targets = self.snapshot.targets
        self._verdicts = []
        for job in snapshot.jobs:
            if targets is not None and (job.namespace, job.name) not in targets | self._owners:
                continue

            def verdict(job=job) -> JobVerdict:
                return job_verdict(job, snapshot, job_findings(job, snapshot, self.found, self.rules), self.found)
            judged = isolated(f"Job {job.namespace}/{job.name}", verdict, None, self.notes, self.strict)
            if judged is not None:
                self._verdicts.append(judged)
                self._by_job[(judged.namespace, judged.name)] = judged.findings
        return self._verdicts

    def _note_worst(self, findings: List[Finding]) -> None:
        found = worst_severity(findings)
        if found and (self._worst is None or severity_rank(found) > severity_rank(self._worst)):
            self._worst = found

    def worst(self) -> Optional[str]:
        """The worst severity found, of the pods and (judging them if not yet done) of the Jobs."""
        for verdict in self.verdicts():
            self._note_worst(verdict.findings)
        return self._worst

    def kept(self, pod: PodView) -> bool:
        """Whether the pod waits for its Job's verdict (its findings are completed by the Job's)."""
        return (pod.namespace, pod.name) in self.found

    def job_findings_of(self, pod: PodView) -> List[Finding]:
        """The findings of the Job that owns the pod (after verdicts())."""
        self.verdicts()
        return self._by_job.get(job_key(pod), [])


def judge(snapshot: Snapshot, rules: Optional[Iterable[Rule]] = None, strict: Optional[bool] = None) -> Diagnosis:
    """Findings for every pod, then a verdict and Job-scope findings for every Job of the snapshot."""
    judgement = Judgement(snapshot, rules, strict)
    rows = list(judgement.pods(snapshot.pods))
    verdicts = judgement.verdicts()
    return Diagnosis(verdicts=verdicts, pods=rows, notes=judgement.notes)


def rules_reading(kind: str, rules: Optional[Iterable[Rule]] = None) -> List[str]:
    """The codes of the rules whose judgement rests on `kind`."""
    return [r.code for r in (CATALOG.values() if rules is None else rules) if kind in r.reads]
