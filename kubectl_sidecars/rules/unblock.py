"""How to let a run-to-completion pod held by a legacy sidecar finish now, without rerunning its work.

Deleting the pod is what users reach for, but the Job controller then counts a failure and creates a new
pod that hangs the same way. What lets *this* run finish is the helper exiting 0: the pod's phase becomes
Succeeded when every container exited 0 (Failed when one exited non-zero; with restartPolicy Never that
counts against backoffLimit). Most helpers have an endpoint for exactly that, reachable only from the pod's
own network namespace; an ephemeral container (kubectl debug) shares it even when the app has ended.
"""

import re
from typing import List, Optional

from kubectl_sidecars.model import ContainerView, PodView
from kubectl_sidecars.model.vocabulary import image_repository, words

# Istio: pilot-agent's status server (port 15020) serves POST /quitquitquit to requests from localhost and
# shuts the agent and its Envoy down cleanly (istio/istio pilot/cmd/pilot-agent/status/server.go,
# handleQuit); `pilot-agent request --debug-port 15020` sends it from inside the proxy container
# (pilot/cmd/pilot-agent/app/request.go allows ports 15000, 15020, 15021, 15004).
ISTIO_STATUS_PORT = 15020
# Linkerd: the proxy's admin server (port 4191) serves POST /shutdown on the loopback interface only
# (linkerd/linkerd2-proxy#811). It is off by default since edge-24.6.2 (linkerd/linkerd2 35fb2d6): the
# config.linkerd.io/proxy-admin-shutdown: enabled annotation turns it on, through the proxy's
# LINKERD2_PROXY_SHUTDOWN_ENDPOINT_ENABLED variable (linkerd/linkerd2-proxy#3014).
LINKERD_ADMIN_PORT = 4191
LINKERD_SHUTDOWN_ENV = "LINKERD2_PROXY_SHUTDOWN_ENDPOINT_ENABLED"
LINKERD_SHUTDOWN_ANNOTATION = "config.linkerd.io/proxy-admin-shutdown"
# Cloud SQL Auth Proxy v2: --quitquitquit adds /quitquitquit (GET or POST) to its localhost-only admin
# server, on --admin-port (default 9091), and the proxy then exits gracefully
# (GoogleCloudPlatform/cloud-sql-proxy cmd/root.go, "Localhost Admin Server"). Without the flag there is
# no such endpoint, and it cannot be added to a running container.
CLOUD_SQL_ADMIN_PORT = 9091
CLOUD_SQL_WORDS = ("-cloud-sql-proxy-", "-cloudsql-proxy-", "-cloud-sql-auth-proxy-", "-gce-proxy-")
ADMIN_PORT_FLAG = re.compile(r"--admin-port[= ](\d{1,5})\b")
QUITQUITQUIT_FLAG = re.compile(r"--quitquitquit(?:=(?:true|1))?(?:\s|$)")
# An image that has curl, for an ephemeral container in the pod's network namespace.
CURL_IMAGE = "curlimages/curl"

WHAT_ZERO_DOES = ("Once it exits 0 the pod ends as its app did (Succeeded when the app succeeded) and the Job "
                  "counts that result.")
WHAT_NONZERO_DOES = ("Any exit other than 0 makes the pod Failed, which with restartPolicy Never counts against "
                     "the Job's backoffLimit.")


def _debug_curl(pod: PodView, url: str) -> str:
    return (f"kubectl debug {pod.name} -n {pod.namespace} --image={CURL_IMAGE} -- "
            f"curl -fsS -X POST {url}")


def _mesh(container: ContainerView) -> Optional[str]:
    evidence = container.evidence or ""
    name_words = words(container.name) + words(image_repository(container.image))
    if "Istio" in evidence or "-istio-proxy-" in name_words or "-proxyv2-" in name_words:
        return "istio"
    if "Linkerd" in evidence or "-linkerd-proxy-" in name_words:
        return "linkerd"
    if any(w in name_words for w in CLOUD_SQL_WORDS):
        return "cloud-sql"
    return None


def _env(container: ContainerView, name: str) -> Optional[str]:
    for entry in container.spec.get("env") or []:
        if entry.get("name") == name and isinstance(entry.get("value"), str):
            return entry["value"]
    return None


def _linkerd_lines(container: ContainerView, pod: PodView) -> List[str]:
    enabled = _env(container, LINKERD_SHUTDOWN_ENV)
    annotation = pod.annotations.get(LINKERD_SHUTDOWN_ANNOTATION)
    url = f"http://localhost:{LINKERD_ADMIN_PORT}/shutdown"
    if (enabled or "").lower() == "false" or (enabled is None and annotation not in (None, "enabled")):
        return [f"{container.name}'s admin /shutdown endpoint is disabled ({LINKERD_SHUTDOWN_ENV}="
                f"{enabled or 'unset'}; Linkerd >= edge-24.6.2 turns it off unless the pod has "
                f"{LINKERD_SHUTDOWN_ANNOTATION}: enabled), so the running proxy cannot be told to exit; for the "
                "next runs, add that annotation and wrap the app's command in `linkerd-await --shutdown --`, or "
                "better make the proxy a native sidecar."]
    return [f"Tell {container.name} to exit (its admin server takes POST /shutdown from inside the pod only; "
            "an ephemeral container shares the pod's network):",
            f"  {_debug_curl(pod, url)}",
            "(If the endpoint answers 404, it is disabled: Linkerd >= edge-24.6.2 needs the "
            f"{LINKERD_SHUTDOWN_ANNOTATION}: enabled annotation.)"]


def _cloud_sql_lines(container: ContainerView, pod: PodView) -> List[str]:
    command = container.command_line
    if not QUITQUITQUIT_FLAG.search(command + " "):
        return [f"{container.name} was started without --quitquitquit, so it has no endpoint to be told to exit; "
                "for the next runs, start it with --quitquitquit and have the app POST to "
                f"localhost:{CLOUD_SQL_ADMIN_PORT}/quitquitquit when it is done (or make it a native sidecar)."]
    port = ADMIN_PORT_FLAG.search(command)
    url = f"http://localhost:{port.group(1) if port else CLOUD_SQL_ADMIN_PORT}/quitquitquit"
    return [f"Tell {container.name} to exit (--quitquitquit is set: its localhost-only admin server takes "
            "/quitquitquit; an ephemeral container shares the pod's network):",
            f"  {_debug_curl(pod, url)}"]


def unblock_text(container: ContainerView, pod: PodView) -> str:
    """Remedy lines that end this run cleanly: the helper's own way to exit 0, what that does to the Job,
    and what deleting the pod would do instead."""
    mesh = _mesh(container)
    if mesh == "istio":
        lines = [f"Tell {container.name} to exit (pilot-agent's status server takes POST /quitquitquit from "
                 "localhost and stops the proxy cleanly):",
                 f"  kubectl exec {pod.name} -n {pod.namespace} -c {container.name} -- pilot-agent request "
                 f"--debug-port {ISTIO_STATUS_PORT} POST quitquitquit"]
    elif mesh == "linkerd":
        lines = _linkerd_lines(container, pod)
    elif mesh == "cloud-sql":
        lines = _cloud_sql_lines(container, pod)
    else:
        lines = [f"Make {container.name} exit through its own admin or shutdown endpoint if it has one, or stop "
                 f"its main process: kubectl exec {pod.name} -n {pod.namespace} -c {container.name} -- kill 1 "
                 "(it exits 143, not 0, unless it handles SIGTERM by exiting cleanly)."]
    job = (pod.owner or {}).get("kind") == "Job"
    lines.append(WHAT_ZERO_DOES if job else "Once it exits 0 the pod ends as its app did.")
    lines.append(WHAT_NONZERO_DOES if job else "Any exit other than 0 makes the pod Failed.")
    again = (" and the Job controller counts a failure and starts a new pod, which hangs the same way"
             if job else "")
    lines.append(f"Deleting the pod instead (kubectl delete pod {pod.name} -n {pod.namespace}) throws this run "
                 f"away{again}.")
    return "\n".join(["To let this run finish now, without rerunning it:"] + lines)

