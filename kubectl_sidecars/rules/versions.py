"""Nodes that cannot run native sidecars: kubelets older than the feature, or that reject the pod."""

from typing import Iterator, Optional, Tuple

from kubectl_sidecars.model import PodView
from kubectl_sidecars.model.manifest import ManifestTemplate, as_manifest
from kubectl_sidecars.model.objects import NodeView, PodTemplateView
from kubectl_sidecars.rules.catalog import ERROR, EVENTS, LIVE_POD, NODES, POD_TEMPLATE, PODS, WARNING, rule
from kubectl_sidecars.rules.common import event_line, named, pod_events
from kubectl_sidecars.snapshot import Snapshot

# The kubelet's admission rejection of a pod with restartable init containers it cannot run
# (pkg/kubelet/lifecycle: InitContainerRestartPolicyForbidden); "SidecarForbidden" is accepted as well.
FORBIDDEN_REASONS = ("InitContainerRestartPolicyForbidden", "SidecarForbidden")
FORBIDDEN_MESSAGE = "may not have a non-default restartPolicy"
NATIVE_SIDECARS = (1, 29)  # beta and on by default; 1.28 had them alpha, behind the SidecarContainers gate


def kubelet_version(node: Optional[NodeView]) -> Optional[Tuple[int, int, str]]:
    """(major, minor, text) of a Node's kubelet, None when unknown."""
    if node is None or node.kubelet_version is None:
        return None
    return node.kubelet_version + (node.kubelet,)


@rule("native-sidecars-unsupported", ERROR,
      title="Native sidecars on a node whose kubelet cannot run them",
      explanation="""
Native sidecars (initContainers with restartPolicy: Always) need kubelets that know them: beta and on by default
from 1.29, alpha and off by default in 1.28 (feature gate SidecarContainers), GA from 1.33. A kubelet without the
feature rejects such pods (reason SidecarForbidden) or, older still, ignores the field and runs the sidecar as a
plain init container that never exits. The API server may be newer than the nodes (version skew), so a pod can
be accepted and still land on a node that cannot run it. Istio 1.27 only turns native sidecars on where every
kubelet is >= 1.33 for this reason. `lint --kube-version` judges pod templates against the target cluster the
same way: below 1.28 the API server does not know the field, and 1.28 has it off by default.""",
      remedy="""
Upgrade the node pool to kubelet >= 1.29 (or enable the SidecarContainers gate on 1.28 kubelets), or keep these
pods off older nodes with a nodeSelector/nodeAffinity on a label of the upgraded pool.""", reads=(PODS, EVENTS, NODES),
      judges=(LIVE_POD, POD_TEMPLATE))
def native_sidecars_unsupported(rule, pod: PodView, snapshot: Snapshot):
    if isinstance(pod, PodTemplateView):  # lint: the version comes from --kube-version
        yield from unsupported_by_version(rule, pod)
        return
    target = pod.sidecars[0].name if pod.sidecars else None
    forbidden = pod_events(snapshot, pod, FORBIDDEN_REASONS)
    forbidden += [e for e in pod_events(snapshot, pod) if FORBIDDEN_MESSAGE in e.message
                  and e not in forbidden]
    if forbidden or pod.status in FORBIDDEN_REASONS:
        reason = pod.status if pod.status in FORBIDDEN_REASONS else forbidden[-1].reason
        evidence = [f"pod: phase {pod.phase}, status {pod.status}"] + [event_line(e) for e in forbidden[-2:]]
        version = kubelet_version(snapshot.node(pod.node))
        if version is not None:
            evidence.append(f"node {pod.node}: kubelet {version[2]}")
        message = (f"The kubelet on node {pod.node or 'unknown'} rejected the pod ({reason})"
                   + (f": kubelet {version[2]} does not run native sidecars" if version else
                      ": it does not run native sidecars")
                   + (" (1.28 needs the SidecarContainers feature gate)" if version and version[:2] == (1, 28)
                      else "")
                   + f", so {named(c.name for c in pod.sidecars) or 'the sidecar'} never ran and the pod "
                   "failed.")
        yield rule.finding(target, message, evidence=evidence)
        return
    if not pod.sidecars or not pod.node:
        return
    version = kubelet_version(snapshot.node(pod.node))
    if version is None:
        return
    major_minor, text = version[:2], version[2]
    evidence = [f"node {pod.node}: kubelet {text}",
                f"native sidecars: {named(c.name for c in pod.sidecars)}",
                f"pod: kubectl {pod.ready} {pod.status}"]
    if major_minor < (1, 28):
        message = (f"Node {pod.node} runs kubelet {text}, which predates native sidecars (1.28 alpha, 1.29 "
                   f"beta): {named(c.name for c in pod.sidecars)} cannot run there as "
                   f"{'native sidecars' if len(pod.sidecars) > 1 else 'a native sidecar'}.")
        yield rule.finding(target, message, evidence=evidence)
    elif major_minor == (1, 28):
        working = any(c.started for c in pod.sidecars) or \
            pod.initialized
        if working:
            return  # the gate is evidently on
        message = (f"Node {pod.node} runs kubelet {text}: native sidecars need the SidecarContainers feature "
                   "gate there (alpha, off by default), and whether it is on cannot be seen from the API; the "
                   "pod's sidecars have not started.")
        yield rule.finding(target, message, evidence=evidence, severity=WARNING)


def assumed_version(template: ManifestTemplate) -> str:
    """How a message names the Kubernetes version it judged against."""
    if template.kube_version is None:
        return "Kubernetes >= 1.29 assumed (no --kube-version)"
    return "Kubernetes {}.{} (--kube-version)".format(*template.kube_version)


def unsupported_by_version(rule, template: PodTemplateView) -> Iterator:
    """native-sidecars-unsupported for a template judged against --kube-version (nothing without it: the
    version is then assumed to have them, which every message of lint says)."""
    template = as_manifest(template)
    version = template.kube_version
    if not template.sidecars or version is None or version >= NATIVE_SIDECARS:
        return
    names = named(c.name for c in template.sidecars)
    text = "{}.{}".format(*version)
    if version < (1, 28):
        message = (f"Kubernetes {text} predates native sidecars: its API server does not know restartPolicy on "
                   f"initContainers and rejects the field (strict field validation) or drops it, so {names} would "
                   "run as plain init containers that never exit and the pods would stay in Init.")
    else:
        message = (f"Kubernetes 1.28 has native sidecars only behind the SidecarContainers feature gate (alpha, off "
                   f"by default): unless the gate is on in the API server and every kubelet, the API server drops "
                   f"restartPolicy from {names}, which then run as plain init containers that never exit.")
    yield rule.finding(template.sidecars[0].name, message,
                       evidence=[f"native sidecars: {names}", f"--kube-version {text}"])

