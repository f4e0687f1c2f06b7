"""How sidecars ended: SIGKILLed at the grace deadline, OOMKilled, killed by their liveness probe, or
crashing in a loop. Exit codes 0 and 143 at the end of a pod are normal and never reported."""

import os
import re
from datetime import timedelta
from typing import List, Optional, Tuple

from kubectl_sidecars.model import ContainerView, PodView
from kubectl_sidecars.model.objects import EventView
from kubectl_sidecars.model.timeutil import seconds_between
from kubectl_sidecars.model.view import Termination
from kubectl_sidecars.rules.catalog import ERROR, EVENTS, PODS, WARNING, Fix, rule, with_sidecars
from kubectl_sidecars.rules.common import (
    END_OF_POD_EXIT_CODES,
    SIGKILL_EXIT,
    apps_done,
    container_events,
    container_patch,
    ended,
    event_line,
    last_app_finish,
    last_state_line,
    state_line,
    took,
    when,
)
from kubectl_sidecars.snapshot import Snapshot

SHELLS = ("sh", "bash", "ash", "dash", "zsh", "busybox")
CRASHLOOP_MIN_RESTARTS = 3
RECENT = 3600  # seconds: a restart within the last hour is recent
SLACK = timedelta(seconds=5)
# A 137 counts as "SIGKILLed when the grace period ran out" when it came between grace - GRACE_SLACK and
# grace + GRACE_LATE seconds after the stop began (the kubelet's own sync adds a little).
GRACE_SLACK = 5
GRACE_LATE = 30
SAME_MOMENT = 2  # seconds: containers ending this close together were killed together
# status.reason of pods the node or the control plane ended without a graceful stop.
NODE_ENDED_REASONS = ("Evicted", "NodeLost", "NodeShutdown", "Terminated", "Preempting")
# DisruptionTarget reasons that are graceful deletions with the pod's own grace period (kubectl drain,
# scheduler preemption): a sidecar that ignores SIGTERM is SIGKILLed at the deadline as usual.
GRACEFUL_DISRUPTIONS = ("EvictionByEvictionAPI", "PreemptionByScheduler")
# Terminated states the kubelet writes itself for containers it lost track of (no real exit).
KUBELET_MADE = ("ContainerStatusUnknown",)


def terminations(container: ContainerView) -> List[Termination]:
    return [t for t in (container.terminated, container.last_terminated) if t is not None]


def _overlaps(event: EventView, term: Termination) -> bool:
    first, last = event.first, event.last
    if first is None or last is None or term.started_at is None or term.finished_at is None:
        return True
    return first <= term.finished_at + SLACK and last >= term.started_at - SLACK


def liveness_events(snapshot: Snapshot, pod: PodView, container: ContainerView,
                    term: Termination) -> List[EventView]:
    """Liveness failures and liveness kills of this container during the run that ended with `term`."""
    events = (container_events(snapshot, pod, container.name, ("Unhealthy",), "liveness probe failed")
              + container_events(snapshot, pod, container.name, ("Killing",), "liveness"))
    return [e for e in events if _overlaps(e, term)]


def is_oom(term: Termination) -> bool:
    return (term.reason or "") == "OOMKilled"


def at_pod_end(pod: PodView) -> bool:
    return ended(pod) or pod.deleted is not None or apps_done(pod)


# --- sidecar-sigkilled -------------------------------------------------------------------------------

def _trapped(script: str) -> str:
    body = script.strip()
    background = f"{body} &" if "\n" not in body and not re.search(r"[;&|]", body) else f"{{ {body}\n}} &"
    return f"trap 'kill -TERM \"$child\" 2>/dev/null; wait \"$child\"; exit 0' TERM; {background} child=$!; " \
           "wait \"$child\""


def sigterm_remedy(container: ContainerView, pod: PodView, snapshot: Snapshot) -> Fix:
    full = [str(p) for p in (container.spec.get("command") or []) + (container.spec.get("args") or [])]
    lines = [f"Make {container.name} exit on SIGTERM, one of:"]
    patches = ()
    if len(full) >= 3 and os.path.basename(full[0]) in SHELLS and full[1] == "-c":
        key = "args" if container.spec.get("args") and not container.spec.get("command") else "command"
        patches = (container_patch(pod, snapshot, container, {key: [full[0], "-c", _trapped(full[2])]}),)
        lines.append("- the shell is PID 1 and ignores SIGTERM: trap it and pass it on to the program "
                     "(the patch below)")
    else:
        lines.append("- handle SIGTERM in the program (flush, then exit), or `exec` it from its start script so "
                     "it receives the signal (exec alone is not enough if the program has no SIGTERM handler: "
                     "as PID 1 it ignores the signal)")
    lines.append("- or run it under a minimal init that forwards signals, e.g. tini: command: [\"tini\", \"--\", "
                 "...] (the image must contain it); note that shareProcessNamespace is not a fix for this")
    lines.append("- or add a preStop hook that makes it flush and stop (it runs before SIGTERM is sent)")
    lines.append(f"- or lower spec.terminationGracePeriodSeconds (now {pod.grace_period}s) to bound the delay; "
                 "the buffered data is still lost")
    return Fix("\n".join(lines), patches)


def ended_by_the_node(pod: PodView) -> Optional[str]:
    """Why the pod was ended by its node or the control plane rather than stopped gracefully (eviction,
    node shutdown, a lost node): such pods have every container killed, so a 137 says nothing about how a
    sidecar handles SIGTERM. None for graceful stops."""
    if pod.reason in NODE_ENDED_REASONS:
        return f"status.reason {pod.reason}"
    target = pod.conditions.get("DisruptionTarget") or {}
    if target.get("status") == "True" and target.get("reason") not in GRACEFUL_DISRUPTIONS:
        return f"condition DisruptionTarget ({target.get('reason') or 'no reason'})"
    return None


def _killed_at_once(pod: PodView, term: Termination) -> bool:
    """Every app container was killed too, at the same moment as the sidecar: nobody got a grace period."""
    apps = [a.terminated for a in pod.apps]
    return bool(apps) and all(
        a is not None and a.exit_code == SIGKILL_EXIT and a.finished_at is not None and term.finished_at is not None
        and abs((a.finished_at - term.finished_at).total_seconds()) <= SAME_MOMENT for a in apps)


def _grace_ran_out(pod: PodView, term: Termination) -> Optional[Tuple[float, str]]:
    """(seconds the stop took, how that is measured) when the 137 came when a grace period that began as the
    app ended, or as the deletion was requested, ran out; None when it came at another moment."""
    if term.finished_at is None:
        return None
    app, app_end = last_app_finish(pod)
    cost = seconds_between(app_end, term.finished_at)
    if (cost is not None and cost > SAME_MOMENT
            and pod.grace_period - GRACE_SLACK <= cost <= pod.grace_period + GRACE_LATE):
        return cost, f"{took(cost)} after the last app container ({app.name}) finished at {when(app_end)}"
    if pod.deleted is not None and term.finished_at >= pod.deleted - SLACK:
        # deletionTimestamp is the request plus the grace period: the moment of the SIGKILL
        requested = pod.deleted - timedelta(seconds=pod.grace_period)
        cost = seconds_between(requested, term.finished_at)
        return cost, f"{took(cost)} after the pod's deletion was requested (about {when(requested)})"
    return None


@rule("sidecar-sigkilled", WARNING,
      title="A sidecar ignored SIGTERM and was SIGKILLed at the end of the grace period (exit 137)",
      explanation="""
When a pod stops (its app containers finished, or it is deleted), the kubelet sends the sidecars SIGTERM (native
sidecars: after the last app container stopped, in reverse order) and waits up to terminationGracePeriodSeconds
(30 s by default) before SIGKILL. Exit 0 (Completed) or 143 (SIGTERM) is a normal end and is not reported. Exit
137 without OOMKilled and without liveness failures means the process ignored SIGTERM until the deadline: the
pod took that much longer to finish (a Job's completion is delayed by it) and whatever the sidecar had
buffered but not flushed (logs, spans, metrics, in-flight requests) was lost. The usual cause is a shell
script as PID 1 (`sh -c '...'`): PID 1 ignores signals it has no handler for. Not reported when the 137 did
not come as a grace period ran out, nor for pods the node ended without a graceful stop (evicted, node lost
or shut down: everything is killed there) or containers the kubelet lost track of (ContainerStatusUnknown).""",
      remedy="""
Handle SIGTERM: trap it in the start script and pass it on, run the program under an init that forwards
signals (tini), or exec a program that handles it; or add a preStop hook that flushes and stops it; or lower
terminationGracePeriodSeconds to bound the delay.""", reads=(PODS, EVENTS), when=with_sidecars)
def sidecar_sigkilled(rule, pod: PodView, snapshot: Snapshot):
    if not at_pod_end(pod) or ended_by_the_node(pod):
        return
    for container in pod.all_sidecars:
        term = container.terminated
        if container.state != "terminated" or term is None or term.exit_code != SIGKILL_EXIT or is_oom(term):
            continue
        if term.reason in KUBELET_MADE or _killed_at_once(pod, term):
            continue
        if liveness_events(snapshot, pod, container, term):
            continue
        timing = _grace_ran_out(pod, term)
        if timing is None:
            continue
        cost, delay = timing
        app, _ = last_app_finish(pod)
        evidence = [state_line(container, snapshot.now)]
        if app is not None:
            evidence.append(state_line(app, snapshot.now))
        evidence.append(f"terminationGracePeriodSeconds: {pod.grace_period}")
        if "liveness" in container.probes and not snapshot.events_read:
            evidence.append("events were not read: a liveness kill cannot be ruled out")
        longer = f"about {took(cost)}"
        message = (f"{container.name} was SIGKILLed (exit 137, reason {term.reason or 'none'}) at "
                   f"{when(term.finished_at)}, {delay}: it ignored SIGTERM until the {pod.grace_period}s "
                   f"grace period ran out, so the pod took {longer} longer to finish, and anything "
                   f"{container.name} had buffered but not yet flushed was lost.")
        yield rule.finding(container.name, message, lambda container=container: sigterm_remedy(
            container, pod, snapshot), evidence)


# --- sidecar-oomkilled -------------------------------------------------------------------------------

QUANTITY = re.compile(r"^(?P<number>\d+(?:\.\d+)?)(?P<unit>[KMGTPE]i?|[kMGTPE]?)$")


def doubled(quantity: Optional[str]) -> Optional[str]:
    match = QUANTITY.match(str(quantity or ""))
    if not match:
        return None
    number = float(match.group("number")) * 2
    text = str(int(number)) if number.is_integer() else f"{number:g}"
    return text + match.group("unit")


@rule("sidecar-oomkilled", ERROR,
      title="A sidecar was OOMKilled: it needs more memory than its limit",
      explanation="""
The kernel killed the sidecar for exceeding its memory limit (reason OOMKilled, exit 137), now or in its last
run. This is never a normal end: a proxy that is OOMKilled drops the pod's connections, a log shipper loses
what it buffered. Native sidecars are restarted (whatever the pod's restartPolicy); legacy ones follow the
pod's restartPolicy. Sidecar requests add to the pod's requests for its whole life, so size them honestly.""",
      remedy="""
Raise the sidecar's resources.limits.memory (and requests.memory), or reduce what it buffers.""", when=with_sidecars)
def sidecar_oomkilled(rule, pod: PodView, snapshot: Snapshot):
    for container in pod.all_sidecars:
        oom = [t for t in terminations(container) if is_oom(t)]
        if not oom:
            continue
        term = oom[0]
        resources = container.spec.get("resources") or {}
        limit = (resources.get("limits") or {}).get("memory")
        current = term is container.terminated
        evidence = [state_line(container, snapshot.now)]
        if not current:
            evidence.append(last_state_line(container))
        evidence.append(f"resources: {resources or 'none set'}")
        long_ago = seconds_between(term.finished_at, snapshot.now)
        severity = None
        if (not current and container.state == "running" and container.ready and container.restarts <= 1
                and long_ago is not None and long_ago > RECENT):
            severity = WARNING  # once, long ago, and fine since: still too tight, no longer acute
        message = (f"{container.name} was OOMKilled (exit {term.exit_code}) at {when(term.finished_at)}"
                   + (f" ({took(long_ago)} ago)" if long_ago is not None else "")
                   + f", its memory limit being {limit if limit else 'unset (the node ran out)'}"
                   + (f"; it restarted {container.restarts} time(s)" if container.restarts else "")
                   + (", now in CrashLoopBackOff" if container.reason == "CrashLoopBackOff" else "") + ".")
        target = doubled(limit) or "<more than the peak usage>"
        remedy = Fix(f"Give {container.name} more memory (for example twice the current limit), or make it "
                     "buffer less:", (container_patch(pod, snapshot, container, {"resources": {
                         "requests": {"memory": target}, "limits": {"memory": target}}}),))
        yield rule.finding(container.name, message, remedy, [e for e in evidence if e], severity=severity)


# --- sidecar-liveness-killed --------------------------------------------------------------------------

@rule("sidecar-liveness-killed", WARNING,
      title="A sidecar was killed by its liveness probe (exit 137 after liveness failures)",
      explanation="""
The kubelet restarted the sidecar because its livenessProbe failed failureThreshold times in a row; the 137
(SIGKILL) follows the liveness failures in the pod's events. A liveness probe that is too strict for start-up or
for load spikes turns a slow sidecar into a restarting one, and each restart of a proxy drops the pod's
connections. Reported as an error when the sidecar is now in CrashLoopBackOff.""",
      remedy="""
Loosen the livenessProbe (timeoutSeconds, failureThreshold, periodSeconds), add a startupProbe so liveness
is only checked once the sidecar has started, or fix what makes the endpoint slow.""", reads=(PODS, EVENTS),
      when=with_sidecars)
def sidecar_liveness_killed(rule, pod: PodView, snapshot: Snapshot):
    for container in pod.all_sidecars:
        for term in terminations(container):
            events = liveness_events(snapshot, pod, container, term)
            killing = [e for e in events if e.reason == "Killing"]
            if not events or (term.exit_code not in END_OF_POD_EXIT_CODES and not killing) or is_oom(term):
                continue
            probe = container.spec.get("livenessProbe") or {}
            evidence = [state_line(container, snapshot.now)]
            if term is container.last_terminated:
                evidence.append(last_state_line(container))
            evidence += [event_line(e) for e in events[-3:]]
            looping = container.reason == "CrashLoopBackOff"
            message = (f"{container.name} was killed by its liveness probe (exit {term.exit_code}) at "
                       f"{when(term.finished_at)} and restarted ({container.restarts} restart(s) so far"
                       + ("; now in CrashLoopBackOff" if looping else "") + ").")
            looser = dict(probe, timeoutSeconds=max(probe.get("timeoutSeconds") or 1, 5),
                          failureThreshold=max(probe.get("failureThreshold") or 3, 6))
            remedy = Fix("Give the liveness probe more slack (or add a startupProbe so it only runs once the "
                         "sidecar has started):", (container_patch(pod, snapshot, container,
                                                                   {"livenessProbe": looser}),)) if probe else None
            yield rule.finding(container.name, message, remedy, evidence, severity=ERROR if looping else None)
            break


# --- sidecar-crashloop --------------------------------------------------------------------------------

def restarting(pod: PodView, container: ContainerView, now) -> bool:
    if container.reason == "CrashLoopBackOff":
        return True
    if container.restarts < CRASHLOOP_MIN_RESTARTS or container.last_terminated is None:
        return False
    since_last = seconds_between(container.last_terminated.finished_at, now)
    if since_last is None or since_last > RECENT:
        return False
    age = seconds_between(pod.created, now)
    return age is None or age / container.restarts < RECENT


@rule("sidecar-crashloop", ERROR,
      title="A sidecar is in CrashLoopBackOff or restarting repeatedly",
      explanation="""
The sidecar keeps exiting and being restarted (native sidecars are restarted whatever the pod's
restartPolicy). While it is down, whatever the app gets from it (network through a proxy, secrets, log
shipping) is missing, and the kubelet's back-off grows to five minutes between attempts. A single restart
long ago is not reported.""",
      remedy="""
Read the previous run's logs (kubectl logs POD -c CONTAINER --previous) and fix the cause: configuration,
missing secrets or volumes, a dependency it cannot reach, too little memory.""", when=with_sidecars)
def sidecar_crashloop(rule, pod: PodView, snapshot: Snapshot):
    for container in pod.all_sidecars:
        if not restarting(pod, container, snapshot.now):
            continue
        last = container.last_terminated or container.terminated
        evidence = [state_line(container, snapshot.now)]
        if container.last_terminated is not None:
            evidence.append(last_state_line(container))
        if last is not None and last.message:
            evidence.append(f"termination message: {last.message.strip()}")
        evidence += [event_line(e) for e in container_events(snapshot, pod, container.name, ("BackOff",))[-1:]]
        ran = seconds_between(last.started_at, last.finished_at) if last else None
        message = (f"{container.name} has restarted {container.restarts} time(s)"
                   + (", now in CrashLoopBackOff" if container.reason == "CrashLoopBackOff" else "")
                   + (f"; its last run ended with exit {last.exit_code} ({last.reason or 'no reason'}) at "
                      f"{when(last.finished_at)} after {took(ran)}" if last else "") + ".")
        remedy = (f"See why it exits: kubectl logs {pod.name} -n {pod.namespace} -c {container.name} "
                  "--previous\nthen fix its configuration, the secrets or volumes it expects, or the dependency it "
                  "cannot reach.")
        yield rule.finding(container.name, message, remedy, evidence)
