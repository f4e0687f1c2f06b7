"""Plain init containers that never exit: usually a sidecar that lost (or never had) restartPolicy: Always."""

from typing import Optional

from kubectl_sidecars.model import ContainerView, PodView
from kubectl_sidecars.rules.catalog import ERROR, WARNING, rule
from kubectl_sidecars.model.classify import helper_evidence
from kubectl_sidecars.rules.common import ended, q, seconds, state_line, to_yaml, took
from kubectl_sidecars.rules.versions import kubelet_version
from kubectl_sidecars.snapshot import Snapshot

LONG_INIT = 300    # a plain init container running this long is suspicious whatever it is
HELPER_INIT = 60   # a helper-looking one (a known sidecar name or image, or ports) sooner


def template_spec(pod: PodView, snapshot: Snapshot) -> Optional[dict]:
    """The pod template the pod was made from, when the snapshot holds its owner."""
    owner = pod.owner or {}
    if owner.get("kind") == "Job":
        job = snapshot.job(pod.namespace, owner.get("name") or "")
        return (((job or {}).get("spec") or {}).get("template") or {}).get("spec") if job else None
    for workload in snapshot.workloads:
        metadata = workload.get("metadata") or {}
        if metadata.get("name") == owner.get("name") and metadata.get("namespace") == pod.namespace:
            return ((workload.get("spec") or {}).get("template") or {}).get("spec")
    return None


def stripped(pod: PodView, snapshot: Snapshot, container: ContainerView) -> bool:
    """The template makes this container a native sidecar, but the pod it produced has no restartPolicy."""
    spec = template_spec(pod, snapshot) or {}
    return any(c.get("name") == container.name and c.get("restartPolicy") == "Always"
               for c in spec.get("initContainers") or [])


@rule("init-never-exits", ERROR,
      title="A plain init container keeps running: the pod stays in Init forever",
      explanation="""
Init containers without restartPolicy run to completion one after the other, and the app containers start only
once all of them exited 0. A plain init container that keeps running (a proxy, a log shipper, `sleep infinity`)
holds the pod in Init:i/N forever. Usually it is a sidecar missing `restartPolicy: Always`, or one whose field
was dropped: a 1.28 API server with the SidecarContainers gate off silently removes it (unless the object already
used it), and so do mutating webhooks built against older API types. Reported as a warning when the only evidence
is how long it has been running (it may be a slow but legitimate init step).""",
      remedy="""
Give the container restartPolicy: Always (Kubernetes >= 1.29, or 1.28 with the SidecarContainers gate on the
API server and every kubelet). If the field disappears on submit, upgrade the control plane or fix the webhook
that drops it.""")
def init_never_exits(rule, pod: PodView, snapshot: Snapshot):
    if pod.deleted or ended(pod) or (pod.conditions.get("Initialized") or {}).get("status") == "True":
        return
    node_version = kubelet_version(snapshot.node(pod.node))
    for container in pod.inits:
        if container.state != "running":
            continue
        ran = seconds(container.started_at, snapshot.now)
        helper = helper_evidence(container.spec)
        ports = [str(p.get("containerPort")) for p in container.spec.get("ports") or [] if p.get("containerPort")]
        was_stripped = stripped(pod, snapshot, container)
        looks_like_sidecar = bool(helper or ports)
        if not (was_stripped or (looks_like_sidecar and ran is not None and ran > HELPER_INIT)
                or (ran is not None and ran > LONG_INIT)):
            continue
        evidence = [state_line(container, snapshot.now), q(f"pod: kubectl {pod.ready} {pod.status}")]
        reasons = []
        if was_stripped:
            reasons.append("its pod template declares restartPolicy: Always for it but the pod has none: the API "
                           "server (1.28 with the SidecarContainers gate off) or a mutating webhook dropped it")
            evidence.append(q(f"template initContainers[{container.name}].restartPolicy: Always; pod: not set"))
        if helper:
            reasons.append(f"it looks like a sidecar ({q(helper)})")
        if ports:
            reasons.append(f"it declares ports ({', '.join(ports)}), like a server")
        if node_version is not None:
            evidence.append(q(f"node {pod.node}: kubelet {node_version[2]}"))
            if node_version[:2] < (1, 29):
                reasons.append(f"its node's kubelet is {q(node_version[2])}: native sidecars need >= 1.29 "
                               "(1.28 with the SidecarContainers gate)")
        message = (f"{q(container.name)} is a plain init container (no restartPolicy) and has been running for "
                   f"{took(ran)}, so the pod stays in {q(pod.status)} and its app containers never start")
        message += ("; " + "; ".join(reasons) if reasons else "; if it is meant to keep running, it must be a "
                    "native sidecar") + "."
        snippet = {"spec": {"initContainers": [{"name": container.name, "restartPolicy": "Always"}]}}
        remedy = ("If it is meant to run alongside the app, make it a native sidecar:\n" + to_yaml(snippet)
                  + "\nThis needs Kubernetes >= 1.29 (1.28 with the SidecarContainers gate on the API server and "
                  "the kubelets). If the field is dropped on submit, upgrade the control plane or fix the webhook "
                  "(kubectl get mutatingwebhookconfigurations). If it is a real init step that is only slow, "
                  "ignore this.")
        severity = ERROR if was_stripped or looks_like_sidecar else WARNING
        yield rule.finding(container.name, message, remedy, evidence, severity=severity)
