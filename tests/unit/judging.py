"""Running the rules on objects from tests/factory.py, and reading their findings, for the rule tests."""

from typing import Sequence

from kubectl_sidecars.snapshot import EVENTS, KINDS, Snapshot
from tests.factory import at


def snapshot(*pods: dict, jobs: Sequence[dict] = (), events: Sequence[dict] = (), nodes: Sequence[dict] = (),
             now: float = 600, workloads: Sequence[dict] = (), events_read: bool = True) -> Snapshot:
    """What the plugin would read `now` seconds after T0; ``events_read=False``: listing Events was refused."""
    return Snapshot.of(at(now), pods=pods, jobs=jobs, events=events, nodes=nodes, workloads=workloads,
                       read=KINDS if events_read else set(KINDS) - {EVENTS})


def findings_of(pod_dict: dict, **snapshot_args):
    """pod_findings() of one pod in a snapshot holding it (plus whatever else is given)."""
    from kubectl_sidecars.engine import pod_findings

    snap = snapshot(pod_dict, **snapshot_args)
    return pod_findings(snap.pods[0], snap)


def verdict_of(job_dict: dict, snap: Snapshot):
    """The verdict on one Job of the snapshot, its pods judged first, as the engine does it."""
    from kubectl_sidecars.engine import judge

    name = job_dict["metadata"]["name"]
    return next(v for v in judge(snap, strict=True).verdicts if v.name == name)


def shown(finding) -> str:
    """A finding's remedy as the report prints it: the prose, then its patches as YAML."""
    from kubectl_sidecars.render.patches import patch_yaml

    return "\n".join([finding.remedy] + [patch_yaml(p) for p in finding.patches])


def with_code(findings, code: str):
    return [f for f in findings if f.code == code]


def serious(findings):
    """Findings of warning or above, as (code, container)."""
    return [(f.code, f.container) for f in findings if f.severity in ("error", "warning")]
