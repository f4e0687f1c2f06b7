"""Where a Job stands, and one sentence on why it is not done (or that it is): judged from the Job, its
Job-scope findings and the findings of its pods, all computed before."""

from dataclasses import dataclass, field
from typing import List

from kubectl_sidecars.model import PodView
from kubectl_sidecars.model.objects import JobView
from kubectl_sidecars.model.timeutil import seconds_between
from kubectl_sidecars.rules.catalog import CATALOG, ERROR, Finding
from kubectl_sidecars.rules.common import apps_done, ended, named, took
from kubectl_sidecars.rules.jobs import PodFindings
from kubectl_sidecars.snapshot import Snapshot


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


def job_verdict(job: JobView, snapshot: Snapshot, job_findings: List[Finding],
                pod_findings: PodFindings) -> JobVerdict:
    """Where one Job stands, and one sentence on why it is not done (or that it is)."""
    names = [c.type for c in job.conditions]
    done = "Complete" in names or "Failed" in names
    if "Complete" in names:
        word = "Complete"
        duration = seconds_between(job.started, job.completed)
        reason = (f"The Job completed: {job.succeeded} pod(s) succeeded"
                  + (f" in {took(duration)}" if duration is not None else "") + ".")
    elif "Failed" in names:
        word = "Failed"
        culprits = [f.container for f in job_findings if f.code == "job-failed-by-sidecar" and f.container]
        reason = f"The Job failed ({job.condition('Failed').text or 'no reason given'})"
        reason += (f", because of sidecar {', '.join(culprits)}." if culprits else ".")
    elif job.suspended:
        word = "Suspended"
        reason = "The Job is suspended (spec.suspend: true): it runs no pods until it is resumed."
    elif "FailureTarget" in names:
        word = "Failing"
        reason = (f"The Job is failing ({job.condition('FailureTarget').text}): its remaining pods are being "
                  "terminated.")
    elif "SuccessCriteriaMet" in names:
        word = "Completing"
        reason = "The Job met its success criteria: its remaining pods are being terminated."
    else:
        word = "Running" if job.active else "Pending"
        reason = _why_not_done(job, snapshot, pod_findings)
    return JobVerdict(namespace=job.namespace, name=job.name, completions=job.completions_column,
                      active=job.active, succeeded=job.succeeded, failed=job.failed,
                      conditions=[n for n in names if n], done=done, status=word, reason=reason,
                      findings=job_findings)


# Pod findings that explain why a Job is not done, most decisive first.
BLOCKERS = ("job-blocked-by-legacy-sidecar", "init-never-exits", "sidecar-startup-failed",
            "native-sidecars-unsupported", "stuck-terminating", "app-started-before-sidecar-ready",
            "sidecar-crashloop", "sidecar-oomkilled")


def _why_not_done(job: JobView, snapshot: Snapshot, pod_findings: PodFindings) -> str:
    live = [p for p in snapshot.pods_of_job(job) if not ended(p)]
    found = {p.name: pod_findings.get((p.namespace, p.name), []) for p in live}
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
            limit = job.backoff_limit
            return (f"Not done yet: an app container of pod {pod.name} failed; once its sidecars are stopped "
                    f"the pod fails and the Job retries ({job.failed} of "
                    f"backoffLimit {6 if limit is None else limit} failures used).")
    if live:
        pod = live[0]
        more = f" (and {len(live) - 1} more)" if len(live) > 1 else ""
        return f"The Job is running: pod {pod.name}{more} is {pod.status} (READY {pod.ready})."
    failed_create = [e for e in snapshot.events_about("Job", job.namespace, job.name) if e.reason == "FailedCreate"]
    if failed_create:
        return f"The Job controller cannot create its pods: {failed_create[-1].message}"
    if job.active:
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
            return (f"Never done: in pod {name}, app container {named(map(_quoted, failed))} failed and legacy "
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
