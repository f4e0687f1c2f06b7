"""Start-up: apps that ran before the sidecar they need served, sidecars that never started or are not
ready, native sidecars without a startupProbe, and init containers ordered before the proxy they need."""

from datetime import datetime
from typing import Dict, Iterator, List, Optional, Tuple

from kubectl_sidecars.model import ContainerView, PodView
from kubectl_sidecars.model.classify import ISTIO_STATUS, json_annotation, names_in
from kubectl_sidecars.model.timeutil import parse_time, seconds_between
from kubectl_sidecars.model.view import Termination
from kubectl_sidecars.model.vocabulary import MESH_INIT_NAMES, helper_words, image_repository
from kubectl_sidecars.rules.catalog import (
    ERROR,
    INFO,
    LIVE_POD,
    POD_TEMPLATE,
    WARNING,
    Fix,
    rule,
    with_init_containers_and_sidecars,
    with_native_sidecars,
    with_sidecars,
)
from kubectl_sidecars.rules.common import (
    END_OF_POD_EXIT_CODES,
    NAMED,
    AnyPod,
    apps_done,
    container_events,
    container_patch,
    ended,
    event_line,
    has_post_start,
    is_proxy,
    listening_ports,
    local_ports,
    migration_patch,
    named,
    placeholder_probe,
    pod_failed,
    restart_budget,
    serves,
    ships_telemetry,
    startup_probe_for,
    state_line,
    template_patch,
    took,
    when,
)
from kubectl_sidecars.snapshot import Snapshot

QUICK_FAILURE = 30  # an app failing this soon after it started failed at start-up
WARM_UP = 30        # a sidecar running for less than this may not serve yet
NOT_READY_FOR = 60  # a running sidecar unready for longer than this (and its probe budget) is reported
STUCK_AFTER_START = 120
RECOVERED_AFTER = 3600  # a start-up race this long ago, with the app fine since, is told as a recurring one
FAILED_WAITING = ("ErrImagePull", "ImagePullBackOff", "InvalidImageName", "CreateContainerConfigError",
                  "CreateContainerError", "RunContainerError", "CrashLoopBackOff", "ErrImageNeverPull",
                  "PreCreateHookError", "PostStartHookError")


def _quick_failures(app: ContainerView) -> List[Termination]:
    found = []
    for term in (app.terminated, app.last_terminated):
        if term is None or not term.exit_code or term.exit_code in END_OF_POD_EXIT_CODES or term.reason == "OOMKilled":
            continue
        ran = seconds_between(term.started_at, term.finished_at)
        if ran is not None and 0 <= ran <= QUICK_FAILURE:
            found.append(term)
    return found


UNKNOWN = object()


def _instance_at(sidecar: ContainerView, moment: datetime):
    """When the run of the sidecar alive at `moment` started; None if none was; UNKNOWN if the statuses
    (which keep only the current and the last run) cannot tell."""
    if sidecar.state == "running" and sidecar.started_at and sidecar.started_at <= moment:
        return sidecar.started_at
    for term in (sidecar.terminated, sidecar.last_terminated):
        if term and term.started_at and term.finished_at and term.started_at <= moment <= term.finished_at:
            return term.started_at
    if sidecar.restarts <= 1:
        return None  # the statuses hold every run: none was up
    last = sidecar.last_terminated
    if last and last.started_at and moment >= last.started_at:
        return None  # between the last two runs
    return UNKNOWN  # an earlier run, no longer in the status, may have been up


def _ordered(sidecar: ContainerView, app: ContainerView) -> bool:
    """Kubernetes made the app wait until this sidecar served."""
    if sidecar.type == "sidecar":
        return "startup" in sidecar.probes or has_post_start(sidecar)
    # Legacy: containers are started in spec order, each after the previous one's postStart hook returned
    # (Istio's holdApplicationUntilProxyStarts relies on this).
    return has_post_start(sidecar) and sidecar.index < app.index


def _race(sidecar: ContainerView, failure: Termination) -> Optional[str]:
    moment = failure.finished_at
    if moment is None:
        return None
    since = _instance_at(sidecar, moment)
    if since is UNKNOWN:
        return None
    if since is None:
        return f"{sidecar.name} was not running at that moment"
    warm = seconds_between(since, moment)
    if warm is not None and warm < WARM_UP:
        if failure.started_at is not None and since <= failure.started_at:
            return (f"{sidecar.name} had started only {took(seconds_between(since, failure.started_at))} before the "
                    f"app, at {when(since)}")
        return f"{sidecar.name} had been running for only {took(warm)} (since {when(since)})"
    if sidecar.state == "running" and not sidecar.ready and sidecar.started_at == since:
        return f"{sidecar.name} is still not ready"
    return None


def _needs(sidecar: ContainerView) -> str:
    ports = [str(p.get("containerPort")) for p in sidecar.spec.get("ports") or [] if p.get("containerPort")]
    return f"it listens on {', '.join(ports)}" if ports else "it is a helper the app may depend on"


def startup_probe_fix(sidecar: ContainerView, pod: AnyPod, snapshot: Snapshot, text: str) -> Fix:
    """A startupProbe for a native sidecar: derived from its ports or readiness, else a skeleton to fill."""
    probe, comments = startup_probe_for(sidecar.spec), ()
    if probe is None:
        probe, comment = placeholder_probe(sidecar.name)
        comments = (comment,)
    return Fix(text, (container_patch(pod, snapshot, sidecar, {"startupProbe": probe}, comments),))


def own_dependency(sidecar: ContainerView) -> Optional[Tuple[str, bool]]:
    """Why any app may need `sidecar` up at start-up, from the sidecar alone, and whether that is sure
    enough to blame a failed pod on it (an error); None when nothing says so (a log or metrics shipper)."""
    if ships_telemetry(sidecar):
        return None
    ports = listening_ports(sidecar)
    if is_proxy(sidecar):
        return "it is a proxy the app's connections go through" + (
            f" (it listens on {', '.join(map(str, ports))})" if ports else ""), True
    listens = f"it listens on {', '.join(map(str, ports))}" if ports else ""
    if listens and helper_words(sidecar.name, sidecar.image).name_ending:
        return f"{listens} and is named as the app's helper", True
    if listens or "readiness" in sidecar.probes:
        return listens or "it has a readinessProbe, like a server", False
    return None


def dependencies(app: ContainerView, serving: List[Tuple[ContainerView, Tuple[str, bool]]],
                 listening: Dict[int, List[ContainerView]]) -> Iterator[Tuple[ContainerView, Tuple[str, bool]]]:
    """The sidecars `app` may need, surest first: those listening where it points at localhost, then
    `serving` (the sidecars that serve by their own nature, surest first, worked out once per pod). Lazy:
    the caller stops once it has found enough."""
    pointed: Dict[str, Tuple[ContainerView, Tuple[str, bool]]] = {}
    for port in local_ports(app):
        for sidecar in listening.get(port, ()):
            pointed.setdefault(sidecar.name, (sidecar, (f"{app.name} points at localhost:{port}, where it "
                                                         "listens", True)))
    yield from sorted(pointed.values(), key=lambda pair: pair[0].index)
    yield from (pair for pair in serving if pair[0].name not in pointed)


@rule("app-started-before-sidecar-ready", WARNING,
      title="An app container failed at start-up while a sidecar it needs was not serving yet "
            "(error when the pod failed)",
      explanation="""
The app container failed within seconds of starting, and at that moment a sidecar it shares the pod with (a
proxy, a database proxy, an agent that listens) had only just started or was not running. Nothing made the app
wait: a legacy sidecar (in spec.containers) starts in parallel with the app, and a native sidecar without a
startupProbe counts as started as soon as its process runs, not once it serves. The app's first connection then
fails. With restartPolicy Never the app is not restarted and the pod fails (reported as an error); otherwise the
app restarts and usually works on the second try (a warning). The race is a property of the spec, not only of
the past: while nothing orders the start (no startupProbe on the native sidecar, no hold-until-ready setting
such as Istio's holdApplicationUntilProxyStarts or Linkerd's config.linkerd.io/proxy-await for an injected
proxy, both of which add a postStart hook), it returns at every rollout or reschedule, so it stays a warning
however long ago it last happened.""",
      remedy="""
Make the sidecar a native sidecar with a startupProbe that passes once it serves: the kubelet starts the app
containers only after it. For a native sidecar, add the startupProbe. Retrying the first connection in the app
also helps.""", when=with_sidecars)
def app_before_sidecar(rule, pod: PodView, snapshot: Snapshot):
    candidates = pod.all_sidecars
    if not candidates:
        return
    failed = pod_failed(pod)
    serving: Optional[List[Tuple[ContainerView, Tuple[str, bool]]]] = None
    listening: Dict[int, List[ContainerView]] = {}
    for app in pod.apps:
        failures = _quick_failures(app)
        if not failures:
            continue
        if serving is None:  # worked out once per pod, and only for a pod where an app failed at start-up
            own = [(s, own_dependency(s)) for s in candidates]
            serving = [pair for pair in own if pair[1] and pair[1][1]] + [pair for pair in own
                                                                         if pair[1] and not pair[1][1]]
            for sidecar in candidates:
                for port in listening_ports(sidecar):
                    listening.setdefault(port, []).append(sidecar)
        for failure in failures:
            races: List[Tuple[ContainerView, str, Tuple[str, bool]]] = []
            for sidecar, need in dependencies(app, serving, listening):
                if _ordered(sidecar, app):
                    continue
                why = _race(sidecar, failure)
                if why:
                    races.append((sidecar, why, need))
                    if len(races) == NAMED:
                        break  # the surest comes first: enough to name
            if not races:
                continue
            sidecar, why, (needs, sure) = races[0]
            ran = seconds_between(failure.started_at, failure.finished_at)
            current = failure is app.terminated
            kind = ("a legacy sidecar: it starts in parallel with the app, with nothing to make the app wait "
                    "until it serves" if sidecar.type == "legacy-sidecar" else
                    "a native sidecar without a startupProbe: it counts as started as soon as its process runs, "
                    "so the app was started before it served")
            message = (f"{app.name} started at {when(failure.started_at)} and failed {took(ran)} later (exit "
                       f"{failure.exit_code}, {failure.reason or 'no reason'}) while {why}; "
                       f"{sidecar.name} is {kind} ({needs}).")
            if failed and current:
                message += (" With restartPolicy Never the app is not restarted: this pod cannot succeed."
                            if pod.restart_policy == "Never" else " The pod failed.")
            elif not current:
                message += f" It was restarted ({app.restarts} restart(s))."
            evidence = [state_line(app, snapshot.now)]
            if not current:
                evidence.append((f"{app.name} last state: exit {failure.exit_code} ({failure.reason}), started "
                                  f"{when(failure.started_at)}, finished {when(failure.finished_at)}"))
            evidence += [state_line(s, snapshot.now) for s, _, _ in races]
            if sidecar.type == "legacy-sidecar":
                def remedy(sidecar=sidecar) -> Fix:
                    return Fix(f"Make {sidecar.name} a native sidecar with a startupProbe, so the app starts only "
                               "once it serves:", (migration_patch(sidecar, pod, snapshot),))
            else:
                def remedy(sidecar=sidecar) -> Fix:
                    return startup_probe_fix(sidecar, pod, snapshot,
                                             f"Give {sidecar.name} a startupProbe that passes once it serves; the "
                                             "app containers then start only after it:")
            severity = ERROR if failed and current and sure else None
            if failed and current and not sure:
                message += (f" Whether {app.name} needs {sidecar.name} is not known (nothing in its command "
                            "or environment points at it), so this is only a warning: check the app's own logs "
                            "first.")
            long_ago = seconds_between(failure.finished_at, snapshot.now)
            if not current and app.state == "running" and long_ago is not None and long_ago > RECOVERED_AFTER:
                # The spec still orders nothing (an ordered sidecar is skipped above): the same race comes back
                # whenever the pod starts again, however long ago it last happened.
                message += (f" That last happened {took(long_ago)} ago and the app has been running since, but "
                            "nothing in the spec makes the app wait for it, so the same race returns at the next "
                            "rollout, reschedule or node restart.")
            yield rule.finding(app.name, message, remedy, evidence, severity=severity, related=sidecar.name)
            break


# --- sidecar-startup-failed ---------------------------------------------------------------------------

def _held_back(pod: PodView) -> List[str]:
    """The containers of spec.containers that have not started."""
    return [c.name for c in pod.apps + pod.legacy_sidecars if c.state != "running" and c.state != "terminated"]


@rule("sidecar-startup-failed", ERROR,
      title="A sidecar never started (failing startupProbe, image pull, crash), holding the pod back",
      explanation="""
The containers after a native sidecar start only once it is started (its startupProbe passed, or its process
runs when it has none). This one never got there: its image cannot be pulled, it cannot be created, it crashes,
or its startupProbe keeps failing, so the pod stays in Init and its app containers never run (a Job pod makes
no progress until activeDeadlineSeconds, if any). A failing startupProbe shows in the restart history from its
first repetition: the kubelet kills the sidecar (exit 143, or 137) once the probe has failed failureThreshold
times, so the previous run lasted about initialDelaySeconds + failureThreshold x periodSeconds, and it is
restarted to fail the same way. A legacy sidecar whose image cannot be pulled is reported
too: the pod never becomes ready and never finishes. Known upstream bug #132826 (<= 1.34): in a restartPolicy
Never pod, a sidecar whose startupProbe failed once may leave the app waiting forever even after a restart.""",
      remedy="""
Fix what keeps the sidecar from starting (image name or pull secret, configuration, the endpoint its startupProbe
checks), or give the startupProbe a larger failureThreshold if it is just slow.""", when=with_sidecars)
def sidecar_startup_failed(rule, pod: PodView, snapshot: Snapshot):
    if pod.deleted or ended(pod):
        return
    initialized, held = pod.initialized, _held_back(pod)
    for container in pod.all_sidecars:
        why = _why_not_started(pod, container, snapshot, initialized, held)
        if not why:
            continue
        evidence = [state_line(container, snapshot.now)]
        evidence += [event_line(e) for e in container_events(
            snapshot, pod, container.name, ("Unhealthy", "Failed", "BackOff", "FailedPostStartHook"))[-3:]]
        evidence.append(f"pod: kubectl {pod.ready} {pod.status}")
        message = f"{container.name} never became started: {why}"
        if held and container.type == "sidecar":
            message += f"; {named(held)} cannot start until it is"
        message += "."
        yield rule.finding(container.name, message,
                           lambda container=container: _startup_remedy(pod, container, snapshot), evidence)


def _why_not_started(pod: PodView, container: ContainerView, snapshot: Snapshot, initialized: bool,
                     held: List[str]) -> str:
    if container.type == "legacy-sidecar":
        if container.state == "waiting" and container.reason in FAILED_WAITING[:6] and not container.restarts:
            return f"it is waiting in {container.reason}" + (f" ({container.waiting_message})"
                                                                if container.waiting_message else "")
        return ""
    if initialized:
        return ""
    if container.started:
        # #132826: a Never pod whose sidecar restarted after a failed startupProbe; the app never starts.
        since = seconds_between(container.started_at, snapshot.now)
        if (pod.restart_policy == "Never" and container.restarts and since is not None
                and since > STUCK_AFTER_START and held):
            return (f"it did start after {container.restarts} restart(s), {took(since)} ago, yet the app "
                    "containers still wait: with restartPolicy Never this matches upstream bug #132826 "
                    "(Kubernetes <= 1.34)")
        return ""
    killed = _killed_by_startup_probe(pod, container)
    if killed:
        return killed
    if container.state == "waiting" and container.reason in FAILED_WAITING:
        detail = f" ({container.waiting_message})" if container.waiting_message else ""
        return f"it is waiting in {container.reason}{detail} after {container.restarts} restart(s)"
    if container.state == "terminated" and container.exit_code:
        return f"it exited with {container.exit_code} ({container.reason})"
    if container.state == "running" and "startup" in container.probes:
        ran = seconds_between(container.started_at, snapshot.now)
        budget = restart_budget(container.spec.get("startupProbe"))
        if ran is not None and ran > budget + 10:
            return (f"its startupProbe has not passed after {took(ran)} of running (it allows about "
                    f"{took(budget)})")
    return ""


# A run ended by a failing startupProbe lasts about the probe's budget: the kubelet kills the container once
# failureThreshold probes in a row failed (pkg/kubelet/prober: the first probe after initialDelaySeconds, one
# each periodSeconds), then waits up to the grace period for it to stop.
PROBE_KILL_EARLY = 2


def _killed_by_startup_probe(pod: PodView, container: ContainerView) -> str:
    """Why the restart history says the startupProbe never passed: the previous run, which never became
    started, ended with SIGTERM or SIGKILL after as long as the probe allows. Read from the first repetition,
    whether the current run is young, backing off or long."""
    probe = container.spec.get("startupProbe")
    last = container.last_terminated
    if not probe or last is None or last.exit_code not in END_OF_POD_EXIT_CODES or last.reason == "OOMKilled":
        return ""
    ran = seconds_between(last.started_at, last.finished_at)
    budget = restart_budget(probe)
    period = probe.get("periodSeconds") or 10
    if ran is None or not budget - period - PROBE_KILL_EARLY <= ran <= budget + pod.grace_period + WARM_UP:
        return ""
    return (f"its startupProbe never passes: its last run was killed after {took(ran)} (exit {last.exit_code}), "
            f"what the probe allows (about {took(budget)}), and it has been restarted {container.restarts} "
            "time(s) so far")


def _startup_remedy(pod: PodView, container: ContainerView, snapshot: Snapshot) -> Fix:
    lines = [f"Find out why: kubectl describe pod {pod.name} -n {pod.namespace} (Events), and "
             f"kubectl logs {pod.name} -n {pod.namespace} -c {container.name}"]
    if container.reason in ("ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull"):
        lines.append(f"Check the image name ({container.image}) and the pod's imagePullSecrets.")
    elif container.reason in ("CreateContainerConfigError", "CreateContainerError"):
        lines.append("Check the ConfigMaps, Secrets and volumes the container references.")
    elif "startup" in container.probes:
        probe = container.spec.get("startupProbe") or {}
        lines.append("If it is only slow to start, give its startupProbe more time:")
        slower = dict(probe, failureThreshold=max(2 * (probe.get("failureThreshold") or 3), 30))
        return Fix("\n".join(lines), (container_patch(pod, snapshot, container, {"startupProbe": slower}),))
    return Fix("\n".join(lines))


# --- sidecar-not-ready --------------------------------------------------------------------------------

@rule("sidecar-not-ready", WARNING,
      title="A running sidecar is not ready, keeping the pod not Ready",
      explanation="""
A sidecar's readiness counts for the pod's Ready condition (native sidecars included: ContainersReady covers
them), so a running sidecar whose readinessProbe fails keeps the whole pod out of its Services' endpoints. For a
proxy it usually means it cannot reach its control plane or get its certificates.""",
      remedy="""
Look at the sidecar's readiness endpoint and logs (kubectl logs POD -c CONTAINER); fix its configuration or its
connection to its control plane, or relax the readinessProbe if it is too strict.""", when=with_sidecars)
def sidecar_not_ready(rule, pod: PodView, snapshot: Snapshot):
    if pod.deleted or ended(pod) or (pod.runs_to_completion and apps_done(pod)):
        return
    ready = pod.conditions.get("Ready") or {}
    if ready.get("status") == "True":
        return
    unready_since = parse_time(ready.get("lastTransitionTime"))
    for container in pod.all_sidecars:
        if container.state != "running" or container.ready:
            continue
        if container.type == "sidecar" and not container.started:
            continue  # still starting: sidecar-startup-failed's business
        limit = max(NOT_READY_FOR, restart_budget(container.spec.get("readinessProbe")))
        running = seconds_between(container.started_at, snapshot.now)
        unready = seconds_between(unready_since, snapshot.now) if unready_since else running
        if running is None or running < limit or (unready is not None and unready < limit):
            continue
        evidence = [state_line(container, snapshot.now)]
        evidence.append((f"pod condition Ready=False since {when(unready_since)}"
                          + (f": {ready.get('message')}" if ready.get("message") else "")))
        evidence += [event_line(e) for e in container_events(snapshot, pod, container.name, ("Unhealthy",),
                                                             "readiness")[-2:]]
        message = (f"{container.name} has been running for {took(running)} but is not ready, so the pod is "
                   f"not Ready (kubectl {pod.ready} {pod.status}) and receives no Service traffic.")
        remedy = (f"See why its readiness fails: kubectl logs {pod.name} -n {pod.namespace} -c "
                  f"{container.name}; kubectl describe pod {pod.name} -n {pod.namespace} shows the "
                  "probe failures.")
        yield rule.finding(container.name, message, remedy, evidence)


# --- no-startup-probe ---------------------------------------------------------------------------------

@rule("no-startup-probe", INFO,
      title="A native sidecar has no startupProbe: the containers after it do not wait until it serves",
      explanation="""
The kubelet starts the next init container, and eventually the app containers, as soon as a native sidecar is
"started": its startupProbe passed, or, without one, its process is running (and its postStart hook returned).
Without a startupProbe the app may connect before the sidecar listens. Harmless for a sidecar nothing depends on
at start-up; for a proxy it is the classic race (Istio and the Cloud SQL Proxy add startup probes for this
reason). Readiness is not used for ordering.""",
      remedy="""
Add a startupProbe that passes once the sidecar serves (periodSeconds: 1 keeps the delay short).""",
      judges=(LIVE_POD, POD_TEMPLATE), when=with_native_sidecars)
def no_startup_probe(rule, pod: AnyPod, snapshot: Snapshot):
    init_order = pod.inits + pod.sidecars
    init_order.sort(key=lambda c: c.index)
    after_inits = [c.name for c in pod.apps + pod.legacy_sidecars]
    for position, container in enumerate(init_order):
        if container.type != "sidecar" or "startup" in container.probes or has_post_start(container):
            continue
        count = len(init_order) - position - 1 + len(after_inits)
        if not count:
            continue
        first = [c.name for c in init_order[position + 1:position + 1 + NAMED]]
        first += after_inits[:NAMED - len(first)]
        names = ", ".join(first) + (f" and {count - len(first)} more" if count > len(first) else "")
        if serves(container):
            message = (f"{container.name} has no startupProbe, so {names} may start before it serves "
                       f"({_needs(container)}).")
        else:
            verb, who = ("start", "none of them needs") if count > 1 else ("starts", "it does not need")
            message = (f"{container.name} has no startupProbe: {names} {verb} as soon as its process runs; "
                       f"fine if {who} it ready at start-up.")
        yield rule.finding(container.name, message,
                           lambda container=container: startup_probe_fix(
                               container, pod, snapshot, "Add a startupProbe that passes once it serves:"),
                           [(f"{container.name}: initContainers[{container.index}], restartPolicy Always, probes: "
                             f"{', '.join(container.probes) or 'none'}")])


# --- init-before-sidecar ------------------------------------------------------------------------------

def injector_inits(pod: AnyPod) -> List[str]:
    status = json_annotation(pod.annotations, ISTIO_STATUS)
    return names_in(status.get("initContainers")) if isinstance(status, dict) else []


def _troubled(init: ContainerView) -> bool:
    return bool(init.restarts or (init.state == "terminated" and init.exit_code)
                or (init.state == "waiting" and init.reason in FAILED_WAITING))


@rule("init-before-sidecar", INFO,
      title="A plain init container runs before a proxy sidecar it may need",
      explanation="""
Init containers run one after the other, and a native sidecar starts only when its turn in initContainers comes;
a legacy sidecar (in spec.containers) starts only after every init container has finished. An init container
that needs the network through the proxy (a database migration through the Cloud SQL Proxy, a download through
the mesh) cannot reach it if it comes first: with a mesh's traffic capture its connections fail, and the pod
sticks in Init. Reported as a warning when that init container is failing while the proxy has not started.""",
      remedy="""
List the proxy as a native sidecar (restartPolicy: Always, with a startupProbe) before the init containers that
need it.""", judges=(LIVE_POD, POD_TEMPLATE), when=with_init_containers_and_sidecars)
def init_before_sidecar(rule, pod: AnyPod, snapshot: Snapshot):
    proxies = [s for s in pod.all_sidecars if helper_words(s.name, s.image).network_proxy]
    if not proxies:
        return
    mesh_inits = MESH_INIT_NAMES | set(injector_inits(pod))
    native = sorted((p for p in proxies if p.type == "sidecar"), key=lambda p: p.index)
    legacy = next((p for p in proxies if p.type != "sidecar"), None)
    repositories = {image_repository(p.image) for p in proxies}
    following = 0
    for init in sorted(pod.inits, key=lambda c: c.index):
        # The first proxy the init container runs before: a later native one, else a legacy one.
        while following < len(native) and native[following].index < init.index:
            following += 1
        proxy = native[following] if following < len(native) else legacy
        if proxy is None:
            continue
        if init.name in mesh_inits or image_repository(init.image) in repositories:
            continue
        waiting = not proxy.started and proxy.state != "running"
        severity = WARNING if _troubled(init) and waiting else None
        if proxy.type == "sidecar":
            order = (f"{init.name} (initContainers[{init.index}]) runs before {proxy.name} "
                     f"(initContainers[{proxy.index}]) starts")
        else:
            order = (f"{init.name} runs before {proxy.name}, a legacy sidecar that only starts after every "
                     "init container has finished")
        message = f"{order}: if it needs the network through that proxy, it cannot reach it."
        if severity:
            message += f" It is failing now ({init.reason}, {init.restarts} restart(s))."
        yield rule.finding(init.name, message, lambda init=init, proxy=proxy: _proxy_first(pod, snapshot, init, proxy),
                           [state_line(init, snapshot.now), state_line(proxy, snapshot.now)],
                           severity=severity, related=proxy.name)


def _proxy_first(pod: AnyPod, snapshot: Snapshot, init: ContainerView, proxy: ContainerView) -> Fix:
    first = {"name": proxy.name, "restartPolicy": "Always"}
    probe = startup_probe_for(proxy.spec)
    if probe:
        first["startupProbe"] = probe
    comments = ["the other fields of both containers unchanged"]
    fragment = {"spec": {"initContainers": [first, {"name": init.name}]}}
    if proxy.type != "sidecar":
        spec = dict(first, **{k: v for k, v in proxy.spec.items() if k not in first})
        fragment = {"spec": {"initContainers": [spec, {"name": init.name}],
                             "containers": [{"name": proxy.name, "$patch": "delete"}]}}
        comments = [f"{proxy.name} moved from containers to initContainers, before {init.name}"]
    comments.append("strategic merge keeps the existing order of initContainers: list them in this order "
                    "in the manifest")
    return Fix(f"If {init.name} needs {proxy.name}, list the proxy first, as a native sidecar:",
               (template_patch(pod, snapshot, fragment, comments),))
