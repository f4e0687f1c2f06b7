"""The `status` tables: one row per pod, or one row per container."""

from datetime import datetime
from typing import Callable, Iterator, List, Optional, Sequence, Tuple

from kubectl_sidecars.model import ContainerView, PodView
from kubectl_sidecars.model.classify import APP, INIT, LEGACY, SIDECAR
from kubectl_sidecars.model.timeutil import age
from kubectl_sidecars.render.style import Table, painted
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


class PodsTable:
    """`status`'s table, one row per pod, as pods come. A pod whose ISSUES wait on its Job's verdict is added
    with `later=True` and its cell is completed by finish()."""

    def __init__(self, now: datetime, namespaces: bool, wide: bool, colour: bool):
        self.now, self.namespaces, self.wide, self.colour = now, namespaces, wide, colour
        headers = ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "INIT", "SIDECARS", "APP", "OWNER", "ISSUES"]
        if wide:
            headers += ["NODE", "CONTAINERS"]
        self.table = Table((["NAMESPACE"] if namespaces else []) + headers)
        self.issues_column = self.table.headers.index("ISSUES")
        self.waiting: List[Tuple[int, PodView, List[Finding]]] = []

    def add(self, pod: PodView, findings: List[Finding], later: bool = False) -> None:
        apps = pod.apps
        line = [pod.name, pod.ready, pod.status, restarts_cell(pod, self.now), age(pod.created, self.now),
                init_cell(pod), sidecars_cell(pod), f"{_running(apps)}/{len(apps)}", owner_cell(pod),
                issues_cell(findings, self.colour)]
        if self.wide:
            line += [pod.node or "<none>", names_cell(pod)]
        row = self.table.add(([pod.namespace] if self.namespaces else []) + line)
        if later:
            self.waiting.append((row, pod, findings))

    def __len__(self) -> int:
        """Rows added."""
        return len(self.table.rows)

    def lines(self, more_findings: Callable[[PodView], List[Finding]] = lambda pod: []) -> Iterator[str]:
        """The table, each waiting pod's ISSUES with more_findings(pod) (its Job's) added."""
        for row, pod, findings in self.waiting:
            self.table.set_cell(row, self.issues_column, issues_cell(findings + more_findings(pod), self.colour))
        self.waiting = []
        return self.table.lines()


def pods_table(rows: List[Row], now: datetime, namespaces: bool, wide: bool, colour: bool) -> str:
    table = PodsTable(now, namespaces, wide, colour)
    for pod, findings in rows:
        table.add(pod, findings)
    return "\n".join(table.lines())


def reason_cell(container: ContainerView) -> str:
    if container.state == "terminated":
        return f"{container.reason or 'ExitCode'} ({container.exit_code})"
    return container.reason or ""


def _flag(value: Optional[bool]) -> str:
    return "-" if value is None else str(value).lower()


class ContainersTable:
    """`status --containers`: one row per container, as pods come."""

    def __init__(self, now: datetime, namespaces: bool, with_pod: bool):
        self.now, self.namespaces, self.with_pod = now, namespaces, with_pod
        headers = ["CONTAINER", "TYPE", "#", "STATE", "REASON/EXIT", "STARTED", "READY", "RESTARTS", "AGE",
                   "IMAGE", "PROBES"]
        self.table = Table((["NAMESPACE"] if namespaces else []) + (["POD"] if with_pod else []) + headers)

    def add(self, pod: PodView, findings: List[Finding] = (), later: bool = False) -> None:
        prefix = ([pod.namespace] if self.namespaces else []) + ([pod.name] if self.with_pod else [])
        now = self.now
        for c in pod.containers:
            self.table.add(prefix + [c.name, c.type, str(c.index), c.state, reason_cell(c), _flag(c.started),
                                     _flag(c.ready), str(c.restarts), age(c.started_at, now) if c.started_at else "-",
                                     c.image, ",".join(c.probes) or "-"])

    def __len__(self) -> int:
        """Rows added."""
        return len(self.table.rows)

    def lines(self, more_findings: Callable[[PodView], List[Finding]] = lambda pod: []) -> Iterator[str]:
        return self.table.lines()


def containers_table(rows: List[Row], now: datetime, namespaces: bool, with_pod: bool) -> str:
    table = ContainersTable(now, namespaces, with_pod)
    for pod, findings in rows:
        table.add(pod, findings)
    return "\n".join(table.lines())
