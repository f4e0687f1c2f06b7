"""Plain init containers that never exit (usually a sidecar that lost, or never had, restartPolicy: Always),
and the init containers a service mesh adds that fail, so the pod never starts."""

from typing import List, Optional, Tuple

from kubectl_sidecars.model import ContainerView, PodView
from kubectl_sidecars.model.classify import helper_evidence
from kubectl_sidecars.model.timeutil import seconds_between
from kubectl_sidecars.model.vocabulary import CAPTURE, MESH_INITS, REGISTRATION, VALIDATION, words
from kubectl_sidecars.rules.catalog import ERROR, INFO, JOBS, NODES, PODS, WARNING, Fix, rule, with_init_containers
from kubectl_sidecars.rules.common import container_patch, ended, last_state_line, named, state_line, took
from kubectl_sidecars.rules.startup import injector_inits
from kubectl_sidecars.rules.versions import kubelet_version
from kubectl_sidecars.snapshot import Snapshot

LONG_INIT = 300     # a plain init container running this long is worth a note whatever it is
HELPER_INIT = 60    # a helper-looking one (a known sidecar name or image, or ports) sooner
PLAIN_WARNING = 900  # a plain init step (a migration, a download) is only a warning after this long
ONE_SHOT_FLAGS = ("--one-time", "-one-time")
ONE_SHOT_ENV = ("GITSYNC_ONE_TIME", "GIT_SYNC_ONE_TIME")


def one_shot(container: ContainerView) -> Optional[str]:
    """Why this init container is a helper's one-shot form, meant to exit (git-sync --one-time, Vault's
    agent-init, any `-init` step), or None."""
    name = words(container.name)
    if "-vault-agent-init-" in name:
        return "the Vault Agent's init container, which exits once it has authenticated and rendered the secrets"
    parts = container.command_line.split()
    flagged = any(part in (flag, flag + "=true", flag + "=1") for part in parts for flag in ONE_SHOT_FLAGS)
    flagged = flagged or any(e.get("name") in ONE_SHOT_ENV and str(e.get("value")).lower() in ("true", "1")
                             for e in container.spec.get("env") or [])
    if flagged:
        return "a one-time run (--one-time), which exits when it is done"
    if name.endswith("-init-") or name.startswith("-init-"):
        return "named as an init step, which exits when it is done"
    return None


def stripped(pod: PodView, snapshot: Snapshot, container: ContainerView) -> bool:
    """The template makes this container a native sidecar, but the pod it produced has no restartPolicy."""
    template = snapshot.template_of(pod)
    declared = template.container(container.name) if template else None
    return declared is not None and declared.type == "sidecar"


@rule("init-never-exits", ERROR,
      title="A plain init container keeps running: the pod stays in Init forever",
      explanation="""
Init containers without restartPolicy run to completion one after the other, and the app containers start only
once all of them exited 0. A plain init container that keeps running (a proxy, a log shipper, `sleep infinity`)
holds the pod in Init:i/N forever. Usually it is a sidecar missing `restartPolicy: Always`, or one whose field
was dropped: a 1.28 API server with the SidecarContainers gate off silently removes it (unless the object already
used it), and so do mutating webhooks built against older API types. An error when the pod template declares
restartPolicy: Always for it, or when it looks like a long-running helper (a known sidecar name or image, or
ports). A plain init step that is merely slow (a migration, a download), or a helper's one-shot form
(git-sync --one-time, vault-agent-init, a `-init` container), is only noted after 5 minutes and a warning
after 15 (5 for vault-agent-init, whose authentication is then not completing).""",
      remedy="""
Give the container restartPolicy: Always (Kubernetes >= 1.29, or 1.28 with the SidecarContainers gate on the
API server and every kubelet). If the field disappears on submit, upgrade the control plane or fix the webhook
that drops it.""", reads=(PODS, JOBS, NODES), when=with_init_containers)
def init_never_exits(rule, pod: PodView, snapshot: Snapshot):
    if pod.deleted or ended(pod) or pod.initialized:
        return
    node_version = kubelet_version(snapshot.node(pod.node))
    for container in pod.inits:
        if container.state != "running":
            continue
        ran = seconds_between(container.started_at, snapshot.now)
        was_stripped = stripped(pod, snapshot, container)
        once = None if was_stripped else one_shot(container)
        helper = None if once else helper_evidence(container.spec)
        ports = [str(p.get("containerPort")) for p in container.spec.get("ports") or [] if p.get("containerPort")]
        if was_stripped:
            severity = ERROR
        elif once or not (helper or ports):
            # a real init step that is slow: a note, a warning once it is very long
            severity = (WARNING if ran is not None and ran > (LONG_INIT if _vault_init(container) else PLAIN_WARNING)
                        else INFO if ran is not None and ran > LONG_INIT else None)
        elif helper:
            severity = ERROR if ran is not None and ran > HELPER_INIT else None
        else:  # only ports: a server, or a step that happens to declare one
            severity = (ERROR if ran is not None and ran > LONG_INIT else
                        WARNING if ran is not None and ran > HELPER_INIT else None)
        if severity is None:
            continue
        evidence = [state_line(container, snapshot.now), f"pod: kubectl {pod.ready} {pod.status}"]
        if node_version is not None:
            evidence.append(f"node {pod.node}: kubelet {node_version[2]}")
        if once or not (was_stripped or helper or ports):
            yield rule.finding(container.name, *_slow_step(pod, container, ran, once), evidence=evidence,
                               severity=severity)
            continue
        reasons = []
        if was_stripped:
            reasons.append("its pod template declares restartPolicy: Always for it but the pod has none: the API "
                           "server (1.28 with the SidecarContainers gate off) or a mutating webhook dropped it")
            evidence.append(f"template initContainers[{container.name}].restartPolicy: Always; pod: not set")
        if helper:
            reasons.append(f"it looks like a sidecar ({helper})")
        if ports:
            reasons.append(f"it declares ports ({', '.join(ports)}), like a server")
        if node_version is not None and node_version[:2] < (1, 29):
            reasons.append(f"its node's kubelet is {node_version[2]}: native sidecars need >= 1.29 "
                           "(1.28 with the SidecarContainers gate)")
        message = (f"{container.name} is a plain init container (no restartPolicy) and has been running for "
                   f"{took(ran)}, so the pod stays in {pod.status} and its app containers never start")
        message += "; " + "; ".join(reasons) + "."
        remedy = Fix("If it is meant to run alongside the app, make it a native sidecar (the patch below). "
                     "This needs Kubernetes >= 1.29 (1.28 with the SidecarContainers gate on the API server and "
                     "the kubelets). If the field is dropped on submit, upgrade the control plane or fix the webhook "
                     "(kubectl get mutatingwebhookconfigurations). If it is a real init step that is only slow, "
                     "ignore this.", (container_patch(pod, snapshot, container, {"restartPolicy": "Always"}),))
        yield rule.finding(container.name, message, remedy, evidence, severity=severity)


def _vault_init(container: ContainerView) -> bool:
    return "-vault-agent-init-" in words(container.name)


def _slow_step(pod: PodView, container: ContainerView, ran: Optional[float], once: Optional[str]):
    """Message and remedy for an init step that is meant to exit and has not yet."""
    logs = f"kubectl logs {pod.name} -n {pod.namespace} -c {container.name}"
    running = (f"{container.name} has been running for {took(ran)}, so the pod stays in {pod.status} and "
               "its app containers have not started")
    if _vault_init(container):
        message = (f"{running}: it is {once}, so authentication to Vault is not completing (or the secrets "
                   "cannot be read).")
        remedy = (f"Read its log ({logs}) for the auth error, then check the Vault role "
                  "(vault.hashicorp.com/role), that the role binds this pod's service account and namespace, and "
                  "that the Vault address is reachable from the pod. It is meant to exit: do not make it a "
                  "sidecar.")
        return message, remedy
    what = f"it is {once}" if once else "it looks like an ordinary init step (no helper name, image or port)"
    message = (f"{running}: {what}, so it is probably slow or waiting for something, not a sidecar missing "
               "restartPolicy: Always.")
    remedy = (f"Read its log ({logs}): a long migration or download only needs time; if it waits for "
              "something that is not there (a database, a lock, a repository it cannot reach), fix that.")
    return message, remedy


# --- mesh-init-failed ----------------------------------------------------------------------------------

MESH_INIT_FAILING = ("CrashLoopBackOff", "RunContainerError", "CreateContainerError", "CreateContainerConfigError",
                     "Error")
MESH_INIT_RETRIES = 3  # a mesh init container running again after this many failures is failing
CAUSES = {
    CAPTURE: ("it writes the iptables rules that send the pod's traffic through the proxy. Usual causes: the "
              "container lacks the NET_ADMIN and NET_RAW capabilities (a Pod Security baseline or restricted "
              "namespace, a policy engine, or a securityContext that drops them), or the node's iptables backend "
              "(nft or legacy) is not the one it uses, or a kernel module it needs is missing"),
    VALIDATION: ("it checks that the mesh's CNI plugin set up the pod's traffic redirection. It fails when the "
                 "pod was created before the CNI agent on its node was ready (the agent just started, crashed, or "
                 "is not chained into the node's CNI configuration), so the redirection was never made"),
    REGISTRATION: ("it registers the service with the mesh's servers and writes the proxy's bootstrap. It fails "
                   "when the servers cannot be reached, or the ACL login or the service registration fails"),
}
REMEDIES = {
    CAPTURE: ("Read its log ({logs}): an iptables permission error means "
              "the capabilities are missing: allow NET_ADMIN and NET_RAW for this namespace, or install the "
              "mesh's CNI plugin, which captures traffic without them (Istio: istio-cni; Linkerd: linkerd-cni). "
              "An iptables error about the table or the backend means the node's iptables mode does not match: "
              "configure the mesh's iptables mode (nft or legacy) for the node's OS."),
    VALIDATION: ("Check the mesh's CNI agent on the pod's node (its DaemonSet pod: Running and Ready?) and "
                 "that it is chained into the node's CNI configuration; once it is, delete this pod so that it "
                 "is created again with the redirection (its controller replaces it)."),
    REGISTRATION: ("Read its log ({logs}) and check that the mesh's servers "
                   "are reachable from the pod and that the service account may log in (ACL auth method)."),
}


def mesh_init(container: ContainerView, listed: List[str]) -> Optional[Tuple[str, str]]:
    """(mesh, what it does) for an init container the mesh added itself; None for the pod's own."""
    if container.name in MESH_INITS:
        mesh, kind = MESH_INITS[container.name]
        return mesh or "the mesh", kind
    if container.name in listed:
        return "Istio", VALIDATION if "validation" in container.name else CAPTURE
    return None


def _failing(container: ContainerView) -> Optional[str]:
    """How a mesh init container is failing now, or None (succeeded, or not failed yet)."""
    if container.state == "waiting" and container.reason in MESH_INIT_FAILING:
        return f"it is waiting in {container.reason} after {container.restarts} restart(s)"
    if container.state == "terminated" and container.exit_code:
        return f"it exited with {container.exit_code} ({container.reason or 'no reason'})"
    last = container.last_terminated
    if container.state == "running" and last and last.exit_code and container.restarts >= MESH_INIT_RETRIES:
        return f"it is running again after failing {container.restarts} times"
    return None


@rule("mesh-init-failed", ERROR,
      title="An init container the service mesh added is failing: the pod never starts",
      explanation="""
Meshes add init containers of their own before the proxy: istio-init, linkerd-init and kuma-init write the
iptables rules that send the pod's traffic through the proxy; istio-validation and linkerd-network-validator
check that the mesh's CNI plugin did it; consul-connect-inject-init registers the service and writes the
proxy's bootstrap. Init containers run to completion in order, so while one of them fails the proxy and the
app never start (kubectl: Init:CrashLoopBackOff or Init:Error; with restartPolicy Never the pod fails). The
proxy is not at fault. Usual causes: missing NET_ADMIN/NET_RAW capabilities (Pod Security baseline or
restricted), an iptables backend (nft or legacy) that does not match the node's, a CNI agent that was not
ready on the node when the pod was created, or, for Consul, servers or ACL login that cannot be reached.
One failure followed by success is not reported.""",
      remedy="""
Read the failing container's previous log. Allow NET_ADMIN and NET_RAW for the namespace or install the mesh's
CNI plugin (capture); fix the node's CNI agent, then recreate the pod (validation); make the mesh's servers
reachable (registration).""", reads=(PODS,), when=with_init_containers)
def mesh_init_failed(rule, pod: PodView, snapshot: Snapshot):
    if pod.deleted or pod.initialized:
        return
    listed = injector_inits(pod)
    for container in pod.inits:
        found = mesh_init(container, listed)
        why = _failing(container) if found else None
        if not why:
            continue
        mesh, kind = found
        last = container.terminated or container.last_terminated
        code = f"exit {last.exit_code}" if last else "no exit code yet"
        evidence = [state_line(container, snapshot.now)]
        if container.last_terminated is not None:
            evidence.append(last_state_line(container))
        if last is not None and last.message:
            evidence.append(f"termination message: {last.message.strip()}")
        evidence.append(f"pod: kubectl {pod.ready} {pod.status}")
        waiting = [c.name for c in pod.all_sidecars + pod.apps]
        message = (f"{container.name}, an init container {mesh} adds, is failing ({why}; {code}), so "
                   f"{named(waiting) or 'the rest of the pod'} cannot start; the proxy is not at fault: "
                   f"{CAUSES[kind]}.")
        logs = f"kubectl logs {pod.name} -n {pod.namespace} -c {container.name} --previous"
        remedy = REMEDIES[kind].format(logs=logs)
        yield rule.finding(container.name, message, remedy, evidence)
