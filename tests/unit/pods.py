"""Pod dicts shaped like `kubectl get pod -o json` prints them, for the unit tests.

Builders take only what a test is about; everything else (uids, timestamps, images in the status,
container ids, API-server defaults) is filled in the way a real cluster fills it, so code under test
meets the same noise it meets in a dump. Times are seconds relative to ``T0``.
"""

import copy
import hashlib
import json
from datetime import datetime, timedelta, timezone
from typing import Dict, Iterable, List, Optional

T0 = datetime(2025, 3, 4, 10, 0, 0, tzinfo=timezone.utc)
NODE = "worker-1"

IMAGES = {
    "istio-proxy": "docker.io/istio/proxyv2:1.22.3",
    "istio-init": "docker.io/istio/proxyv2:1.22.3",
    "linkerd-proxy": "cr.l5d.io/linkerd/proxy:edge-24.5.1",
    "linkerd-init": "cr.l5d.io/linkerd/proxy-init:v2.4.0",
    "vault-agent": "hashicorp/vault:1.16.1",
    "vault-agent-init": "hashicorp/vault:1.16.1",
}


def ts(seconds: float = 0) -> str:
    """RFC 3339 the way the API server writes it, ``seconds`` after T0."""
    return (T0 + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def at(seconds: float = 0) -> datetime:
    return T0 + timedelta(seconds=seconds)


def _digest(*parts: str) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()


def _uid(*parts: str) -> str:
    h = _digest(*parts)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def _probe(port: int, path: str, period: int = 10, failure: int = 3) -> dict:
    return {"httpGet": {"path": path, "port": port, "scheme": "HTTP"}, "periodSeconds": period,
            "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": failure}


# ---------------------------------------------------------------- spec


def container(name: str, image: Optional[str] = None, *, restart_policy: Optional[str] = None,
              command: Optional[List[str]] = None, args: Optional[List[str]] = None,
              env: Optional[Dict[str, str]] = None, startup_probe: bool = False, readiness_probe: bool = False,
              liveness_probe: bool = False, port: Optional[int] = None) -> dict:
    """One entry of spec.containers / spec.initContainers with the defaults the API server adds."""
    spec = {
        "name": name,
        "image": image or IMAGES.get(name) or f"registry.example.com/team/{name}:1.4.2",
        "imagePullPolicy": "IfNotPresent",
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}},
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
        "volumeMounts": [{"name": "kube-api-access-x7k2p", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                          "readOnly": True}],
    }
    if command:
        spec["command"] = list(command)
    if args:
        spec["args"] = list(args)
    if env:
        spec["env"] = [{"name": k, "value": v} for k, v in env.items()]
    if port:
        spec["ports"] = [{"containerPort": port, "protocol": "TCP"}]
    if restart_policy:
        spec["restartPolicy"] = restart_policy
    probe_port = port or 8080
    if startup_probe:
        spec["startupProbe"] = _probe(probe_port, "/started", period=1, failure=30)
    if readiness_probe:
        spec["readinessProbe"] = _probe(probe_port, "/ready")
    if liveness_probe:
        spec["livenessProbe"] = _probe(probe_port, "/healthz")
    return spec


def sidecar(name: str, image: Optional[str] = None, **kwargs) -> dict:
    """A native sidecar: an init container with restartPolicy Always."""
    return container(name, image, restart_policy="Always", **kwargs)


# ---------------------------------------------------------------- container statuses


def last_terminated(exit_code: int = 1, reason: Optional[str] = None, finished: float = 0,
                    started: Optional[float] = None) -> dict:
    """A lastState.terminated block; ``finished`` in seconds after T0."""
    return {"terminated": {"exitCode": exit_code, "reason": reason or ("Completed" if exit_code == 0 else "Error"),
                           "startedAt": ts(finished - 30 if started is None else started),
                           "finishedAt": ts(finished), "containerID": f"containerd://{_digest('last', str(finished))}"}}


def _status(name: str, state: dict, *, ready: bool, started: Optional[bool], restarts: int,
            last: Optional[dict]) -> dict:
    status = {"name": name, "state": state, "lastState": last or {}, "ready": ready, "restartCount": restarts}
    if started is not None:
        status["started"] = started
    return status


def running(name: str, *, ready: bool = True, started: Optional[bool] = True, since: float = 5,
            restarts: int = 0, last: Optional[dict] = None) -> dict:
    return _status(name, {"running": {"startedAt": ts(since)}}, ready=ready, started=started,
                   restarts=restarts, last=last)


def waiting(name: str, reason: Optional[str] = "ContainerCreating", message: Optional[str] = None, *,
            restarts: int = 0, last: Optional[dict] = None, started: Optional[bool] = False) -> dict:
    block = {}
    if reason:
        block["reason"] = reason
    if message:
        block["message"] = message
    return _status(name, {"waiting": block}, ready=False, started=started, restarts=restarts, last=last)


def terminated(name: str, exit_code: int = 0, reason: Optional[str] = None, *, signal: Optional[int] = None,
               since: float = 5, until: float = 60, restarts: int = 0, last: Optional[dict] = None,
               started: Optional[bool] = False, ready: bool = False, no_reason: bool = False,
               message: Optional[str] = None) -> dict:
    """A terminated container; the reason defaults to what the kubelet writes (Completed / Error),
    ``no_reason`` leaves it out as some runtimes do."""
    block = {"exitCode": exit_code, "startedAt": ts(since), "finishedAt": ts(until)}
    if not no_reason:
        block["reason"] = reason or ("Completed" if exit_code == 0 else "Error")
    if signal is not None:
        block["signal"] = signal
    if message:
        block["message"] = message
    return _status(name, {"terminated": block}, ready=ready, started=started, restarts=restarts, last=last)


# ---------------------------------------------------------------- pod


def condition(kind: str, status: bool, reason: Optional[str] = None, at_seconds: float = 0) -> dict:
    entry = {"type": kind, "status": "True" if status else "False", "lastProbeTime": None,
             "lastTransitionTime": ts(at_seconds)}
    if reason:
        entry["reason"] = reason
    return entry


def conditions(*, initialized: bool = True, ready: bool = True, containers_ready: Optional[bool] = None,
               scheduled: bool = True, scheduled_reason: Optional[str] = None,
               not_ready_reason: Optional[str] = None) -> List[dict]:
    """The conditions the kubelet reports, in its order."""
    ready_reason = None if ready else (not_ready_reason or "ContainersNotReady")
    containers_ready = ready if containers_ready is None else containers_ready
    result = [
        condition("PodReadyToStartContainers", scheduled, at_seconds=2),
        condition("Initialized", initialized, None if initialized else "ContainersNotInitialized", at_seconds=3),
        condition("Ready", ready, ready_reason, at_seconds=8),
        condition("ContainersReady", containers_ready, None if containers_ready else ready_reason, at_seconds=8),
        condition("PodScheduled", scheduled, scheduled_reason, at_seconds=1),
    ]
    return result if scheduled else [result[-1]]


def job_owner(job: str) -> dict:
    return {"apiVersion": "batch/v1", "kind": "Job", "name": job, "uid": _uid("job", job),
            "controller": True, "blockOwnerDeletion": True}


def replicaset_owner(replicaset: str) -> dict:
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": replicaset, "uid": _uid("rs", replicaset),
            "controller": True, "blockOwnerDeletion": True}


def _complete_status(entry: dict, spec: Optional[dict], pod_name: str) -> dict:
    """Add what the kubelet reports beside the state: image, imageID, containerID."""
    entry = copy.deepcopy(entry)
    image = (spec or {}).get("image") or "registry.example.com/unknown:latest"
    entry.setdefault("image", image if "/" in image.split(":")[0] else f"docker.io/library/{image}")
    state = entry.get("state") or {}
    if "waiting" not in state or entry.get("restartCount"):
        entry.setdefault("imageID", f"{entry['image'].rsplit(':', 1)[0]}@sha256:{_digest('image', image)}")
        entry.setdefault("containerID", f"containerd://{_digest(pod_name, entry['name'])}")
    return entry


def pod(name: str = "web-7d9c6b5f4-x2x9q", *, namespace: str = "default",
        containers: Iterable[dict] = (), init_containers: Iterable[dict] = (),
        ephemeral_containers: Iterable[dict] = (),
        statuses: Optional[Iterable[dict]] = None, init_statuses: Optional[Iterable[dict]] = None,
        ephemeral_statuses: Optional[Iterable[dict]] = None,
        phase: str = "Running", pod_conditions: Optional[List[dict]] = None, reason: Optional[str] = None,
        message: Optional[str] = None, restart_policy: str = "Always", owner: Optional[dict] = None,
        labels: Optional[Dict[str, str]] = None, annotations: Optional[Dict[str, str]] = None,
        deleted: Optional[float] = None, node: Optional[str] = NODE, grace: Optional[int] = 30,
        created: float = 0) -> dict:
    """A whole Pod object. ``pod_conditions`` defaults to all-true conditions of a scheduled pod."""
    containers, init_containers = list(containers), list(init_containers)
    ephemeral_containers = list(ephemeral_containers)
    specs = {c["name"]: c for c in containers + init_containers + ephemeral_containers}
    metadata = {
        "name": name,
        "namespace": namespace,
        "uid": _uid("pod", namespace, name),
        "resourceVersion": str(int(_digest(name)[:6], 16)),
        "creationTimestamp": ts(created),
        "labels": dict(labels if labels is not None else {"app": name.split("-")[0]}),
    }
    if "-" in name:
        metadata["generateName"] = name.rsplit("-", 1)[0] + "-"
    if annotations:
        metadata["annotations"] = dict(annotations)
    if owner:
        metadata["ownerReferences"] = [owner]
        if owner["kind"] == "Job":
            job = owner["name"]
            metadata["labels"].update({"batch.kubernetes.io/controller-uid": owner["uid"],
                                       "batch.kubernetes.io/job-name": job,
                                       "controller-uid": owner["uid"], "job-name": job})
    if deleted is not None:
        metadata["deletionTimestamp"] = ts(deleted)
        metadata["deletionGracePeriodSeconds"] = grace if grace is not None else 30

    spec = {
        "containers": containers,
        "restartPolicy": restart_policy,
        "dnsPolicy": "ClusterFirst",
        "schedulerName": "default-scheduler",
        "serviceAccountName": "default",
        "securityContext": {},
        "enableServiceLinks": True,
        "preemptionPolicy": "PreemptLowerPriority",
        "priority": 0,
        "tolerations": [
            {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
             "tolerationSeconds": 300},
            {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute",
             "tolerationSeconds": 300},
        ],
        "volumes": [{"name": "kube-api-access-x7k2p", "projected": {"defaultMode": 420, "sources": [
            {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}}]}}],
    }
    if grace is not None:
        spec["terminationGracePeriodSeconds"] = grace
    if init_containers:
        spec["initContainers"] = init_containers
    if ephemeral_containers:
        spec["ephemeralContainers"] = ephemeral_containers
    if node:
        spec["nodeName"] = node

    status = {"phase": phase, "qosClass": "Burstable"}
    status["conditions"] = pod_conditions if pod_conditions is not None else conditions(scheduled=node is not None)
    if reason:
        status["reason"] = reason
    if message:
        status["message"] = message
    if node:
        status.update({"hostIP": "10.0.3.17", "hostIPs": [{"ip": "10.0.3.17"}], "podIP": "10.244.1.23",
                       "podIPs": [{"ip": "10.244.1.23"}], "startTime": ts(created + 1)})
    if init_statuses is not None:
        status["initContainerStatuses"] = [_complete_status(s, specs.get(s["name"]), name) for s in init_statuses]
    if statuses is not None:
        status["containerStatuses"] = [_complete_status(s, specs.get(s["name"]), name) for s in statuses]
    if ephemeral_statuses is not None:
        status["ephemeralContainerStatuses"] = [_complete_status(s, specs.get(s["name"]), name)
                                                for s in ephemeral_statuses]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec, "status": status}


def pod_list(*pods: dict, kind: str = "List") -> dict:
    """What `kubectl get pods -o json` prints: a List (kubectl) or a PodList (the API)."""
    items = [dict(p) for p in pods]
    if kind == "PodList":
        for item in items:
            item.pop("kind", None)
            item.pop("apiVersion", None)
    return {"apiVersion": "v1", "kind": kind, "items": items,
            "metadata": {"resourceVersion": ""} if kind == "List" else {"resourceVersion": "48213"}}


# ---------------------------------------------------------------- common shapes


def istio_annotations(containers=("istio-proxy",), inits=("istio-init",)) -> Dict[str, str]:
    """What Istio's injector records on the pod it mutated."""
    return {
        "sidecar.istio.io/status": json.dumps({
            "initContainers": list(inits), "containers": list(containers),
            "volumes": ["workload-socket", "credential-socket", "workload-certs", "istio-envoy", "istio-data",
                        "istio-podinfo", "istio-token", "istiod-ca-cert"],
            "imagePullSecrets": None, "revision": "default"}, separators=(",", ":")),
        "kubectl.kubernetes.io/default-container": "app",
        "kubectl.kubernetes.io/default-logs-container": "app",
        "prometheus.io/path": "/stats/prometheus",
        "prometheus.io/port": "15020",
        "prometheus.io/scrape": "true",
    }


def job_pod(job: str = "nightly-export", suffix: str = "k8x2p", **kwargs) -> dict:
    """A pod of a Job: restartPolicy Never unless told, owned by the Job, with its labels."""
    kwargs.setdefault("restart_policy", "Never")
    return pod(f"{job}-{suffix}", owner=job_owner(job), **kwargs)
