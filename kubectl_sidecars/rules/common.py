"""Helpers the rule families share: timestamps and durations as the report prints them, the events
about one container, which sidecars serve something, and the patches remedies propose."""

import re
from datetime import datetime
from typing import Iterable, List, Optional, Tuple, Union

from kubectl_sidecars.model import ContainerView, PodView
from kubectl_sidecars.model.objects import EventView, PodTemplateView
from kubectl_sidecars.model.timeutil import format_time, human_duration, seconds_between
from kubectl_sidecars.model.vocabulary import helper_words
from kubectl_sidecars.rules.catalog import Patch, Target
from kubectl_sidecars.snapshot import Snapshot

# Exit codes a sidecar ends with when its pod stops: 143 (SIGTERM) and 137 (SIGKILL at the grace deadline).
END_OF_POD_EXIT_CODES = (137, 143)
SIGKILL_EXIT = 137
SERVICE_ACCOUNT_MOUNT = "/var/run/secrets/kubernetes.io/serviceaccount"
LOOPBACK_PORT = re.compile(r"(?:localhost|127\.0\.0\.1|\[::1\]|0\.0\.0\.0):(\d{1,5})\b", re.I)
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1", "0.0.0.0")
PORT_NUMBER = re.compile(r"^[0-9]{1,5}$")  # not str.isdigit(): it takes "²", which int() refuses
PORT_FLAG = re.compile(r"--?(?:[\w-]*-)?port[= ](\d{1,5})\b")
AnyPod = Union[PodView, PodTemplateView]


def when(moment: Optional[datetime]) -> str:
    return format_time(moment) or "an unknown time"


def took(duration: Optional[float]) -> str:
    return human_duration(duration) if duration is not None else "an unknown time"


NAMED = 5  # containers a message names; the rest are counted, so no message grows with the pod


def named(names: Iterable[str]) -> str:
    """The first few names, and how many more."""
    names = list(names)
    shown = ", ".join(names[:NAMED])
    return shown + (f" and {len(names) - NAMED} more" if len(names) > NAMED else "")


def is_proxy(container: ContainerView) -> bool:
    """A known proxy or agent the app talks through (by name or image)."""
    return helper_words(container.name, container.image).serving


def ships_telemetry(container: ContainerView) -> bool:
    """A log, metrics or trace shipper (by name or image)."""
    return helper_words(container.name, container.image).telemetry


def listening_ports(container: ContainerView) -> List[int]:
    """The ports a container declares, and those its command line says it listens on (--port=5432)."""
    ports = [p.get("containerPort") for p in container.spec.get("ports") or [] if p.get("containerPort")]
    ports += [int(m) for m in PORT_FLAG.findall(container.command_line)]
    return list(dict.fromkeys(ports))


def local_ports(container: ContainerView) -> List[int]:
    """Loopback ports a container points at in its command, args and env: `localhost:8081`, or a port
    variable next to a host variable that is a loopback address (DB_HOST=127.0.0.1, DB_PORT=5432)."""
    env = [e for e in container.spec.get("env") or [] if isinstance(e.get("value"), str)]
    texts = [container.command_line] + [e["value"] for e in env]
    found = [int(m) for text in texts for m in LOOPBACK_PORT.findall(text)]
    if any(e["value"].strip().lower() in LOOPBACK_HOSTS for e in env):
        found += [int(e["value"]) for e in env if "PORT" in (e.get("name") or "").upper()
                  and PORT_NUMBER.match(e["value"].strip())]
    return list(dict.fromkeys(found))


def serves(container: ContainerView) -> bool:
    """A sidecar others may depend on being up: it listens, is probed, or is a known proxy/agent."""
    spec = container.spec
    if spec.get("ports") or "readiness" in container.probes or "startup" in container.probes:
        return True
    return is_proxy(container)


def has_post_start(container: ContainerView) -> bool:
    return bool(((container.spec.get("lifecycle") or {}).get("postStart")))


def ended(pod: PodView) -> bool:
    return pod.phase in ("Succeeded", "Failed")


def apps_done(pod: AnyPod) -> bool:
    """Every app container has terminated (and there is at least one)."""
    apps = pod.apps
    return bool(apps) and all(a.state == "terminated" for a in apps)


def last_app_finish(pod: PodView) -> Tuple[Optional[ContainerView], Optional[datetime]]:
    finished = [(a.finished_at, a) for a in pod.apps if a.state == "terminated" and a.finished_at]
    if not finished:
        return None, None
    moment, app = max(finished, key=lambda pair: pair[0])
    return app, moment


def app_failed(app: ContainerView) -> bool:
    return app.state == "terminated" and (app.exit_code or 0) != 0


def pod_failed(pod: PodView) -> bool:
    """The pod failed, or will once its remaining containers stop: an app failed and is not restarted."""
    if pod.phase == "Failed":
        return True
    return pod.restart_policy == "Never" and any(app_failed(a) for a in pod.apps)


def restart_budget(probe: Optional[dict]) -> float:
    """How long a probe may keep failing before it gives up, in seconds."""
    probe = probe or {}
    return ((probe.get("initialDelaySeconds") or 0)
            + (probe.get("periodSeconds") or 10) * (probe.get("failureThreshold") or 3))


# --- events ---------------------------------------------------------------------------------------

def pod_events(snapshot: Snapshot, pod: PodView, reasons: Iterable[str] = ()) -> List[EventView]:
    """Events about the pod, oldest first; only those with one of `reasons` if any are given."""
    wanted = set(reasons)
    return [e for e in snapshot.events_about("Pod", pod.namespace, pod.name) if not wanted or e.reason in wanted]


def container_events(snapshot: Snapshot, pod: PodView, container: str, reasons: Iterable[str] = (),
                     message: str = "") -> List[EventView]:
    """Events about one container: its fieldPath names it, or (older kubelets) the message does."""
    found = []
    for event in pod_events(snapshot, pod, reasons):
        if event.container is not None and event.container != container:
            continue
        if event.container is None and container not in event.message:
            continue
        if message and message.lower() not in event.message.lower():
            continue
        found.append(event)
    return found


def event_line(event: EventView) -> str:
    times = f" x{event.count}" if event.count > 1 else ""
    return f"event {event.type} {event.reason}{times} at {when(event.last)}: {event.message}"


# --- state lines (evidence) -----------------------------------------------------------------------

def state_line(container: ContainerView, now: Optional[datetime] = None) -> str:
    """One line of evidence: what the container's current state is, with its times."""
    label = f"{container.name} ({container.type})"
    if container.state == "running":
        since = f" since {when(container.started_at)}" if container.started_at else ""
        ran = f" ({took(seconds_between(container.started_at, now))})" if now and container.started_at else ""
        flags = f", started={_flag(container.started)}, ready={_flag(container.ready)}"
        return f"{label}: running{since}{ran}{flags}, restarts {container.restarts}"
    if container.state == "terminated":
        term = container.terminated
        ran = seconds_between(term.started_at, term.finished_at) if term else None
        return (f"{label}: terminated, exit {container.exit_code} ({container.reason or 'no reason'}), "
                 f"started {when(container.started_at)}, finished {when(container.finished_at)}"
                 + (f" after {took(ran)}" if ran is not None else "") + f", restarts {container.restarts}")
    if container.state == "waiting":
        message = f": {container.waiting_message}" if container.waiting_message else ""
        return f"{label}: waiting ({container.reason or 'no reason'}{message}), restarts {container.restarts}"
    return f"{label}: no status reported yet"


def last_state_line(container: ContainerView) -> Optional[str]:
    last = container.last_terminated
    if last is None:
        return None
    return (f"{container.name} last state: terminated, exit {last.exit_code} ({last.reason or 'no reason'}), "
             f"started {when(last.started_at)}, finished {when(last.finished_at)}")


def _flag(value) -> str:
    return "unknown" if value is None else str(bool(value)).lower()


# --- patches -------------------------------------------------------------------------------------

SPEC_ORDER = ("name", "image", "restartPolicy", "command", "args", "workingDir", "ports", "env", "envFrom",
              "resources", "volumeMounts", "securityContext", "lifecycle", "startupProbe", "readinessProbe",
              "livenessProbe")


def section_of(container: ContainerView) -> str:
    """The list of the pod spec the container is in."""
    return "initContainers" if container.type in ("init", "sidecar") else "containers"


def startup_probe_for(spec: dict) -> Optional[dict]:
    """A startupProbe that holds the next containers back until the sidecar serves."""
    if spec.get("startupProbe"):
        return spec["startupProbe"]
    handler = None
    readiness = spec.get("readinessProbe") or {}
    for key in ("httpGet", "tcpSocket", "grpc", "exec"):
        if readiness.get(key):
            handler = {key: readiness[key]}
            break
    if handler is None:
        port = next((p.get("containerPort") for p in spec.get("ports") or [] if p.get("containerPort")), None)
        if port is None:
            return None
        handler = {"tcpSocket": {"port": port}}
    return dict(handler, periodSeconds=1, failureThreshold=30)


def placeholder_probe(name: str) -> Tuple[dict, str]:
    """A startupProbe skeleton for a sidecar nothing can be derived from, and the comment to go with it."""
    probe = {"exec": {"command": ["/bin/sh", "-c", "CHECK-THAT-IT-IS-READY"]}, "periodSeconds": 1,
             "failureThreshold": 30}
    return probe, f"replace CHECK-THAT-IT-IS-READY with a command that succeeds once {name} is ready"


def native_sidecar_spec(spec: dict) -> Tuple[dict, List[str]]:
    """The container as a native sidecar (restartPolicy Always and a startupProbe where one can be made),
    and what the spec alone does not say."""
    out, comments = {}, []
    for key in SPEC_ORDER:
        if key == "restartPolicy":
            out[key] = "Always"
            continue
        value = spec.get(key)
        if key == "startupProbe":
            probe = startup_probe_for(spec)
            if probe:
                out[key] = probe
            else:
                comments.append(f"{spec.get('name')} gets no startupProbe: it declares no port or readinessProbe "
                                "to derive one from; add one if the containers after it need it up")
            continue
        if key == "volumeMounts" and value:
            value = [m for m in value if m.get("mountPath") != SERVICE_ACCOUNT_MOUNT]
        if value:
            out[key] = value
    return out, comments


def patch_target(pod: AnyPod, snapshot: Snapshot) -> Target:
    """Where a change to the pod's spec belongs: its template in the object users write (the CronJob of a
    Job's pod, the Deployment of a ReplicaSet's), or the pod itself."""
    if isinstance(pod, PodTemplateView):
        return Target(pod.kind, pod.namespace, pod.name, pod.path)
    owner = pod.owner or {}
    kind, name = owner.get("kind") or "", owner.get("name") or ""
    if kind == "Job":
        job = snapshot.job_of(pod)
        home = job.patch_home if job else ("Job", name, "spec.template")
        return Target(home[0], pod.namespace, home[1], home[2])
    if kind == "ReplicaSet":
        # a Deployment's ReplicaSets are named <deployment>-<pod-template-hash>
        return Target("Deployment", pod.namespace, name.rsplit("-", 1)[0] if "-" in name else name, "spec.template")
    if kind in ("StatefulSet", "DaemonSet"):
        return Target(kind, pod.namespace, name, "spec.template")
    return Target("Pod", pod.namespace, pod.name, "")


def container_patch(pod: AnyPod, snapshot: Snapshot, container: ContainerView, fields: dict,
                    comments: Iterable[str] = ()) -> Patch:
    """A patch that changes some fields of one container, found by name in its list."""
    fragment = {"spec": {section_of(container): [dict({"name": container.name}, **fields)]}}
    return Patch(patch_target(pod, snapshot), fragment, tuple(comments))


def template_patch(pod: AnyPod, snapshot: Snapshot, fragment: dict, comments: Iterable[str] = ()) -> Patch:
    return Patch(patch_target(pod, snapshot), fragment, tuple(comments))


def migration_patch(container: ContainerView, pod: AnyPod, snapshot: Snapshot) -> Patch:
    """The legacy sidecar moved from containers to initContainers as a native sidecar (Kubernetes >= 1.29)."""
    spec, comments = native_sidecar_spec(container.spec)
    fragment = {"spec": {"initContainers": [spec], "containers": [{"name": container.name, "$patch": "delete"}]}}
    others = [c.name for c in pod.apps + pod.legacy_sidecars if c.name != container.name]
    notes = [f"Kubernetes >= 1.29: move {container.name} from containers to initContainers",
             f"containers: {', '.join(others) or 'the app containers'} unchanged; {container.name} removed from this "
             "list"]
    return template_patch(pod, snapshot, fragment, notes + comments)
