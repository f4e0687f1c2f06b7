"""Helpers the rule families share: timestamps and durations as the report prints them, the events
about one container, which sidecars serve something, and the YAML of a migrated container."""

import functools
import re
from datetime import datetime, timezone
from typing import Dict, Iterable, List, Optional, Tuple

from kubectl_sidecars.model import ContainerView, PodView
from kubectl_sidecars.model.classify import image_repository, words
from kubectl_sidecars.model.timeutil import format_time, human_duration, parse_time
from kubectl_sidecars.model.timeutil import seconds_between as seconds  # noqa: F401 (the rules' name for it)
from kubectl_sidecars.snapshot import Snapshot

DEFAULT_GRACE = 30
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
SERVICE_ACCOUNT_MOUNT = "/var/run/secrets/kubernetes.io/serviceaccount"
# Names and images of helpers that others talk to over the network (or read files from).
SERVING_WORDS = ("proxy", "proxyv2", "envoy", "istio-proxy", "linkerd-proxy", "cloud-sql-proxy", "cloudsql-proxy",
                 "vault-agent", "pgbouncer", "daprd", "kuma-dp", "consul-dataplane", "oauth2-proxy")


def when(moment: Optional[datetime]) -> str:
    return format_time(moment) or "an unknown time"


def took(seconds: Optional[float]) -> str:
    return human_duration(seconds) if seconds is not None else "an unknown time"


# Names and images of helpers that ship the pod's logs, metrics or traces somewhere: an app does not wait
# for them, and failing to reach one is not why an app exits.
TELEMETRY_WORDS = ("fluent-bit", "fluentbit", "fluentd", "filebeat", "promtail", "vector", "otel", "otelcol",
                   "otel-collector", "opentelemetry-collector", "opentelemetry", "datadog", "datadog-agent",
                   "dd-agent", "log-shipper", "logshipper", "log-forwarder", "log-agent", "jaeger-agent",
                   "xray-daemon", "alloy", "metrics-collector", "telegraf", "statsd", "statsd-exporter",
                   "exporter", "splunk", "logrotate", "log", "logs", "logging", "metrics", "telemetry", "tracing")
LOOPBACK_PORT = re.compile(r"(?:localhost|127\.0\.0\.1|\[::1\]|0\.0\.0\.0):(\d{1,5})\b", re.I)
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1", "0.0.0.0")
PORT_NUMBER = re.compile(r"^[0-9]{1,5}$")  # not str.isdigit(): it takes "²", which int() refuses
PORT_FLAG = re.compile(r"--?(?:[\w-]*-)?port[= ](\d{1,5})\b")


def _name_words(container: ContainerView) -> str:
    return words(container.name) + words(image_repository(container.image))


def is_proxy(container: ContainerView) -> bool:
    """A known proxy or agent the app talks through (by name or image)."""
    text = _name_words(container)
    return any(f"-{w}-" in text for w in SERVING_WORDS)


def ships_telemetry(container: ContainerView) -> bool:
    """A log, metrics or trace shipper (by name or image)."""
    text = _name_words(container)
    return any(f"-{w}-" in text for w in TELEMETRY_WORDS)


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
    text = words(container.name) + words(image_repository(container.image))
    return any(f"-{w}-" in text for w in SERVING_WORDS)


def has_post_start(container: ContainerView) -> bool:
    return bool(((container.spec.get("lifecycle") or {}).get("postStart")))


def ended(pod: PodView) -> bool:
    return pod.phase in ("Succeeded", "Failed")


def apps_done(pod: PodView) -> bool:
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

FIELD_PATH = re.compile(r"^spec\.(?:initContainers|containers|ephemeralContainers)\{(?P<name>[^}]*)\}$")


def event_time(event: dict) -> Optional[datetime]:
    for key in ("lastTimestamp", "eventTime", "firstTimestamp"):
        moment = parse_time(event.get(key))
        if moment:
            return moment
    series = event.get("series") or {}
    return parse_time(series.get("lastObservedTime")) or parse_time((event.get("metadata") or {})
                                                                    .get("creationTimestamp"))


def event_container(event: dict) -> Optional[str]:
    involved = event.get("involvedObject") or event.get("regarding") or {}
    match = FIELD_PATH.match(involved.get("fieldPath") or "")
    return match.group("name") if match else None


def pod_events(snapshot: Snapshot, pod: PodView, reasons: Iterable[str] = ()) -> List[dict]:
    wanted = set(reasons)
    found = [e for e in snapshot.events_about("Pod", pod.namespace, pod.name)
             if not wanted or e.get("reason") in wanted]
    return sorted(found, key=lambda e: event_time(e) or EPOCH)


def container_events(snapshot: Snapshot, pod: PodView, container: str, reasons: Iterable[str] = (),
                     message: str = "") -> List[dict]:
    """Events about one container: its fieldPath names it, or (older kubelets) the message does."""
    found = []
    for event in pod_events(snapshot, pod, reasons):
        named = event_container(event)
        text = event.get("message") or event.get("note") or ""
        if named is not None and named != container:
            continue
        if named is None and container not in text:
            continue
        if message and message.lower() not in text.lower():
            continue
        found.append(event)
    return found


def event_line(event: dict) -> str:
    count = event.get("count") or (event.get("series") or {}).get("count") or 1
    times = f" x{count}" if count and count > 1 else ""
    text = event.get("message") or event.get("note") or ""
    return (f"event {event.get('type') or 'Normal'} {event.get('reason') or ''}{times} "
            f"at {when(event_time(event))}: {text}")


# --- state lines (evidence) -----------------------------------------------------------------------

def state_line(container: ContainerView, now: Optional[datetime] = None) -> str:
    """One line of evidence: what the container's current state is, with its times."""
    label = f"{container.name} ({container.type})"
    if container.state == "running":
        since = f" since {when(container.started_at)}" if container.started_at else ""
        ran = f" ({took(seconds(container.started_at, now))})" if now and container.started_at else ""
        flags = f", started={_flag(container.started)}, ready={_flag(container.ready)}"
        return f"{label}: running{since}{ran}{flags}, restarts {container.restarts}"
    if container.state == "terminated":
        term = container.terminated
        ran = seconds(term.started_at, term.finished_at) if term else None
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


# --- YAML snippets --------------------------------------------------------------------------------

class Note(str):
    """A mapping value printed as a YAML comment instead of a key: `# key: text`."""

    def __repr__(self) -> str:  # unlike the same text as a value, for to_yaml's memory
        return f"Note({str.__repr__(self)})"


_NOTE_MARK = "~note~ "
_NOTE_LINE = re.compile(r"^(?P<pad>\s*)(?P<key>[^:]+): '" + re.escape(_NOTE_MARK) + r"(?P<text>.*)'$")


@functools.lru_cache(maxsize=None)
def _snippet_dumper(pure_python: bool = False):
    import yaml

    # libyaml's emitter where present (remedies are written for thousands of pods); both emitters write
    # the same block-style text for these small documents.
    class SnippetDumper(yaml.SafeDumper if pure_python else getattr(yaml, "CSafeDumper", yaml.SafeDumper)):
        """A dumper of our own, so that the Note representer stays out of PyYAML's shared one."""

    SnippetDumper.add_representer(Note, lambda dumper, note: dumper.represent_scalar(
        "tag:yaml.org,2002:str", _NOTE_MARK + note, style="'"))
    return SnippetDumper


def to_yaml(value, indent: int = 0) -> str:
    """A Kubernetes snippet for a remedy; Note values become comments. The replicas of one workload share
    their containers, so each distinct snippet is written once."""
    key = (repr(value), indent)
    if key not in _WRITTEN:
        _WRITTEN[key] = _write_yaml(value, indent)
    return _WRITTEN[key]


_WRITTEN: Dict[Tuple[str, int], str] = {}


def _write_yaml(value, indent: int) -> str:
    import yaml

    options = dict(default_flow_style=False, sort_keys=False, allow_unicode=True, width=1 << 20, indent=2)
    try:
        text = yaml.dump(value, Dumper=_snippet_dumper(), **options)
    except UnicodeEncodeError:  # libyaml takes UTF-8 only; PyYAML's emitter escapes a lone surrogate ("\uD800")
        text = yaml.dump(value, Dumper=_snippet_dumper(pure_python=True), **options)
    lines = []
    for line in text.splitlines():
        note = _NOTE_LINE.match(line)
        if note:
            line = f"{note['pad']}# {note['key']}: {note['text']}".replace("''", "'")
        lines.append(" " * indent + line)
    return "\n".join(lines)


SPEC_ORDER = ("name", "image", "restartPolicy", "command", "args", "workingDir", "ports", "env", "envFrom",
              "resources", "volumeMounts", "securityContext", "lifecycle", "startupProbe", "readinessProbe",
              "livenessProbe")
MAX_ENV = 6


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
    return probe, f"# replace CHECK-THAT-IT-IS-READY with a command that succeeds once {name} is ready"


def native_sidecar_spec(spec: dict) -> dict:
    """The container as a native sidecar: restartPolicy Always and a startupProbe where one can be made."""
    out = {}
    for key in SPEC_ORDER:
        if key == "restartPolicy":
            out[key] = "Always"
            continue
        value = spec.get(key)
        if key == "startupProbe":
            probe = startup_probe_for(spec)
            out[key] = probe if probe else Note("none: it declares no port or readinessProbe to derive one "
                                                "from; add one if the containers after it need it up")
            continue
        if key == "volumeMounts" and value:
            value = [m for m in value if m.get("mountPath") != SERVICE_ACCOUNT_MOUNT]
        if key == "env" and value and len(value) > MAX_ENV:
            out[key] = Note(f"{len(value)} variables, unchanged")
            continue
        if value:
            out[key] = value
    return out


def migrated_sidecar_snippet(container: ContainerView, pod: PodView, where: str = "") -> str:
    """YAML of the pod template with the legacy sidecar moved to initContainers."""
    spec = native_sidecar_spec(container.spec)
    others = [c.name for c in pod.apps + pod.legacy_sidecars if c.name != container.name]
    template = {"initContainers": [spec]}
    lines = [f"# {where or 'the pod'} (Kubernetes >= 1.29): move {container.name} from containers to "
             "initContainers",
             "spec:"]
    lines.append(to_yaml(template, 2))
    lines.append("  containers:")
    lines.append(f"    # {', '.join(others) or 'the app containers'}: unchanged; "
                 f"{container.name} removed from this list")
    return "\n".join(lines)


def template_path(pod: PodView, snapshot: Snapshot) -> str:
    """Where the pod's spec comes from, for remedies: 'CronJob x: spec.jobTemplate.spec.template'..."""
    owner = pod.owner or {}
    if owner.get("kind") == "Job":
        job = snapshot.job(pod.namespace, owner.get("name") or "")
        refs = ((job or {}).get("metadata") or {}).get("ownerReferences") or []
        cron = next((r for r in refs if r.get("kind") == "CronJob"), None)
        if cron:
            return f"CronJob {cron.get('name')}, under spec.jobTemplate.spec.template"
        return f"Job {owner.get('name')}, under spec.template"
    if owner.get("kind") == "ReplicaSet":
        return "the Deployment, under spec.template"
    if owner.get("kind") in ("StatefulSet", "DaemonSet"):
        return f"{owner['kind']} {owner.get('name')}, under spec.template"
    return "the pod"
