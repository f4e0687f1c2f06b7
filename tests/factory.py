"""Kubernetes objects shaped like the API server returns them (pods, Jobs, Events, Nodes), for every test,
unit and end-to-end.

Builders take only what a test is about; everything else (uids, timestamps, images in the status,
container ids, API-server defaults) is filled in the way a real cluster fills it, so code under test
meets the same noise it meets in a dump or a live cluster. Container statuses carry their container's
name, as the API does; `pod()` puts specs and statuses together for unit tests, with the phase and
conditions the test states or (``phase=None``) those the kubelet derives, while the end-to-end tests
create the pod and write `pod_status()` through the status subresource. The scenarios of the reference
(`pi_legacy()`, `logshipper()`...) come last.

Times are seconds after the origin of a `Clock`: the module-level builders count from the fixed ``T0``
(reproducible unit tests); `live` builds the same objects counting from ten minutes before now, for the
end-to-end tests, whose API server and kubectl compare times with the real clock.
"""

import copy
import hashlib
import json
from datetime import datetime, timedelta, timezone
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

T0 = datetime(2025, 3, 4, 10, 0, 0, tzinfo=timezone.utc)
NODE = "worker-1"
LIVE_SPAN = 600
"""How long before now the end-to-end pods started: times of `live` count from then."""

IMAGES = {
    "istio-proxy": "docker.io/istio/proxyv2:1.22.3",
    "istio-init": "docker.io/istio/proxyv2:1.22.3",
    "linkerd-proxy": "cr.l5d.io/linkerd/proxy:edge-24.5.1",
    "linkerd-init": "cr.l5d.io/linkerd/proxy-init:v2.4.0",
    "vault-agent": "hashicorp/vault:1.16.1",
    "vault-agent-init": "hashicorp/vault:1.16.1",
}


class Clock:
    """Turns "seconds after the origin" into the instants and RFC 3339 strings the API server writes."""

    def __init__(self, origin: Callable[[], datetime]):
        self._origin = origin

    def at(self, seconds: float = 0) -> datetime:
        return self._origin() + timedelta(seconds=seconds)

    def ts(self, seconds: float = 0) -> str:
        """RFC 3339 at second precision, as the API server stores it."""
        return self.at(seconds).strftime("%Y-%m-%dT%H:%M:%SZ")


FIXED = Clock(lambda: T0)
LIVE = Clock(lambda: datetime.now(timezone.utc) - timedelta(seconds=LIVE_SPAN))
ts, at = FIXED.ts, FIXED.at


def ago(seconds: float) -> float:
    """The time of the `live` builders that lies ``seconds`` before now, so live stories read backwards."""
    return LIVE_SPAN - seconds


def digest(*parts: object) -> str:
    """A stable hex digest of what names an object (ids, hashes, names the controllers generate)."""
    return hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()


def uid(*parts: str) -> str:
    """A stable uid in the API server's format, derived from what names the object."""
    h = digest(*parts)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


# ---------------------------------------------------------------- spec


def http_probe(port: int = 8080, path: str = "/healthz", *, period: int = 10, failures: int = 3,
               delay: int = 0, **fields) -> dict:
    """An httpGet probe with the fields the API server defaults; extra fields go in as they are (camelCase)."""
    probe = {"httpGet": {"path": path, "port": port, "scheme": "HTTP"}, "periodSeconds": period,
             "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": failures}
    if delay:
        probe["initialDelaySeconds"] = delay
    probe.update(fields)
    return probe


def exec_probe(*command: str, period: int = 10, **fields) -> dict:
    """An exec probe with the fields the API server defaults."""
    return {"exec": {"command": list(command)}, "periodSeconds": period, "timeoutSeconds": 1,
            "successThreshold": 1, "failureThreshold": 3, **fields}


def container(name: str, image: Optional[str] = None, *, restart_policy: Optional[str] = None,
              command: Optional[List[str]] = None, args: Optional[List[str]] = None,
              env: Optional[Dict[str, str]] = None, startup_probe: bool = False, readiness_probe: bool = False,
              liveness_probe: bool = False, port: Optional[int] = None, **fields) -> dict:
    """One entry of spec.containers / spec.initContainers with the defaults the API server adds; extra
    fields go in as they are (camelCase), e.g. ``livenessProbe=exec_probe(...)``."""
    spec = {
        "name": name,
        "image": image or IMAGES.get(name) or f"registry.example.com/team/{name}:1.4.2",
        "imagePullPolicy": "IfNotPresent",
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}},
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
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
        spec["startupProbe"] = http_probe(probe_port, "/started", period=1, failures=30)
    if readiness_probe:
        spec["readinessProbe"] = http_probe(probe_port, "/ready")
    if liveness_probe:
        spec["livenessProbe"] = http_probe(probe_port, "/healthz")
    spec.update(fields)
    return spec


def sidecar(name: str, image: Optional[str] = None, **kwargs) -> dict:
    """A native sidecar: an init container with restartPolicy Always (KEP-753)."""
    return container(name, image, restart_policy="Always", **kwargs)


def is_sidecar(spec: dict) -> bool:
    return spec.get("restartPolicy") == "Always"


# ---------------------------------------------------------------- what a kubelet derives from the states


def _exit_code(status: Optional[dict]) -> Optional[int]:
    """The exit code of a terminated container status, else None."""
    return (status or {}).get("state", {}).get("terminated", {}).get("exitCode")


def _has_run(status: dict) -> bool:
    return "waiting" not in (status.get("state") or {}) or "terminated" in (status.get("lastState") or {})


def _initialized(init_specs: List[dict], by_name: Dict[str, dict]) -> bool:
    """Init containers must have exited 0 and sidecars be started. The condition never goes back to
    False, so once an app container ran, sidecars that finished since do not matter."""
    init_names = {c["name"] for c in init_specs}
    if any(_has_run(status) for name, status in by_name.items() if name not in init_names):
        return True
    return all(_init_done(c, by_name.get(c["name"])) for c in init_specs)


def _init_done(spec: dict, status: Optional[dict]) -> bool:
    if is_sidecar(spec):
        return bool(status and status.get("started"))
    return _exit_code(status) == 0


def _derive_phase(pod_spec: dict, by_name: Dict[str, dict], initialized: bool) -> str:
    """The kubelet's getPhase: a restarting container counts as stopped, one never started as waiting."""
    policy = pod_spec.get("restartPolicy", "Always")
    if not initialized:
        init_failed = any(not is_sidecar(c) and _exit_code(by_name.get(c["name"])) not in (None, 0)
                          for c in pod_spec.get("initContainers", []))
        return "Failed" if init_failed and policy == "Never" else "Pending"
    statuses = [by_name.get(c["name"]) for c in pod_spec["containers"]]
    if any(s is None or not _has_run(s) for s in statuses):
        return "Pending"
    if any("running" in s["state"] for s in statuses):
        return "Running"
    if policy == "Always":
        return "Running"
    if all(_exit_code(s) == 0 for s in statuses):
        return "Succeeded"
    return "Running" if policy == "OnFailure" else "Failed"


def _runtime_image(image: str) -> str:
    """The image as containerd reports it: registry and tag filled in."""
    if ":" not in image.rsplit("/", 1)[-1]:
        image += ":latest"
    first = image.split("/", 1)[0]
    if "/" not in image:
        return f"docker.io/library/{image}"
    if "." not in first and ":" not in first and first != "localhost":
        return f"docker.io/{image}"
    return image


def _complete_status(entry: dict, spec: Optional[dict], pod_name: str) -> dict:
    """Add what the kubelet reports beside the state: image, and imageID and containerID once it ran."""
    entry = copy.deepcopy(entry)
    entry.setdefault("image", _runtime_image((spec or {}).get("image") or "registry.example.com/unknown"))
    if _has_run(entry) or entry.get("restartCount"):
        entry.setdefault("imageID", f"{entry['image'].rsplit(':', 1)[0]}@sha256:{digest('image', entry['image'])}")
        entry.setdefault("containerID", f"containerd://{digest(pod_name, entry['name'], entry.get('restartCount'))}")
    else:
        entry.setdefault("imageID", "")
    return entry


OWNER_API_VERSIONS = {"Job": "batch/v1", "CronJob": "batch/v1", "ReplicaSet": "apps/v1", "StatefulSet": "apps/v1",
                      "DaemonSet": "apps/v1", "Deployment": "apps/v1"}


def owner(kind: str, name: str) -> dict:
    """The controller reference a controller sets on what it creates."""
    return {"apiVersion": OWNER_API_VERSIONS.get(kind, "v1"), "kind": kind, "name": name,
            "uid": uid(kind.lower(), name), "controller": True, "blockOwnerDeletion": True}


def job_owner(job: str) -> dict:
    return owner("Job", job)


def replicaset_owner(replicaset: str) -> dict:
    return owner("ReplicaSet", replicaset)


def node(name: str = NODE, kubelet: str = "v1.31.4", ready: bool = True) -> dict:
    """A Node with the nodeInfo its kubelet reports."""
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
            "status": {"nodeInfo": {"kubeletVersion": kubelet, "containerRuntimeVersion": "containerd://1.7.24",
                                    "kernelVersion": "6.1.0-28-amd64", "osImage": "Debian GNU/Linux 12 (bookworm)"},
                       "conditions": [{"type": "Ready", "status": "True" if ready else "Unknown",
                                       "reason": "KubeletReady" if ready else "NodeStatusUnknown"}]}}


SERVICE_ACCOUNT_MOUNT = {"name": "kube-api-access-x7k2p", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                         "readOnly": True}


def _with_token_mount(spec: dict) -> dict:
    """The mount the ServiceAccount admission plugin adds to every container of a pod it admits."""
    return {**spec, "volumeMounts": list(spec.get("volumeMounts") or []) + [dict(SERVICE_ACCOUNT_MOUNT)]}


class Builders:
    """The builders whose objects carry times, counting from one clock."""

    def __init__(self, clock: Clock):
        self.clock = clock

    # ------------------------------------------------------------ container statuses

    def exited(self, exit_code: int = 1, reason: Optional[str] = None, *, signal: Optional[int] = None,
               since: Optional[float] = None, until: float = 0, message: Optional[str] = None) -> dict:
        """A lastState: how the previous run of a restarted container ended (by default a 30 s run)."""
        return {"terminated": self._terminated_block(exit_code, reason, signal=signal, message=message,
                                                     since=until - 30 if since is None else since, until=until)}

    def _terminated_block(self, exit_code: int, reason: Optional[str], *, signal: Optional[int],
                          message: Optional[str], since: float, until: float, no_reason: bool = False) -> dict:
        """A terminated state; the reason defaults to what the kubelet writes (Completed / Error)."""
        block = {"exitCode": exit_code, "startedAt": self.clock.ts(since), "finishedAt": self.clock.ts(until),
                 "containerID": f"containerd://{digest('run', exit_code, since, until)}"}
        if not no_reason:
            block["reason"] = reason or ("Completed" if exit_code == 0 else "Error")
        if signal is not None:
            block["signal"] = signal
        if message:
            block["message"] = message
        return block

    @staticmethod
    def _status(name: str, state: dict, *, ready: bool, started: Optional[bool], restarts: int,
                last: Optional[dict]) -> dict:
        status = {"name": name, "state": state, "lastState": last or {}, "ready": ready, "restartCount": restarts}
        if started is not None:
            status["started"] = started
        return status

    def running(self, name: str, *, ready: bool = True, started: Optional[bool] = True, since: float = 5,
                restarts: int = 0, last: Optional[dict] = None) -> dict:
        """A running container; a sidecar with started=False has not passed its startupProbe yet."""
        return self._status(name, {"running": {"startedAt": self.clock.ts(since)}}, ready=ready, started=started,
                            restarts=restarts, last=last)

    def waiting(self, name: str, reason: Optional[str] = "ContainerCreating", message: Optional[str] = None, *,
                restarts: int = 0, last: Optional[dict] = None, started: Optional[bool] = False) -> dict:
        """A waiting container: ContainerCreating, PodInitializing, CrashLoopBackOff, ImagePullBackOff..."""
        block = {}
        if reason:
            block["reason"] = reason
        if message:
            block["message"] = message
        return self._status(name, {"waiting": block}, ready=False, started=started, restarts=restarts, last=last)

    def terminated(self, name: str, exit_code: int = 0, reason: Optional[str] = None, *,
                   signal: Optional[int] = None, since: float = 5, until: float = 60, restarts: int = 0,
                   last: Optional[dict] = None, started: Optional[bool] = False, ready: bool = False,
                   no_reason: bool = False, message: Optional[str] = None) -> dict:
        """A container that exited; ``no_reason`` leaves the reason out as some runtimes do."""
        block = self._terminated_block(exit_code, reason, signal=signal, message=message, since=since,
                                       until=until, no_reason=no_reason)
        return self._status(name, {"terminated": block}, ready=ready, started=started, restarts=restarts,
                            last=last)

    # ------------------------------------------------------------ pod

    def condition(self, kind: str, status: bool, reason: Optional[str] = None, since: float = 0) -> dict:
        entry = {"type": kind, "status": "True" if status else "False", "lastProbeTime": None,
                 "lastTransitionTime": self.clock.ts(since)}
        if reason:
            entry["reason"] = reason
        return entry

    def conditions(self, *, initialized: bool = True, ready: bool = True, containers_ready: Optional[bool] = None,
                   scheduled: bool = True, scheduled_reason: Optional[str] = None,
                   not_ready_reason: Optional[str] = None) -> List[dict]:
        """The conditions the kubelet reports, in its order."""
        ready_reason = None if ready else (not_ready_reason or "ContainersNotReady")
        containers_ready = ready if containers_ready is None else containers_ready
        result = [
            self.condition("PodReadyToStartContainers", scheduled, since=2),
            self.condition("Initialized", initialized, None if initialized else "ContainersNotInitialized", since=3),
            self.condition("Ready", ready, ready_reason, since=8),
            self.condition("ContainersReady", containers_ready, None if containers_ready else ready_reason, since=8),
            self.condition("PodScheduled", scheduled, scheduled_reason, since=1),
        ]
        return result if scheduled else [result[-1]]

    def _derived(self, pod_spec: dict, by_name: Dict[str, dict]) -> Tuple[str, List[dict]]:
        """Phase and conditions as the kubelet derives them from the container statuses.
        Pod Ready needs every app container and every sidecar started and ready (KEP-753)."""
        init_specs = pod_spec.get("initContainers") or []
        initialized = _initialized(init_specs, by_name)
        phase = _derive_phase(pod_spec, by_name, initialized)
        must_be_ready = [c for c in init_specs if is_sidecar(c)] + pod_spec["containers"]
        ready = phase == "Running" and all(
            by_name.get(c["name"], {}).get("ready") and by_name[c["name"]].get("started") for c in must_be_ready)
        not_ready = "PodCompleted" if phase in ("Succeeded", "Failed") else None
        return phase, self.conditions(initialized=initialized, ready=ready, not_ready_reason=not_ready)

    def pod_status(self, pod_spec: dict, statuses: Iterable[dict], phase: Optional[str] = None,
                   pod_name: str = "") -> dict:
        """The status a kubelet would write for these container statuses (init and app ones, matched by
        name), phase and conditions derived as the kubelet derives them unless ``phase`` is given."""
        init_specs = pod_spec.get("initContainers") or []
        specs = {c["name"]: c for c in init_specs + pod_spec["containers"]}
        statuses = list(statuses)
        unknown = {s["name"] for s in statuses} - set(specs)
        if unknown:
            raise ValueError(f"statuses for containers not in the spec: {sorted(unknown)}")
        by_name = {s["name"]: _complete_status(s, specs[s["name"]], pod_name) for s in statuses}
        derived_phase, derived_conditions = self._derived(pod_spec, by_name)
        return {
            "phase": phase or derived_phase,
            "conditions": derived_conditions,
            "initContainerStatuses": [by_name[c["name"]] for c in init_specs if c["name"] in by_name],
            "containerStatuses": [by_name[c["name"]] for c in pod_spec["containers"] if c["name"] in by_name],
            "startTime": self.clock.ts(0),
        }

    def pod(self, name: str = "web-7d9c6b5f4-x2x9q", *, namespace: str = "default",
            containers: Iterable[dict] = (), init_containers: Iterable[dict] = (),
            ephemeral_containers: Iterable[dict] = (),
            statuses: Optional[Iterable[dict]] = None, init_statuses: Optional[Iterable[dict]] = None,
            ephemeral_statuses: Optional[Iterable[dict]] = None,
            phase: Optional[str] = "Running", pod_conditions: Optional[List[dict]] = None,
            reason: Optional[str] = None,
            message: Optional[str] = None, restart_policy: str = "Always", owner: Optional[dict] = None,
            labels: Optional[Dict[str, str]] = None, annotations: Optional[Dict[str, str]] = None,
            deleted: Optional[float] = None, node: Optional[str] = NODE, grace: Optional[int] = 30,
            created: float = 0) -> dict:
        """A whole Pod object as admitted and reported on, with the phase and conditions a test states
        (all-true conditions of a scheduled pod unless ``pod_conditions`` is given), or with ``phase=None``
        both as the kubelet derives them from the container statuses."""
        containers = [_with_token_mount(c) for c in containers]
        init_containers = [_with_token_mount(c) for c in init_containers]
        ephemeral_containers = [_with_token_mount(c) for c in ephemeral_containers]
        specs = {c["name"]: c for c in containers + init_containers + ephemeral_containers}
        metadata = {
            "name": name,
            "namespace": namespace,
            "uid": uid("pod", namespace, name),
            "resourceVersion": str(int(digest(name)[:6], 16)),
            "creationTimestamp": self.clock.ts(created),
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
            metadata["deletionTimestamp"] = self.clock.ts(deleted)
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
            "volumes": [{"name": SERVICE_ACCOUNT_MOUNT["name"], "projected": {"defaultMode": 420, "sources": [
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

        status = {"qosClass": "Burstable"}
        if reason:
            status["reason"] = reason
        if message:
            status["message"] = message
        if node:
            status.update({"hostIP": "10.0.3.17", "hostIPs": [{"ip": "10.0.3.17"}], "podIP": "10.244.1.23",
                           "podIPs": [{"ip": "10.244.1.23"}], "startTime": self.clock.ts(created + 1)})
        by_name = {}
        for key, entries in (("initContainerStatuses", init_statuses), ("containerStatuses", statuses),
                             ("ephemeralContainerStatuses", ephemeral_statuses)):
            if entries is not None:
                status[key] = [_complete_status(s, specs.get(s["name"]), name) for s in entries]
                by_name.update((s["name"], s) for s in status[key])
        if phase is None:
            phase, derived_conditions = self._derived(spec, by_name)
            status["conditions"] = derived_conditions if pod_conditions is None else pod_conditions
        else:
            status["conditions"] = (pod_conditions if pod_conditions is not None
                                    else self.conditions(scheduled=node is not None))
        status["phase"] = phase
        return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec, "status": status}

    def job_pod(self, job: str = "nightly-export", suffix: str = "k8x2p", **kwargs) -> dict:
        """A pod of a Job: restartPolicy Never unless told, owned by the Job, with its labels."""
        kwargs.setdefault("restart_policy", "Never")
        return self.pod(f"{job}-{suffix}", owner=job_owner(job), **kwargs)

    # ------------------------------------------------------------ Jobs and Events

    def job(self, name: str = "demo", namespace: str = "default", template: Optional[dict] = None, active: int = 0,
            succeeded: int = 0, failed: int = 0, conditions: Sequence[Tuple[str, str, str]] = (),
            completions: Optional[int] = 1, parallelism: int = 1, backoff_limit: int = 6,
            pod_failure_policy: Optional[dict] = None, suspend: bool = False, owner_cronjob: Optional[str] = None,
            start: float = 0, completion: Optional[float] = None) -> dict:
        """A Job; ``template`` is a pod (from pod()) whose spec becomes the template; conditions are
        (type, reason, message) tuples, all True."""
        template_spec = copy.deepcopy((template or self.pod(f"{name}-x", phase=None))["spec"])
        template_spec.pop("nodeName", None)
        template_spec.pop("volumes", None)
        for section in ("containers", "initContainers"):
            for c in template_spec.get(section) or []:
                c["volumeMounts"] = [m for m in c.get("volumeMounts") or []
                                     if m.get("name") != SERVICE_ACCOUNT_MOUNT["name"]]
        job_uid = job_owner(name)["uid"]
        metadata = {"name": name, "namespace": namespace, "uid": job_uid, "creationTimestamp": self.clock.ts(start),
                    "labels": {"batch.kubernetes.io/job-name": name}}
        if owner_cronjob:
            metadata["ownerReferences"] = [owner("CronJob", owner_cronjob)]
        spec = {"backoffLimit": backoff_limit, "parallelism": parallelism, "completionMode": "NonIndexed",
                "suspend": suspend, "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": job_uid}},
                "template": {"metadata": {"labels": {"batch.kubernetes.io/job-name": name}}, "spec": template_spec}}
        if completions is not None:
            spec["completions"] = completions
        if pod_failure_policy:
            spec["podFailurePolicy"] = pod_failure_policy
        status = {"startTime": self.clock.ts(start), "ready": 0, "terminating": 0, "uncountedTerminatedPods": {}}
        for key, value in (("active", active), ("succeeded", succeeded), ("failed", failed)):
            if value:
                status[key] = value
        if completion is not None:
            status["completionTime"] = self.clock.ts(completion)
        if conditions:
            moment = self.clock.ts(completion or start)
            status["conditions"] = [{"type": kind, "status": "True", "reason": reason, "message": message,
                                     "lastProbeTime": moment, "lastTransitionTime": moment}
                                    for kind, reason, message in conditions]
        return {"apiVersion": "batch/v1", "kind": "Job", "metadata": metadata, "spec": spec, "status": status}

    def event(self, pod_dict: dict, reason: str, message: str, container: Optional[str] = None,
              kind: str = "Warning", first: float = 0, last: Optional[float] = None, count: int = 1,
              init: bool = False) -> dict:
        """A core/v1 Event the kubelet recorded about a pod (``container`` sets its fieldPath)."""
        metadata = pod_dict["metadata"]
        involved = {"apiVersion": "v1", "kind": "Pod", "name": metadata["name"], "namespace": metadata["namespace"],
                    "uid": metadata["uid"]}
        if container:
            involved["fieldPath"] = f"spec.{'initContainers' if init else 'containers'}{{{container}}}"
        return {"apiVersion": "v1", "kind": "Event", "type": kind, "reason": reason, "message": message,
                "metadata": {"name": f"{metadata['name']}.{digest(reason, first)[:12]}",
                             "namespace": metadata["namespace"]},
                "involvedObject": involved, "count": count, "firstTimestamp": self.clock.ts(first),
                "lastTimestamp": self.clock.ts(first if last is None else last),
                "source": {"component": "kubelet", "host": (pod_dict.get("spec") or {}).get("nodeName") or NODE}}


fixed = Builders(FIXED)
live = Builders(LIVE)
"""The same builders counting from ten minutes before now, for objects written to a live API server."""
exited, running, waiting, terminated = fixed.exited, fixed.running, fixed.waiting, fixed.terminated
condition, conditions, pod_status, pod, job_pod = (fixed.condition, fixed.conditions, fixed.pod_status, fixed.pod,
                                                   fixed.job_pod)
job, event = fixed.job, fixed.event


def pod_list(*pods: dict, kind: str = "List") -> dict:
    """What `kubectl get pods -o json` prints: a List (kubectl) or a PodList (the API)."""
    items = [dict(p) for p in pods]
    if kind == "PodList":
        for item in items:
            item.pop("kind", None)
            item.pop("apiVersion", None)
    return {"apiVersion": "v1", "kind": kind, "items": items,
            "metadata": {"resourceVersion": ""} if kind == "List" else {"resourceVersion": "48213"}}


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


# ---------------------------------------------------------------- scenarios
# The scenarios of shared/reference/scenarios.md as their pods end up, and their healthy variants.

def pi_legacy(now_running: bool = True) -> dict:
    """Scenario 3: `pi` done, the netutils sidecar in spec.containers runs forever (1/2 NotReady)."""
    return pod("pi-x7w2n", owner=job_owner("pi"), restart_policy="Never", phase=None,
               containers=[container("pi", "perl:5.34.0", command=["perl", "-Mbignum=bpi", "-wle", "print bpi(2000)"]),
                           container("sidecar", "hwchiu/netutils")],
               statuses=[terminated("pi", 0, since=3, until=9),
                         running("sidecar", since=3) if now_running else terminated("sidecar", 0, since=3, until=20)])


def pi_native(sidecar_exit: int = 143, sidecar_reason: Optional[str] = None) -> dict:
    """Scenario 4: the native `network-proxy` sidecar; the pod Completed, the sidecar stopped after pi."""
    return pod("pi-sidecar-9fz4d", owner=job_owner("pi-sidecar"), restart_policy="Never", phase=None,
               init_containers=[container("network-proxy", "hwchiu/python-example", port=5000,
                                          restart_policy="Always")],
               containers=[container("pi", "perl:5.34.0", command=["perl", "-Mbignum=bpi", "-wle", "print bpi(2000)"])],
               init_statuses=[terminated("network-proxy", sidecar_exit, reason=sidecar_reason, since=2, until=14)],
               statuses=[terminated("pi", 0, since=3, until=13)])


def cronjob_legacy_race() -> dict:
    """Scenario 1: the app curls the slow helper at once and fails; the helper keeps running."""
    return pod("sidecar-cronjob-29000000-abcde", owner=job_owner("sidecar-cronjob-29000000"), restart_policy="Never",
               phase=None,
               containers=[container("slow-sidecar", "zwindler/slow-sidecar", port=8081),
                           container("sidecar-user", "zwindler/sidecar-user")],
               statuses=[running("slow-sidecar", since=3), terminated("sidecar-user", 1, since=5, until=5)])


def cronjob_native_probe(sidecar_exit: int = 137) -> dict:
    """Scenario 2: native slow-sidecar with a startupProbe; the app succeeded; the sidecar SIGKILLed."""
    return pod("sidecar-cronjob-29000001-fghij", owner=job_owner("sidecar-cronjob-29000001"), restart_policy="Never",
               phase=None,
               init_containers=[container("slow-sidecar", "zwindler/slow-sidecar", port=8081, restart_policy="Always",
                                          startupProbe=http_probe(8081, "/", period=1, failures=5, delay=5))],
               containers=[container("sidecar-user", "zwindler/sidecar-user")],
               init_statuses=[terminated("slow-sidecar", sidecar_exit, since=1, until=38)],
               statuses=[terminated("sidecar-user", 0, since=6, until=7)])


def logshipper(sidecar_exit: int = 137) -> dict:
    """Scenario 5: `sh -c 'tail -F'` as PID 1 ignores SIGTERM and is SIGKILLed 30 s after the app."""
    return pod("daily-report-5mz8t", owner=job_owner("daily-report"), restart_policy="Never", phase=None,
               init_containers=[container("logshipper", "alpine:3.20", command=["sh", "-c", "tail -F /opt/logs.txt"],
                                          restart_policy="Always")],
               containers=[container("report", "alpine:3.20", command=[
                   "sh", "-c", "for i in $(seq 1 20); do date >> /opt/logs.txt; sleep 2; done"])],
               init_statuses=[terminated("logshipper", sidecar_exit, since=2, until=74 if sidecar_exit == 137 else 44)],
               statuses=[terminated("report", 0, since=3, until=43)])


def istio_legacy_deployment(proxy_ready: bool = True, restarts: int = 0, last: Optional[dict] = None) -> dict:
    status = '{"initContainers":["istio-init"],"containers":["istio-proxy"],"volumes":["istio-envoy"]}'
    return pod("reviews-v1-545db77b95-w8hlc", owner=replicaset_owner("reviews-v1-545db77b95"), restart_policy="Always",
               phase=None,
               annotations={"sidecar.istio.io/status": status, "kubectl.kubernetes.io/default-container": "reviews"},
               init_containers=[container("istio-init", "docker.io/istio/proxyv2:1.22.0",
                                          args=["istio-iptables", "-p", "15001"])],
               containers=[container("reviews", "docker.io/istio/examples-bookinfo-reviews-v1:1.20.1", port=9080),
                           container("istio-proxy", "docker.io/istio/proxyv2:1.22.0", args=["proxy", "sidecar"],
                                     port=15090,
                                     readinessProbe=http_probe(15021, "/healthz/ready", period=2, failures=30))],
               init_statuses=[terminated("istio-init", 0, since=2, until=3)],
               statuses=[running("reviews", since=4),
                         running("istio-proxy", since=4, ready=proxy_ready, restarts=restarts, last=last)])
