"""Jobs held back or failed by sidecars: the legacy sidecar that never exits, podFailurePolicy rules that
match a sidecar's exit code, and Jobs that failed because of a sidecar."""

import re
from typing import Dict, List, Mapping, Optional, Tuple

from kubectl_sidecars.model import ContainerView, PodView
from kubectl_sidecars.model.classify import SELF_ENDING_OWNERS, evidence_rank
from kubectl_sidecars.model.objects import JobView
from kubectl_sidecars.model.timeutil import seconds_between
from kubectl_sidecars.rules.catalog import (
    ERROR,
    JOB,
    JOBS,
    PODS,
    WARNING,
    Finding,
    Fix,
    Patch,
    Target,
    rule,
    with_legacy_sidecars,
)
from kubectl_sidecars.rules.common import (
    END_OF_POD_EXIT_CODES,
    app_failed,
    apps_done,
    ended,
    last_app_finish,
    named,
    state_line,
    took,
    when,
)
from kubectl_sidecars.rules.migration import POD_BUILDERS, migration_remedy, workarounds
from kubectl_sidecars.rules.unblock import unblock_text
from kubectl_sidecars.snapshot import Snapshot

# Pod findings by (namespace, pod name): what the first pass found, handed to the Job rules.
PodFindings = Mapping[Tuple[str, str], List[Finding]]

# A workaround that stops the helper (quitquitquit...) gets this long to work before the pod counts as stuck;
# so does any legacy sidecar: the pod is not called stuck before max(this, its grace period).
WORKAROUND_GRACE = 60
# Evidence of a helper that rests on how the pod is built or behaves rather than on what the container is:
# it may well be a second worker still busy, or an executor (Argo's `wait`) finishing its job.
WEAK_EVIDENCE = ("not the pod's main", "still running")
# Such a container is reported (as a warning only) once it outlived the app by this long.
WEAK_LINGER = 600


def weak_evidence(container: ContainerView) -> bool:
    return (container.evidence or "").startswith(WEAK_EVIDENCE)


# Controllers that end their own pods: owner kind -> the controller's name.
SELF_ENDING_CONTROLLERS = dict(POD_BUILDERS, EphemeralRunner="Actions Runner Controller",
                               Runner="Actions Runner Controller")
# Such a controller stops the pod's helpers within seconds of the step's end (Argo's wait container signals
# them, Tekton's entrypoint ends the step): a helper still running after this long was not stopped (warning),
# and after the longer one the pod is stuck like a Job pod (error).
SELF_ENDING_LINGER = 300
SELF_ENDING_STUCK = 1800


def self_ending_controller(pod: PodView) -> Optional[str]:
    """Argo, Tekton and Actions runners watch their pods' containers and end the pods themselves; other
    controllers (Job, PyTorchJob, SparkApplication...) wait for the pod to finish, like the Job controller."""
    kind = (pod.owner or {}).get("kind")
    return SELF_ENDING_CONTROLLERS.get(kind, kind) if kind in SELF_ENDING_OWNERS else None


def blocking_sidecars(pod: PodView) -> List[ContainerView]:
    """Legacy sidecars that keep a finished run-to-completion pod alive, strongest evidence first."""
    if not pod.runs_to_completion or pod.deleted or ended(pod) or not apps_done(pod):
        return []
    alive = [c for c in pod.legacy_sidecars if c.state != "terminated"]
    return sorted(alive, key=lambda c: (evidence_rank(c.evidence), c.index))


def _minutes(value: float) -> str:
    return f"{int(value // 60)} min"


@rule("job-blocked-by-legacy-sidecar", ERROR,
      title="A legacy sidecar keeps a finished Job pod running: the pod and its Job can never finish",
      explanation="""
In a run-to-completion pod (a Job's, or a bare pod with restartPolicy Never/OnFailure) every app container
has terminated, but a helper in spec.containers (a legacy sidecar) is still running. Kubernetes treats that
helper as an app container, so the pod stays in phase Running (kubectl: READY 1/2, STATUS NotReady, or Error
when the app failed), and the Job controller, which works from pod phase, keeps the Job active forever
(COMPLETIONS 0/1): it neither completes nor, with restartPolicy Never, retries a failed app. Proxies and
agents never exit on their own. Reported as a warning while the app finished less than a minute (or the
pod's grace period) ago, and when the container is taken for a helper only from how the pod is built or
behaves (then after ten minutes). Pods of controllers that end their pods themselves (Argo Workflows, Tekton,
Actions runners) are reported only when the helper is still running five minutes after the app containers
ended, well past the moment the controller stops it (a warning; an error after half an hour): the controller
did not manage to, and the pod is stuck just the same.""",
      remedy="""
Make the helper a native sidecar (initContainers entry with restartPolicy: Always, Kubernetes >= 1.29): the
kubelet stops it once the app containers exited and the pod completes. To let the stuck run finish now, make
the helper exit 0 through its own endpoint: Istio `kubectl exec POD -c istio-proxy -- pilot-agent request
--debug-port 15020 POST quitquitquit`; Linkerd a POST to localhost:4191/shutdown from inside the pod (an
ephemeral container: kubectl debug), when the pod enables it (config.linkerd.io/proxy-admin-shutdown:
enabled); Cloud SQL Proxy v2 started with --quitquitquit, a POST to localhost:9091/quitquitquit (or its
--admin-port). An exit other than 0 makes the pod Failed, which with restartPolicy Never counts against the
Job's backoffLimit. Deleting the pod throws the run away: the Job counts a failure and starts a new pod
that hangs the same way.""", when=with_legacy_sidecars)
def job_blocked(rule, pod: PodView, snapshot: Snapshot):
    blocking = blocking_sidecars(pod)
    if not blocking:
        return
    last_app, finished = last_app_finish(pod)
    since = seconds_between(finished, snapshot.now)
    controller = self_ending_controller(pod)
    if controller and (since is None or since < SELF_ENDING_LINGER or any(weak_evidence(c) for c in blocking)):
        # The controller stops the helpers itself and is given the time to; a container of its own still
        # running (Argo's wait, next to the `main` the default-container annotation names) is it at work.
        return
    settle = max(WORKAROUND_GRACE, pod.grace_period)
    settled = since is not None and since >= settle
    stoppers = [w for app in pod.apps for w in workarounds(app, ("shutdown",))]
    stoppers += [w for c in blocking for w in workarounds(c, ("shutdown",)) if w not in stoppers]
    if stoppers and not settled:
        return  # the app told the helper to exit, or the helper waits for a sign; give it a moment
    main = blocking[0]
    weak = weak_evidence(main)  # the strongest one is weak: so are the others
    if weak and (since is None or since < WEAK_LINGER):
        return  # a worker still busy looks just the same
    failed = [a for a in pod.apps if app_failed(a)]
    evidence = [state_line(a, snapshot.now) for a in pod.apps]
    evidence += [state_line(c, snapshot.now) for c in blocking]
    evidence.append((f"pod phase {pod.phase}, kubectl {pod.ready} {pod.status}"
                      + (f", {took(since)} after the last app container finished" if since is not None else "")))
    if stoppers:
        evidence.append("workarounds in use: " + "; ".join(stoppers) + f", yet {main.name} is still running")
    owner = pod.owner or {}
    job = f"Job {owner.get('name')}" if owner.get("kind") == "Job" else None
    others = [c.name for c in blocking[1:]]
    alive = "still running" if all(c.state == "running" for c in blocking) else "not finished"
    also = (f", and so {'is' if len(others) == 1 else 'are'} {named(others)}" if others else "")
    counted = "them as app containers" if others else "it as an app container"
    severity = None
    if controller:
        severity = WARNING if since < SELF_ENDING_STUCK else None
        message = (f"{main.name} (a legacy sidecar: {main.evidence}) is still running {took(since)} after the "
                   f"app containers ended{also}: {controller}, which owns this pod ({owner.get('kind')} "
                   f"{owner.get('name')}), stops the pod's helpers itself within seconds of the step's end and "
                   "did not manage to here, so the pod stays Running and the step never finishes.")
    elif weak:
        severity = WARNING
        ends = f"the pod and {job} never finish" if job else "the pod never finishes"
        message = (f"{main.name} is still running {_minutes(since)} after the app finished"
                   + (f" ({last_app.name} ended at {when(finished)})" if last_app else "") + also
                   + f". It is taken for a helper only because it is {main.evidence}: if it is one, it never "
                   f"exits by itself and {ends}; if it is a worker still busy, this is no problem.")
    elif not settled:
        severity = WARNING
        ends = f"{job} never finishes" if job else "never finishes"
        message = (f"{main.name} (a legacy sidecar: {main.evidence}) is still running "
                   f"{took(since) if since is not None else 'some time'} after the app finished{also}: "
                   f"Kubernetes counts {counted} and helpers do not exit by themselves, so unless "
                   f"{'they exit' if others else 'it exits'} soon the pod stays Running and {ends}.")
    else:
        message = (f"Every app container has finished, but {main.name} (a legacy sidecar: {main.evidence}) "
                   + (f"and {named(others)} " if others else "")
                   + f"{'are' if others else 'is'} {alive}: Kubernetes counts {counted}, so the pod stays Running "
                   f"and {f'{job} can never finish' if job else 'can never finish'}")
        if failed and pod.restart_policy == "Never":
            message += (f"; {named(a.name for a in failed)} failed, and since the pod never ends the Job "
                        "cannot retry it either")
        message += "."

    def remedy() -> Fix:
        fix = migration_remedy(main, pod, snapshot)
        text = fix.text
        if others:
            text += f"\nDo the same for {named(others)}."
        if weak:
            text = (f"If {main.name} is a helper: " + text[0].lower() + text[1:]
                    + "\nIf it is a worker that is still busy, nothing needs fixing.")
        if controller:
            text += (f"\nSee why {controller} did not stop it: its controller's log, and the pod's own executor "
                     f"(kubectl logs {pod.name} -n {pod.namespace} --all-containers).")
        return Fix(text + "\n" + unblock_text(main, pod), fix.patches)
    yield rule.finding(main.name, message, remedy, evidence, severity=severity)


# --- Job scope --------------------------------------------------------------------------------------

def _observed_sidecar_codes(job: JobView, snapshot: Snapshot, sidecars: List[str]) -> Dict[int, List[str]]:
    """Non-zero exit codes the Job's sidecars ended with, now or in their last run: code -> pod names."""
    wanted = set(sidecars)
    codes: Dict[int, List[str]] = {}
    for pod in snapshot.pods_of_job(job):
        for container in pod.all_sidecars:
            if container.name not in wanted:
                continue
            for term in (container.terminated, container.last_terminated):
                if term and term.exit_code:
                    names = codes.setdefault(term.exit_code, [])
                    if pod.name not in names:
                        names.append(pod.name)
    return codes


ACTION_EFFECT = {
    "FailJob": "fails the whole Job at once, without retries",
    "FailIndex": "fails the pod's index without retries",
    "Ignore": "does not count the failure against backoffLimit, so a pod whose app really failed may be "
              "retried without limit",
}


@rule("pod-failure-policy-matches-sidecar", WARNING, judges=(JOB,), reads=(JOBS, PODS),
      title="A podFailurePolicy onExitCodes rule without containerName can match a sidecar's exit code",
      explanation="""
When a Job pod fails, the Job controller matches podFailurePolicy.rules[].onExitCodes against the exit codes
of all its containers, init containers and sidecars included, unless the rule sets containerName. Sidecars
routinely end with 143 (SIGTERM) or 137 (SIGKILL at the grace deadline) when a pod stops, so a rule such as
`operator: In, values: [137]` meant for the app (OOM, preemption) also fires because of the sidecar, and
`operator: NotIn, values: [0, 1]` matches every sidecar that was signalled. Depending on the rule's action
the Job then fails at once (FailJob), or a real app failure is not counted (Ignore).""",
      remedy="""
Set onExitCodes.containerName to the app container in every rule meant for the app.""")
def pod_failure_policy(rule, job: JobView, snapshot: Snapshot, pod_findings: PodFindings):
    if not job.failure_policy:
        return
    template = job.template
    sidecars = [c.name for c in template.all_sidecars]
    if not sidecars:
        return
    apps = [c.name for c in template.apps]
    observed = _observed_sidecar_codes(job, snapshot, sidecars)
    codes = sorted(set(END_OF_POD_EXIT_CODES) | set(observed))
    matching = {p.index: [c for c in codes if p.matches(c)] for p in job.failure_policy
                if p.on_exit_codes and not p.container_name and p.action != "Count"}
    # (Count is what happens anyway: a match changes nothing.)
    matching = {index: found for index, found in matching.items() if found}
    if not matching:
        return
    patch = _named_rules_patch(job, matching, apps[0] if apps else "APP-CONTAINER")
    for policy_rule in job.failure_policy:
        if policy_rule.index not in matching:
            continue
        index, action, operator, values = (policy_rule.index, policy_rule.action, policy_rule.operator,
                                           list(policy_rule.values))
        evidence = [(f"spec.podFailurePolicy.rules[{index}]: action {action}, onExitCodes {operator} "
                     f"{values}, no containerName"),
                    f"sidecars in the pod template: {named(sidecars)}"]
        for code in matching[index]:
            if code in observed:
                evidence.append(f"a sidecar ended with {code} in pod(s) {', '.join(observed[code])}")
        message = (f"rules[{index}] ({action} on exit codes {operator} {values}) has no containerName, so it also "
                   f"matches sidecars ({named(sidecars)}) ending with "
                   f"{' or '.join(str(c) for c in matching[index])}, as they do when a pod stops: when a pod fails "
                   f"for any reason, this rule {ACTION_EFFECT.get(action, 'applies')}.")
        yield rule.finding(None, message, Fix("Name the container the rule is meant for:", (patch,)), evidence)


def _named_rules_patch(job: JobView, matching: Mapping[int, List[int]], app: str) -> Patch:
    """podFailurePolicy.rules is replaced as a whole by a patch: every rule, those that match a sidecar
    with containerName set."""
    rules = [dict(p.raw, onExitCodes=dict({"containerName": app}, **p.raw["onExitCodes"]))
             if p.index in matching else p.raw for p in job.failure_policy]
    owner = job.owner or {}
    target = (Target("CronJob", job.namespace, owner["name"], "spec.jobTemplate") if owner.get("kind") == "CronJob"
              else Target("Job", job.namespace, job.name, ""))
    comments = ("spec.podFailurePolicy of a Job cannot be changed once it is created: apply this to the "
                "Job's manifest and recreate it",) if target.kind == "Job" else ()
    return Patch(target, {"spec": {"podFailurePolicy": {"rules": rules}}}, comments)


POLICY_MESSAGE = re.compile(r"[Cc]ontainer (?P<container>[^\s]+) for pod (?P<pod>[^\s]+) failed with exit code "
                            r"(?P<code>\d+)")
CAUSE_CODES = ("app-started-before-sidecar-ready", "sidecar-startup-failed", "sidecar-oomkilled",
               "sidecar-crashloop", "init-never-exits", "job-blocked-by-legacy-sidecar",
               "native-sidecars-unsupported")


def _pod_culprits(pod: PodView, found: List[Finding]) -> List[Tuple[str, str]]:
    """(sidecar, why) for one pod of a failed Job, from the pod and its findings."""
    culprits: List[Tuple[str, str]] = []
    apps_ok = bool(pod.apps) and all(a.state == "terminated" and a.exit_code == 0 for a in pod.apps)
    if apps_ok:
        for sidecar in pod.legacy_sidecars:
            if sidecar.state == "terminated" and sidecar.exit_code:
                culprits.append((sidecar.name, f"pod {pod.name}: the app containers succeeded but legacy "
                                               f"sidecar {sidecar.name} ended with exit {sidecar.exit_code} "
                                               f"({sidecar.reason}), which made the pod Failed"))
            elif sidecar.state != "terminated":
                culprits.append((sidecar.name, f"pod {pod.name}: the app containers succeeded but legacy "
                                               f"sidecar {sidecar.name} kept the pod running"))
    for finding in found:
        if finding.code in CAUSE_CODES and finding.severity == ERROR and finding.container:
            culprits.append((finding.related or finding.container,
                             f"pod {pod.name}: {finding.code} ({finding.message})"))
    return culprits


@rule("job-failed-by-sidecar", ERROR, judges=(JOB,), reads=(JOBS, PODS),
      title="A failed Job whose pods failed because of sidecars",
      explanation="""
The Job is Failed, and the evidence points at sidecars rather than the app: a legacy sidecar exited non-zero
after the app succeeded (which makes the pod Failed), a legacy sidecar kept finished pods running until
activeDeadlineSeconds ran out, the app failed before a sidecar it depends on was ready, a sidecar never
started or kept crashing, or a podFailurePolicy rule matched a sidecar's exit code.""",
      remedy="""
Fix the sidecar named in the finding (see its pod findings), then rerun the Job. Native sidecars
(restartPolicy: Always in initContainers) never fail a Job by their exit code.""")
def job_failed(rule, job: JobView, snapshot: Snapshot, pod_findings: PodFindings):
    failed = job.condition("Failed")
    if failed is None:
        return
    roles = {c.name for c in job.template.all_sidecars}
    culprits: List[Tuple[str, str]] = []
    match = POLICY_MESSAGE.search(failed.message)
    if failed.reason == "PodFailurePolicy" and match:
        name = match.group("container")
        if name in roles:
            culprits.append((name, f"the podFailurePolicy matched sidecar {name}'s exit code "
                                   f"{match.group('code')} in pod {match.group('pod')}"))
    for pod in snapshot.pods_of_job(job):
        culprits += _pod_culprits(pod, pod_findings.get((pod.namespace, pod.name), []))
    if not culprits:
        return
    condition = f"{failed.reason or 'Failed'}: {failed.message}".rstrip(": ")
    by_container: Dict[str, List[str]] = {}
    for name, why in culprits:
        whys = by_container.setdefault(name, [])
        if why not in whys:
            whys.append(why)
    for name, whys in by_container.items():
        message = f"The Job failed ({condition}) because of sidecar {name}: {whys[0]}."
        evidence = [f"condition Failed=True since {when(failed.since)}: {condition}"] + whys
        yield rule.finding(name, message, evidence=evidence)
