"""Realistic objects as `kubectl get -o json` shows them (pods, Jobs, Events, Nodes), for rule tests.

Times are given as seconds after T0 (2025-03-01T10:00:00Z); `NOW` is the default "now" of a snapshot.
A container is a (spec, status) pair: build specs with `container()`, statuses with `running()`,
`terminated()`, `waiting()`, and put them into `pod()`; conditions and phase follow from the states
unless given.
"""

import copy
import uuid
from datetime import datetime, timedelta, timezone
from typing import Dict, List, Optional, Sequence, Tuple

from kubectl_sidecars.model import build_pod_view
from kubectl_sidecars.snapshot import EVENTS, KINDS, Snapshot

T0 = datetime(2025, 3, 1, 10, 0, 0, tzinfo=timezone.utc)


def at(offset: float) -> datetime:
    return T0 + timedelta(seconds=offset)


def ts(offset: float) -> str:
    return at(offset).strftime("%Y-%m-%dT%H:%M:%SZ")


def _uid(seed: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_DNS, seed))


SA_MOUNT = {"mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "name": "kube-api-access-7xk2p",
            "readOnly": True}


def container(name: str, image: str = "busybox:1.36", command: Optional[List[str]] = None,
              args: Optional[List[str]] = None, ports: Sequence[int] = (), restart_policy: Optional[str] = None,
              **extra) -> dict:
    """A container spec with the fields the API server defaults."""
    spec = {"name": name, "image": image}
    if command is not None:
        spec["command"] = command
    if args is not None:
        spec["args"] = args
    if ports:
        spec["ports"] = [{"containerPort": p, "protocol": "TCP"} for p in ports]
    if restart_policy:
        spec["restartPolicy"] = restart_policy
    spec.update({"imagePullPolicy": "IfNotPresent", "resources": {},
                 "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
                 "volumeMounts": [dict(SA_MOUNT)]})
    spec.update(extra)
    return spec


def http_probe(port: int, path: str = "/healthz", period: int = 10, failures: int = 3, delay: int = 0) -> dict:
    return {"httpGet": {"path": path, "port": port, "scheme": "HTTP"}, "initialDelaySeconds": delay,
            "periodSeconds": period, "failureThreshold": failures, "successThreshold": 1, "timeoutSeconds": 1}


def running(started: float, ready: bool = True, started_flag: Optional[bool] = True, restarts: int = 0,
            last: Optional[dict] = None) -> dict:
    status = {"state": {"running": {"startedAt": ts(started)}}, "ready": ready, "restartCount": restarts,
              "lastState": {"terminated": last} if last else {}}
    if started_flag is not None:
        status["started"] = started_flag
    return status


def term(exit_code: int, started: float, finished: float, reason: Optional[str] = None,
         message: Optional[str] = None) -> dict:
    """A `terminated` state (also usable as lastState.terminated)."""
    state = {"containerID": f"containerd://{_uid(f'{exit_code}{started}{finished}').replace('-', '')}",
             "exitCode": exit_code, "reason": reason or ("Completed" if exit_code == 0 else "Error"),
             "startedAt": ts(started), "finishedAt": ts(finished)}
    if message:
        state["message"] = message
    return state


def terminated(exit_code: int, started: float, finished: float, reason: Optional[str] = None,
               restarts: int = 0, last: Optional[dict] = None, message: Optional[str] = None) -> dict:
    return {"state": {"terminated": term(exit_code, started, finished, reason, message)}, "ready": False,
            "started": False, "restartCount": restarts, "lastState": {"terminated": last} if last else {}}


def waiting(reason: str, message: Optional[str] = None, restarts: int = 0, last: Optional[dict] = None,
            started_flag: Optional[bool] = False) -> dict:
    state = {"reason": reason}
    if message:
        state["message"] = message
    status = {"state": {"waiting": state}, "ready": False, "restartCount": restarts,
              "lastState": {"terminated": last} if last else {}}
    if started_flag is not None:
        status["started"] = started_flag
    return status


Entry = Tuple[dict, Optional[dict]]


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


def _status(spec: dict, status: Optional[dict]) -> Optional[dict]:
    if status is None:
        return None
    image = _runtime_image(spec["image"])
    out = {"name": spec["name"], "image": image,
           "imageID": f"{image.rsplit(':', 1)[0]}@sha256:{_uid(image).replace('-', '') * 2}"}
    out.update(copy.deepcopy(status))
    if "running" in out["state"]:
        out["containerID"] = f"containerd://{_uid(spec['name'] + str(out['state'])).replace('-', '')}"
    return out


def _condition(kind: str, ok: bool, since: float, reason: Optional[str] = None,
               message: Optional[str] = None) -> dict:
    condition = {"type": kind, "status": "True" if ok else "False", "lastProbeTime": None,
                 "lastTransitionTime": ts(since)}
    if reason:
        condition["reason"] = reason
    if message:
        condition["message"] = message
    return condition


def pod(name: str = "demo-7k2xq", namespace: str = "default", init: Sequence[Entry] = (),
        containers: Sequence[Entry] = (), phase: Optional[str] = None, restart_policy: str = "Never",
        owner: Optional[Tuple[str, str]] = ("Job", "demo"), annotations: Optional[Dict[str, str]] = None,
        labels: Optional[Dict[str, str]] = None, node: Optional[str] = "worker-1", grace: Optional[int] = 30,
        created: float = 0, deleted: Optional[float] = None, initialized: Optional[bool] = None,
        ready: Optional[bool] = None, ready_since: Optional[float] = None, status_reason: Optional[str] = None,
        status_message: Optional[str] = None) -> dict:
    """A pod as the API server returns it. Phase and conditions follow from the container states."""
    init_specs, init_statuses = [s for s, _ in init], [_status(s, st) for s, st in init]
    specs, statuses = [s for s, _ in containers], [_status(s, st) for s, st in containers]
    app_states = [st["state"] for st in statuses if st]
    if phase is None:
        if statuses and len(app_states) == len(specs) and all("terminated" in s for s in app_states):
            phase = "Succeeded" if all(s["terminated"]["exitCode"] == 0 for s in app_states) else "Failed"
        elif any("running" in s or "terminated" in s for s in app_states):
            phase = "Running"
        else:
            phase = "Pending"
    if initialized is None:
        initialized = bool(app_states) and any("running" in s or "terminated" in s for s in app_states)
    all_ready = all(st and st.get("ready") for st in statuses) and all(
        (st or {}).get("ready") for s, st in init if s.get("restartPolicy") == "Always")
    if ready is None:
        ready = phase == "Running" and all_ready
    unready = [s["name"] for s, st in list(containers) + [e for e in init if e[0].get("restartPolicy") == "Always"]
               if not (st or {}).get("ready")]
    since = created + 2 if ready_since is None else ready_since
    message = None if ready else f"containers with unready status: [{' '.join(unready)}]"
    reason = None if ready else ("PodCompleted" if phase in ("Succeeded", "Failed") else "ContainersNotReady")
    conditions = [
        _condition("Initialized", initialized, created + 1,
                   reason=None if initialized else "ContainersNotInitialized",
                   message=None if initialized else "containers with incomplete status: "
                   f"[{' '.join(s['name'] for s in init_specs if s.get('restartPolicy') != 'Always')}]"),
        _condition("Ready", ready, since, reason, message),
        _condition("ContainersReady", ready, since, reason, message),
        _condition("PodScheduled", True, created),
    ]
    metadata = {"name": name, "namespace": namespace, "uid": _uid(namespace + name),
                "creationTimestamp": ts(created), "resourceVersion": "4711",
                "labels": dict(labels or {}), "annotations": dict(annotations or {})}
    if not metadata["annotations"]:
        del metadata["annotations"]
    if owner:
        kind, owner_name = owner
        api = {"Job": "batch/v1", "ReplicaSet": "apps/v1", "StatefulSet": "apps/v1", "DaemonSet": "apps/v1"}
        metadata["ownerReferences"] = [{"apiVersion": api.get(kind, "v1"), "kind": kind, "name": owner_name,
                                        "uid": _uid(namespace + owner_name), "controller": True,
                                        "blockOwnerDeletion": True}]
        if kind == "Job":
            metadata["labels"].update({"batch.kubernetes.io/job-name": owner_name, "job-name": owner_name,
                                       "batch.kubernetes.io/controller-uid": _uid(namespace + owner_name)})
            metadata["generateName"] = owner_name + "-"
    if deleted is not None:
        metadata["deletionTimestamp"] = ts(deleted)
        metadata["deletionGracePeriodSeconds"] = 30 if grace is None else grace
    spec = {"containers": specs, "restartPolicy": restart_policy, "dnsPolicy": "ClusterFirst",
            "schedulerName": "default-scheduler", "serviceAccountName": "default", "securityContext": {},
            "volumes": [{"name": "kube-api-access-7xk2p", "projected": {"defaultMode": 420, "sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}}]}}]}
    if init_specs:
        spec["initContainers"] = init_specs
    if node:
        spec["nodeName"] = node
    if grace is not None:
        spec["terminationGracePeriodSeconds"] = grace
    status = {"phase": phase, "conditions": conditions, "qosClass": "BestEffort", "startTime": ts(created)}
    if node:
        status.update({"hostIP": "10.0.0.11", "podIP": "10.244.1.23"})
    if any(init_statuses):
        status["initContainerStatuses"] = [s for s in init_statuses if s]
    if any(statuses):
        status["containerStatuses"] = [s for s in statuses if s]
    if status_reason:
        status["reason"] = status_reason
    if status_message:
        status["message"] = status_message
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec, "status": status}


def job(name: str = "demo", namespace: str = "default", template: Optional[dict] = None, active: int = 0,
        succeeded: int = 0, failed: int = 0, conditions: Sequence[Tuple[str, str, str]] = (),
        completions: Optional[int] = 1, parallelism: int = 1, backoff_limit: int = 6,
        pod_failure_policy: Optional[dict] = None, suspend: bool = False, owner_cronjob: Optional[str] = None,
        start: float = 0, completion: Optional[float] = None) -> dict:
    """A Job; `template` is a pod dict (from pod()) whose spec becomes the template; conditions are
    (type, reason, message) tuples, all True."""
    template_spec = copy.deepcopy((template or pod(name=f"{name}-x"))["spec"])
    for key in ("nodeName",):
        template_spec.pop(key, None)
    for section in ("containers", "initContainers"):
        for c in template_spec.get(section) or []:
            c["volumeMounts"] = [m for m in c.get("volumeMounts") or [] if m.get("name") != SA_MOUNT["name"]]
    template_spec.pop("volumes", None)
    metadata = {"name": name, "namespace": namespace, "uid": _uid(namespace + name), "creationTimestamp": ts(start),
                "labels": {"batch.kubernetes.io/job-name": name}}
    if owner_cronjob:
        metadata["ownerReferences"] = [{"apiVersion": "batch/v1", "kind": "CronJob", "name": owner_cronjob,
                                        "uid": _uid(owner_cronjob), "controller": True}]
    spec = {"backoffLimit": backoff_limit, "parallelism": parallelism, "completionMode": "NonIndexed",
            "suspend": suspend, "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": metadata["uid"]}},
            "template": {"metadata": {"labels": {"batch.kubernetes.io/job-name": name}}, "spec": template_spec}}
    if completions is not None:
        spec["completions"] = completions
    if pod_failure_policy:
        spec["podFailurePolicy"] = pod_failure_policy
    status = {"startTime": ts(start), "ready": 0, "terminating": 0, "uncountedTerminatedPods": {}}
    for key, value in (("active", active), ("succeeded", succeeded), ("failed", failed)):
        if value:
            status[key] = value
    if completion is not None:
        status["completionTime"] = ts(completion)
    if conditions:
        moment = ts(completion or start)
        status["conditions"] = [{"type": kind, "status": "True", "reason": reason, "message": message,
                                 "lastProbeTime": moment, "lastTransitionTime": moment}
                                for kind, reason, message in conditions]
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": metadata, "spec": spec, "status": status}


def event(pod_dict: dict, reason: str, message: str, container: Optional[str] = None, kind: str = "Warning",
          first: float = 0, last: Optional[float] = None, count: int = 1, init: bool = False) -> dict:
    metadata = pod_dict["metadata"]
    involved = {"apiVersion": "v1", "kind": "Pod", "name": metadata["name"], "namespace": metadata["namespace"],
                "uid": metadata["uid"]}
    if container:
        involved["fieldPath"] = f"spec.{'initContainers' if init else 'containers'}{{{container}}}"
    return {"apiVersion": "v1", "kind": "Event", "type": kind, "reason": reason, "message": message,
            "metadata": {"name": f"{metadata['name']}.{abs(hash((reason, first))) % 10 ** 12:x}",
                         "namespace": metadata["namespace"]},
            "involvedObject": involved, "count": count, "firstTimestamp": ts(first),
            "lastTimestamp": ts(first if last is None else last), "source": {"component": "kubelet",
                                                                             "host": "worker-1"}}


def node(name: str = "worker-1", kubelet: str = "v1.31.4", ready: bool = True) -> dict:
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
            "status": {"nodeInfo": {"kubeletVersion": kubelet, "containerRuntimeVersion": "containerd://1.7.24",
                                    "kernelVersion": "6.1.0-28-amd64", "osImage": "Debian GNU/Linux 12 (bookworm)"},
                       "conditions": [{"type": "Ready", "status": "True" if ready else "Unknown",
                                       "reason": "KubeletReady" if ready else "NodeStatusUnknown"}]}}


def snapshot(*pods: dict, jobs: Sequence[dict] = (), events: Sequence[dict] = (), nodes: Sequence[dict] = (),
             now: float = 600, workloads: Sequence[dict] = (), events_read: bool = True) -> Snapshot:
    return Snapshot.of(at(now), pods=pods, jobs=jobs, events=events, nodes=nodes, workloads=workloads,
                       read=KINDS if events_read else set(KINDS) - {EVENTS})


def view(pod_dict: dict):
    return build_pod_view(pod_dict)


# --- the scenarios of shared/reference/scenarios.md, and their healthy variants ----------------------

def pi_legacy(now_running: bool = True) -> dict:
    """Scenario 3: `pi` done, the netutils sidecar in spec.containers runs forever (1/2 NotReady)."""
    return pod("pi-x7w2n", owner=("Job", "pi"), containers=[
        (container("pi", "perl:5.34.0", command=["perl", "-Mbignum=bpi", "-wle", "print bpi(2000)"]),
         terminated(0, 3, 9)),
        (container("sidecar", "hwchiu/netutils"), running(3) if now_running else terminated(0, 3, 20)),
    ])


def pi_native(sidecar_exit: int = 143, sidecar_reason: Optional[str] = None) -> dict:
    """Scenario 4: the native `network-proxy` sidecar; the pod Completed, the sidecar stopped after pi."""
    return pod("pi-sidecar-9fz4d", owner=("Job", "pi-sidecar"), init=[
        (container("network-proxy", "hwchiu/python-example", ports=[5000], restart_policy="Always"),
         terminated(sidecar_exit, 2, 14, reason=sidecar_reason)),
    ], containers=[
        (container("pi", "perl:5.34.0", command=["perl", "-Mbignum=bpi", "-wle", "print bpi(2000)"]),
         terminated(0, 3, 13)),
    ])


def cronjob_legacy_race() -> dict:
    """Scenario 1: the app curls the slow helper at once and fails; the helper keeps running."""
    return pod("sidecar-cronjob-29000000-abcde", owner=("Job", "sidecar-cronjob-29000000"), containers=[
        (container("slow-sidecar", "zwindler/slow-sidecar", ports=[8081]), running(3)),
        (container("sidecar-user", "zwindler/sidecar-user"), terminated(1, 5, 5)),
    ])


def cronjob_native_probe(sidecar_exit: int = 137) -> dict:
    """Scenario 2: native slow-sidecar with a startupProbe; the app succeeded; the sidecar SIGKILLed."""
    return pod("sidecar-cronjob-29000001-fghij", owner=("Job", "sidecar-cronjob-29000001"), init=[
        (container("slow-sidecar", "zwindler/slow-sidecar", ports=[8081], restart_policy="Always",
                   startupProbe=http_probe(8081, "/", period=1, failures=5, delay=5)),
         terminated(sidecar_exit, 1, 38)),
    ], containers=[
        (container("sidecar-user", "zwindler/sidecar-user"), terminated(0, 6, 7)),
    ])


def logshipper(sidecar_exit: int = 137) -> dict:
    """Scenario 5: `sh -c 'tail -F'` as PID 1 ignores SIGTERM and is SIGKILLed 30 s after the app."""
    return pod("daily-report-5mz8t", owner=("Job", "daily-report"), init=[
        (container("logshipper", "alpine:3.20", command=["sh", "-c", "tail -F /opt/logs.txt"],
                   restart_policy="Always"), terminated(sidecar_exit, 2, 74 if sidecar_exit == 137 else 44)),
    ], containers=[
        (container("report", "alpine:3.20", command=["sh", "-c", "for i in $(seq 1 20); do date >> /opt/logs.txt; "
                                                                 "sleep 2; done"]), terminated(0, 3, 43)),
    ])


def istio_legacy_deployment(proxy_ready: bool = True, restarts: int = 0, last: Optional[dict] = None) -> dict:
    status = '{"initContainers":["istio-init"],"containers":["istio-proxy"],"volumes":["istio-envoy"]}'
    return pod("reviews-v1-545db77b95-w8hlc", owner=("ReplicaSet", "reviews-v1-545db77b95"), restart_policy="Always",
               annotations={"sidecar.istio.io/status": status, "kubectl.kubernetes.io/default-container": "reviews"},
               init=[(container("istio-init", "docker.io/istio/proxyv2:1.22.0", args=["istio-iptables", "-p", "15001"]),
                      terminated(0, 2, 3))],
               containers=[
                   (container("reviews", "docker.io/istio/examples-bookinfo-reviews-v1:1.20.1", ports=[9080]),
                    running(4)),
                   (container("istio-proxy", "docker.io/istio/proxyv2:1.22.0", args=["proxy", "sidecar"],
                              ports=[15090], readinessProbe=http_probe(15021, "/healthz/ready", period=2, failures=30)),
                    running(4, ready=proxy_ready, restarts=restarts, last=last)),
               ])


# --- running the rules --------------------------------------------------------------------------------

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
