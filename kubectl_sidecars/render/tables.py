"""The `status` tables: one row per pod, or one row per container."""

from datetime import datetime
from typing import List, Optional, Sequence, Tuple

from kubectl_sidecars.model import ContainerView, PodView
from kubectl_sidecars.model.classify import APP, INIT, LEGACY, SIDECAR
from kubectl_sidecars.model.timeutil import age
from kubectl_sidecars.render.style import painted, table
from kubectl_sidecars.rules.catalog import Finding, severity_rank

Row = Tuple[PodView, List[Finding]]


def restarts_cell(pod: PodView, now: datetime) -> str:
    if pod.restarts and pod.last_restart:
        return f"{pod.restarts} ({age(pod.last_restart, now)} ago)"
    return str(pod.restarts)


def _running(containers: Sequence[ContainerView]) -> int:
    return sum(c.state == "running" for c in containers)


def init_cell(pod: PodView) -> str:
    inits = pod.inits
    done = sum(c.state == "terminated" and c.exit_code == 0 for c in inits)
    return f"{done}/{len(inits)}" if inits else "-"


def sidecars_cell(pod: PodView) -> str:
    native, legacy = pod.sidecars, pod.legacy_sidecars
    if not native:
        return f"{len(legacy)} legacy" if legacy else "-"
    cell = f"{sum(c.state == 'running' and bool(c.started) for c in native)}/{len(native)}"
    return f"{cell} +{len(legacy)} legacy" if legacy else cell


def owner_cell(pod: PodView) -> str:
    return f"{pod.owner['kind']}/{pod.owner['name']}" if pod.owner else "<none>"


def issues_cell(findings: List[Finding], colour: bool):
    """The worst finding's code, and how many more: enough to know where to run diagnose."""
    if not findings:
        return ""
    worst = max(findings, key=lambda f: severity_rank(f.severity))
    more = f" (+{len(findings) - 1})" if len(findings) > 1 else ""
    return painted(worst.code + more, worst.severity, colour)


def names_cell(pod: PodView) -> str:
    groups = [(INIT, "init"), (SIDECAR, "sidecar"), (LEGACY, "legacy"), (APP, "app")]
    parts = [f"{label}={','.join(c.name for c in pod.of_type(kind))}" for kind, label in groups if pod.of_type(kind)]
    return " ".join(parts) or "<none>"


def pods_table(rows: List[Row], now: datetime, namespaces: bool, wide: bool, colour: bool) -> str:
    headers = ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "INIT", "SIDECARS", "APP", "OWNER", "ISSUES"]
    if wide:
        headers += ["NODE", "CONTAINERS"]
    body = []
    for pod, findings in rows:
        apps = pod.apps
        line = [pod.name, pod.ready, pod.status, restarts_cell(pod, now), age(pod.created, now), init_cell(pod),
                sidecars_cell(pod), f"{_running(apps)}/{len(apps)}", owner_cell(pod), issues_cell(findings, colour)]
        if wide:
            line += [pod.node or "<none>", names_cell(pod)]
        body.append(([pod.namespace] if namespaces else []) + line)
    return table((["NAMESPACE"] if namespaces else []) + headers, body)


def reason_cell(container: ContainerView) -> str:
    if container.state == "terminated":
        return f"{container.reason or 'ExitCode'} ({container.exit_code})"
    return container.reason or ""


def _flag(value: Optional[bool]) -> str:
    return "-" if value is None else str(value).lower()


def containers_table(rows: List[Row], now: datetime, namespaces: bool, with_pod: bool) -> str:
    headers = ["CONTAINER", "TYPE", "#", "STATE", "REASON/EXIT", "STARTED", "READY", "RESTARTS", "AGE", "IMAGE",
               "PROBES"]
    prefix = (["NAMESPACE"] if namespaces else []) + (["POD"] if with_pod else [])
    body = []
    for pod, _ in rows:
        for c in pod.containers:
            line = [c.name, c.type, str(c.index), c.state, reason_cell(c), _flag(c.started), _flag(c.ready),
                    str(c.restarts), age(c.started_at, now) if c.started_at else "-", c.image,
                    ",".join(c.probes) or "-"]
            body.append(([pod.namespace] if namespaces else []) + ([pod.name] if with_pod else []) + line)
    return table(prefix + headers, body)
