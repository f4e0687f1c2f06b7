"""Pods stuck Terminating with a sidecar still running."""

from kubectl_sidecars.model import PodView
from kubectl_sidecars.model.timeutil import seconds_between
from kubectl_sidecars.rules.catalog import NODES, PODS, WARNING, being_deleted, rule
from kubectl_sidecars.rules.common import named, state_line, took, when
from kubectl_sidecars.snapshot import Snapshot

OVERDUE = 60  # seconds past deletionTimestamp (which already includes the grace period)


# DisruptionTarget reasons that mean the node itself is gone or unreachable.
NODE_LOST_DISRUPTIONS = ("DeletionByTaintManager", "DeletionByPodGC")


def node_lost(pod: PodView):
    """Why the pod's node is lost (status.reason NodeLost, DisruptionTarget by the taint manager), or None."""
    target = pod.conditions.get("DisruptionTarget") or {}
    parts = []
    if pod.reason == "NodeLost":
        parts.append("status.reason: NodeLost")
    if target.get("status") == "True" and target.get("reason") in NODE_LOST_DISRUPTIONS:
        parts.append(f"DisruptionTarget: {target.get('reason')}")
    return ", ".join(parts) or None


@rule("stuck-terminating", WARNING,
      title="A pod is Terminating well past its grace period with a sidecar still running",
      explanation="""
A deleted pod's deletionTimestamp is the moment its grace period ends: by then the kubelet should have sent
SIGTERM, waited, and SIGKILLed whatever was left. A sidecar still running long after it means the kubelet could
not finish the pod: its node is down or unreachable, a preStop hook hangs, or a known bug holds it: #125880
(1.29/1.30) leaves a pod Terminating when one of its native sidecars never started.""",
      remedy="""
Check the node (kubectl get node NODE) and the kubelet's logs; upgrade past the bug fix if a sidecar never
started. As a last resort, force the deletion (kubectl delete pod NAME --grace-period=0 --force), knowing the
containers may still run on the node.""", reads=(PODS, NODES), when=being_deleted)
def stuck_terminating(rule, pod: PodView, snapshot: Snapshot):
    if pod.deleted is None:
        return
    overdue = seconds_between(pod.deleted, snapshot.now)
    if overdue is None or overdue < OVERDUE:
        return
    alive = [c for c in pod.all_sidecars if c.state == "running"]
    if not alive:
        return
    main = alive[0]
    evidence = [f"deletionTimestamp {when(pod.deleted)} (deletion + {pod.grace_period}s grace), {took(overdue)} ago"]
    evidence += [state_line(c, snapshot.now) for c in pod.containers if c.type != "ephemeral"]
    lost = node_lost(pod)
    if lost:
        # The node is gone or unreachable: the states above are the last it reported, and no sidecar holds
        # anything back. Name the cause, not a container.
        evidence.append(lost + (f": {pod.message}" if pod.message else ""))
        message = (f"The pod has been Terminating {took(overdue)} past the end of its {pod.grace_period}s grace "
                   f"period because its node {pod.node} is lost ({lost}): no kubelet can confirm that its "
                   "containers stopped, so the last reported states (still running) stay as they are. The "
                   "sidecars are not the cause.")
        remedy = (f"Check the node: kubectl get node {pod.node or 'NODE'}. Once it is back the kubelet "
                  "finishes the pod; if it is gone for good, delete the Node object, or force the deletion: "
                  f"kubectl delete pod {pod.name} -n {pod.namespace} --grace-period=0 --force (only once "
                  "the machine is really down: the containers may still run on it). A controller then creates "
                  "a replacement.")
        yield rule.finding(None, message, remedy, evidence)
        return
    causes = []
    node = snapshot.node(pod.node)
    if node is not None and node.ready is False:
        causes.append(f"node {pod.node} is NotReady, so its kubelet cannot finish the pod")
    never = [c.name for c in pod.sidecars if not c.started]
    if never:
        causes.append(f"{named(never)} never started, which matches upstream bug #125880 "
                      "(Kubernetes 1.29/1.30)")
    hooks = [c.name for c in alive if ((c.spec.get("lifecycle") or {}).get("preStop"))]
    if hooks:
        causes.append(f"{named(hooks)} has a preStop hook that may hang")
    message = (f"The pod has been Terminating {took(overdue)} past the end of its {pod.grace_period}s grace period, "
               f"and {named(c.name for c in alive)} {'is' if len(alive) == 1 else 'are'} still running"
               + ("; " + "; ".join(causes) if causes else "") + ".")
    remedy = (f"Check the node and its kubelet: kubectl get node {pod.node or 'NODE'}; kubectl describe pod "
              f"{pod.name} -n {pod.namespace}. As a last resort: kubectl delete pod {pod.name} -n "
              f"{pod.namespace} --grace-period=0 --force (the containers may keep running on the node).")
    yield rule.finding(main.name, message, remedy, evidence)
