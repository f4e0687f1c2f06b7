"""The diagnosis: every rule of the catalog run over pods and Jobs, a verdict per Job, and the texts of
`explain` and of the README's catalog table. Rule families live in the modules imported below."""

from dataclasses import dataclass, field
from typing import Callable, Dict, Iterable, List, Optional, Tuple

from kubectl_sidecars.model import PodView
from kubectl_sidecars.model.timeutil import parse_time
from kubectl_sidecars.rules.catalog import CATALOG, ERROR, JOB, POD, Finding, Rule, rules_of, severity_rank
from kubectl_sidecars.snapshot import Snapshot

# Importing the families registers their rules.
from kubectl_sidecars.rules import exits, init, jobs, migration, startup, termination, versions
from kubectl_sidecars.rules.common import apps_done, ended, seconds, took
from kubectl_sidecars.rules.jobs import true_conditions

FAMILIES = (jobs, startup, exits, init, versions, termination, migration)

# The catalog in the order of the issue that defined it (README table, `explain` listing).
CATALOG_ORDER = (
    "job-blocked-by-legacy-sidecar", "app-started-before-sidecar-ready", "sidecar-sigkilled", "sidecar-oomkilled",
    "sidecar-liveness-killed", "sidecar-crashloop", "sidecar-startup-failed", "sidecar-not-ready",
    "no-startup-probe", "init-never-exits", "native-sidecars-unsupported", "pod-failure-policy-matches-sidecar",
    "init-before-sidecar", "stuck-terminating", "legacy-sidecar", "legacy-workaround", "job-failed-by-sidecar",
)
_registered = list(CATALOG.items())
CATALOG.clear()
CATALOG.update(sorted(_registered, key=lambda item: (CATALOG_ORDER.index(item[0]) if item[0] in CATALOG_ORDER
                                                     else len(CATALOG_ORDER))))

__all__ = ["CATALOG", "Diagnosis", "Finding", "JobVerdict", "Rule", "catalog_markdown", "diagnose", "explain",
           "job_verdict", "pod_findings", "worst_severity"]

# A finding about a container makes these other findings about the same container redundant: the cause
# is reported, not its symptoms twice.
SUPERSEDES: Dict[str, Tuple[str, ...]] = {
    "sidecar-oomkilled": ("sidecar-crashloop", "sidecar-sigkilled"),
    "sidecar-liveness-killed": ("sidecar-crashloop", "sidecar-sigkilled"),
    "sidecar-startup-failed": ("sidecar-crashloop", "sidecar-not-ready"),
    "init-never-exits": ("init-before-sidecar",),
}


def _order(findings: Iterable[Finding], pod: Optional[PodView] = None) -> List[Finding]:
    position = {c.name: i for i, c in enumerate(pod.containers)} if pod else {}
    codes = list(CATALOG)
    return sorted(findings, key=lambda f: (-severity_rank(f.severity), position.get(f.container, len(position)),
                                           codes.index(f.code) if f.code in codes else len(codes)))


def _drop_superseded(findings: List[Finding]) -> List[Finding]:
    present = {(f.code, f.container) for f in findings}
    dropped = {(code, container) for (cause, container) in present for code in SUPERSEDES.get(cause, ())}
    return [f for f in findings if (f.code, f.container) not in dropped]


def pod_findings(pod: PodView, snapshot: Snapshot) -> List[Finding]:
    """Every pod-scope finding for one pod, worst first."""
    found: List[Finding] = []
    for rule in rules_of(POD):
        found.extend(rule.check(rule, pod, snapshot) or ())
    return _order(_drop_superseded(found), pod)


def worst_severity(findings: Iterable[Finding]) -> Optional[str]:
    found = [f.severity for f in findings]
    return max(found, key=severity_rank) if found else None


# --- Job verdicts -------------------------------------------------------------------------------------

@dataclass
class JobVerdict:
    namespace: str
    name: str
    completions: str
    active: int
    succeeded: int
    failed: int
    conditions: List[str]
    done: bool
    status: str
    reason: str
    findings: List[Finding] = field(default_factory=list)


def completions_column(job: dict) -> str:
    """kubectl's COMPLETIONS column."""
    spec, status = job.get("spec") or {}, job.get("status") or {}
    succeeded = status.get("succeeded") or 0
    if spec.get("completions") is not None:
        return f"{succeeded}/{spec['completions']}"
    parallelism = spec.get("parallelism") or 0
    return f"{succeeded}/1 of {parallelism}" if parallelism > 1 else f"{succeeded}/1"


def _condition_text(condition: dict) -> str:
    parts = [condition.get("reason"), condition.get("message")]
    return ": ".join(p for p in parts if p)


FindingsOf = Callable[[PodView], List[Finding]]


def job_verdict(job: dict, snapshot: Snapshot, findings_of: Optional[FindingsOf] = None) -> JobVerdict:
    """Where one Job stands, and one sentence on why it is not done (or that it is)."""
    findings_of = findings_of or (lambda pod: pod_findings(pod, snapshot))
    metadata, spec, status = job.get("metadata") or {}, job.get("spec") or {}, job.get("status") or {}
    conditions = true_conditions(job)
    names = [c.get("type") for c in conditions]
    job_findings: List[Finding] = []
    for rule in rules_of(JOB):
        job_findings.extend(rule.check(rule, job, snapshot) or ())
    job_findings = _order(job_findings)
    active, succeeded, failed = status.get("active") or 0, status.get("succeeded") or 0, status.get("failed") or 0
    pods = snapshot.pods_of_job(job)
    done = "Complete" in names or "Failed" in names
    if "Complete" in names:
        word = "Complete"
        duration = seconds(parse_time(status.get("startTime")), parse_time(status.get("completionTime")))
        reason = (f"The Job completed: {succeeded} pod(s) succeeded"
                  + (f" in {took(duration)}" if duration is not None else "") + ".")
    elif "Failed" in names:
        word = "Failed"
        condition = next(c for c in conditions if c.get("type") == "Failed")
        culprits = [f.container for f in job_findings if f.code == "job-failed-by-sidecar" and f.container]
        reason = f"The Job failed ({_condition_text(condition) or 'no reason given'})"
        reason += (f", because of sidecar {', '.join(culprits)}." if culprits else ".")
    elif spec.get("suspend"):
        word = "Suspended"
        reason = "The Job is suspended (spec.suspend: true): it runs no pods until it is resumed."
    elif "FailureTarget" in names:
        word = "Failing"
        condition = next(c for c in conditions if c.get("type") == "FailureTarget")
        reason = f"The Job is failing ({_condition_text(condition)}): its remaining pods are being terminated."
    elif "SuccessCriteriaMet" in names:
        word = "Completing"
        reason = "The Job met its success criteria: its remaining pods are being terminated."
    else:
        word = "Running" if active else "Pending"
        reason = _why_not_done(job, pods, snapshot, findings_of)
    return JobVerdict(namespace=metadata.get("namespace") or "", name=metadata.get("name") or "",
                      completions=completions_column(job), active=active, succeeded=succeeded, failed=failed,
                      conditions=[n for n in names if n], done=done, status=word, reason=reason,
                      findings=job_findings)


# Pod findings that explain why a Job is not done, most decisive first.
BLOCKERS = ("job-blocked-by-legacy-sidecar", "init-never-exits", "sidecar-startup-failed",
            "native-sidecars-unsupported", "stuck-terminating", "app-started-before-sidecar-ready",
            "sidecar-crashloop", "sidecar-oomkilled")


def _why_not_done(job: dict, pods: List[PodView], snapshot: Snapshot, findings_of: FindingsOf) -> str:
    live = [p for p in pods if not ended(p)]
    found = {p.name: findings_of(p) for p in live}
    # Errors first: an early warning (a helper still running seconds after the app) or a slow init step
    # explains less than a sure blocker elsewhere.
    for serious in (True, False):
        for code in BLOCKERS:
            for pod in live:
                finding = next((f for f in found[pod.name] if f.code == code
                                and (f.severity == ERROR) == serious), None)
                if finding is None:
                    continue
                return _blocked_sentence(code, pod, finding)
    for pod in live:
        if apps_done(pod) and not pod.legacy_sidecars:
            if all(a.exit_code == 0 for a in pod.apps):
                return (f"Not done yet: the app containers of pod {pod.name} finished; the kubelet is stopping "
                        "its sidecars, then the pod completes.")
            limit = (job.get("spec") or {}).get("backoffLimit")
            return (f"Not done yet: an app container of pod {pod.name} failed; once its sidecars are stopped "
                    f"the pod fails and the Job retries ({(job.get('status') or {}).get('failed') or 0} of "
                    f"backoffLimit {6 if limit is None else limit} failures used).")
    if live:
        pod = live[0]
        more = f" (and {len(live) - 1} more)" if len(live) > 1 else ""
        return f"The Job is running: pod {pod.name}{more} is {pod.status} (READY {pod.ready})."
    meta = job.get("metadata") or {}
    failed_create = [e for e in snapshot.events_about("Job", meta.get("namespace") or "", meta.get("name") or "")
                     if e.get("reason") == "FailedCreate"]
    if failed_create:
        return f"The Job controller cannot create its pods: {failed_create[-1].get('message') or ''}"
    if (job.get("status") or {}).get("active"):
        return "The Job has active pods, but none of them was read."
    return "The Job has no active pods yet."


def _quoted(name: str) -> str:
    """Names in double quotes, as kubectl writes them: a container may well be called "sidecar"."""
    return f'"{name}"'


def _blocked_sentence(code: str, pod: PodView, finding: Finding) -> str:
    name, container = pod.name, _quoted(finding.container or "")
    if code == "job-blocked-by-legacy-sidecar" and finding.severity != ERROR:
        return (f"Not done yet: in pod {name}, every app container finished but {container} is still running; "
                "if it never exits, the pod and the Job never finish.")
    if code == "init-never-exits" and finding.severity != ERROR:
        return (f"Not done yet: pod {name} is still in {pod.status}: init container {container} is still "
                "running, so the app containers have not started.")
    if code == "job-blocked-by-legacy-sidecar":
        failed = [a.name for a in pod.apps if a.exit_code]
        if failed:
            return (f"Never done: in pod {name}, app container {', '.join(map(_quoted, failed))} failed and legacy "
                    f"sidecar {container} keeps the pod running, so the Job can neither retry nor finish.")
        return (f"Never done: in pod {name}, every app container finished but legacy sidecar {container} is still "
                "running, so the pod and the Job can never finish.")
    if code == "init-never-exits":
        return (f"Not done: pod {name} is stuck in {pod.status}: init container {container} never exits, so "
                "the app containers never start.")
    if code == "sidecar-startup-failed":
        return (f"Not done: pod {name} is stuck in {pod.status}: sidecar {container} never started, so the "
                "app containers cannot start.")
    if code == "native-sidecars-unsupported":
        return f"Not done: pod {name} is on a node whose kubelet cannot run its native sidecars."
    if code == "stuck-terminating":
        return f"Not done: pod {name} is stuck Terminating with sidecar {container} still running."
    if code == "app-started-before-sidecar-ready":
        return (f"Not done: in pod {name}, app container {container} failed at start-up before its sidecar "
                "served.")
    return f"Not done: pod {name} is {pod.status}: {CATALOG[code].title[0].lower()}{CATALOG[code].title[1:]}."


# --- the whole diagnosis ------------------------------------------------------------------------------

@dataclass
class Diagnosis:
    verdicts: List[JobVerdict]
    pods: List[Tuple[PodView, List[Finding]]]
    notes: List[str] = field(default_factory=list)

    def findings(self) -> List[Finding]:
        """Every finding, of the Jobs and of the pods."""
        return [f for v in self.verdicts for f in v.findings] + [f for _, found in self.pods for f in found]


def diagnose(snapshot: Snapshot, jobs: List[dict]) -> Diagnosis:
    """Verdicts for `jobs` (a CronJob's recent Jobs, one Job, or none) and findings for every pod."""
    cache: Dict[int, List[Finding]] = {}

    def findings_of(pod: PodView) -> List[Finding]:
        if id(pod) not in cache:
            cache[id(pod)] = [] if pod.unreadable else pod_findings(pod, snapshot)
        return cache[id(pod)]

    rows = [(pod, findings_of(pod)) for pod in snapshot.pods]
    verdicts = [job_verdict(job, snapshot, findings_of) for job in jobs]
    return Diagnosis(verdicts=verdicts, pods=rows, notes=list(snapshot.notes))


# --- texts --------------------------------------------------------------------------------------------

def explain(code: str) -> str:
    """The full text of one catalog entry; KeyError for an unknown code."""
    rule = CATALOG[code]
    scope = "Job" if rule.scope == JOB else "pod"
    return (f"{rule.code} ({rule.severity}, about a {scope})\n{rule.title}\n\n"
            f"What it means:\n{rule.explanation}\n\nHow to fix it:\n{rule.remedy}\n")


def catalog_markdown() -> str:
    """The catalog as the README's Markdown table: code | severity | when."""
    lines = ["| code | severity | when |", "|---|---|---|"]
    for rule in CATALOG.values():
        title = rule.title.replace("|", "\\|")
        lines.append(f"| `{rule.code}` | {rule.severity} | {title} |")
    return "\n".join(lines)
