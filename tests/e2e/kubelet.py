"""The tests play the kubelet and the controllers: nothing schedules, runs or reports on its own here.

Pods are created already bound to a node (spec.nodeName) and their status is written the way a kubelet
would, through the pods/status subresource; Jobs get their pods and their status from the tests too.

    kube.pod(ns, "web", init=[sidecar("proxy")], containers=[container("app")],
             statuses=[running("proxy"), waiting("app", "CrashLoopBackOff", restarts=3, last=exited(1))])

Status builders take times as "seconds ago", so tests read as a story rather than as timestamps.
"""

import hashlib
import itertools
from datetime import datetime, timedelta, timezone

from .cluster import K8S_VERSION, ApiError

DEFAULT_NODE = "e2e-node"
DEFAULT_IMAGE = "registry.example/busybox:1.36"
_unique = itertools.count(1)


def ago(seconds):
    """RFC 3339 time `seconds` before now (what the API server stores, second precision)."""
    when = datetime.now(timezone.utc) - timedelta(seconds=seconds)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _digest(*parts):
    return hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()


# --- container specs -------------------------------------------------------------------------------

def container(name, image=DEFAULT_IMAGE, command=None, **fields):
    """A container spec; extra fields go in as they are (camelCase), e.g. readinessProbe=http_probe()."""
    spec = {"name": name, "image": image, **fields}
    if command:
        spec["command"] = list(command)
    return spec


def sidecar(name, image=DEFAULT_IMAGE, command=None, **fields):
    """A native sidecar: an init container with restartPolicy Always (KEP-753)."""
    return container(name, image, command, restartPolicy="Always", **fields)


def http_probe(path="/healthz", port=8080, **fields):
    return {"httpGet": {"path": path, "port": port}, "periodSeconds": 5, **fields}


def exec_probe(*command, **fields):
    return {"exec": {"command": list(command)}, "periodSeconds": 5, **fields}


# --- container statuses ----------------------------------------------------------------------------
# Each builder returns a containerStatus without image fields; Kube.pod fills them in from the spec.

def _status(name, state, ready, started, restarts, last):
    status = {"name": name, "state": state, "ready": ready, "started": started, "restartCount": restarts}
    if last:
        status["lastState"] = last
    if "waiting" not in state or restarts:
        status["containerID"] = "containerd://" + _digest(name, restarts, state)
    return status


def running(name, ready=True, started=True, restarts=0, since=60, last=None):
    """A running container; a sidecar with started=False has not passed its startupProbe yet."""
    return _status(name, {"running": {"startedAt": ago(since)}}, ready, started, restarts, last)


def waiting(name, reason, message=None, restarts=0, last=None):
    """A waiting container: ContainerCreating, PodInitializing, CrashLoopBackOff, ImagePullBackOff..."""
    state = {"reason": reason, **({"message": message} if message else {})}
    return _status(name, {"waiting": state}, False, False, restarts, last)


def _terminated_state(exit_code, reason, signal, started_ago, finished_ago):
    state = {"exitCode": exit_code, "reason": reason or ("Completed" if exit_code == 0 else "Error"),
             "startedAt": ago(started_ago), "finishedAt": ago(finished_ago),
             "containerID": "containerd://" + _digest(exit_code, started_ago)}
    if signal is not None:
        state["signal"] = signal
    return state


def terminated(name, exit_code=0, reason=None, signal=None, started_ago=120, finished_ago=10,
               restarts=0, last=None):
    """A container that exited; reason defaults to Completed (0) or Error, as the kubelet reports."""
    state = _terminated_state(exit_code, reason, signal, started_ago, finished_ago)
    return _status(name, {"terminated": state}, False, False, restarts, last)


def exited(exit_code=1, reason=None, signal=None, started_ago=300, finished_ago=240):
    """A lastState: how the previous run of a restarted container ended."""
    return {"terminated": _terminated_state(exit_code, reason, signal, started_ago, finished_ago)}


# --- pod status as a kubelet derives it ------------------------------------------------------------

def is_sidecar(spec):
    return spec.get("restartPolicy") == "Always"


def _exit_code(status):
    """The exit code of a terminated container status, else None."""
    return (status or {}).get("state", {}).get("terminated", {}).get("exitCode")


def _has_run(status):
    return "waiting" not in status["state"] or "terminated" in status.get("lastState", {})


def _initialized(init_specs, by_name):
    """Init containers must have exited 0 and sidecars be started. The condition never goes back to
    False, so once an app container ran, sidecars that finished since do not matter."""
    init_names = {c["name"] for c in init_specs}
    if any(_has_run(status) for name, status in by_name.items() if name not in init_names):
        return True
    return all(_init_done(c, by_name.get(c["name"])) for c in init_specs)


def _init_done(spec, status):
    if is_sidecar(spec):
        return bool(status and status.get("started"))
    return _exit_code(status) == 0


def _derive_phase(pod_spec, by_name, initialized):
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


def _condition(kind, ok, reason=None):
    condition = {"type": kind, "status": "True" if ok else "False", "lastTransitionTime": ago(0),
                 "lastProbeTime": None}
    if not ok and reason:
        condition["reason"] = reason
    return condition


def _with_image(status, image):
    """Status carries the image; a container that never ran has no image ID yet."""
    never_ran = not _has_run(status)
    return {"image": image, "imageID": "" if never_ran else f"{image}@sha256:{_digest(image)}", **status}


def pod_status(pod_spec, statuses, phase=None):
    """The status a kubelet would write for these container statuses: phase and the four conditions.
    Pod Ready needs every app container and every sidecar started and ready (KEP-753)."""
    init_specs = pod_spec.get("initContainers", [])
    specs = {c["name"]: c for c in init_specs + pod_spec["containers"]}
    unknown = {s["name"] for s in statuses} - set(specs)
    if unknown:
        raise ValueError(f"statuses for containers not in the spec: {sorted(unknown)}")
    by_name = {s["name"]: _with_image(s, specs[s["name"]]["image"]) for s in statuses}

    initialized = _initialized(init_specs, by_name)
    phase = phase or _derive_phase(pod_spec, by_name, initialized)
    must_be_ready = [c for c in init_specs if is_sidecar(c)] + pod_spec["containers"]
    ready = phase == "Running" and all(
        by_name.get(c["name"], {}).get("ready") and by_name[c["name"]].get("started") for c in must_be_ready)
    not_ready = "PodCompleted" if phase == "Succeeded" else "ContainersNotReady"
    return {
        "phase": phase,
        "conditions": [
            _condition("PodScheduled", True),
            _condition("Initialized", initialized, "ContainersNotInitialized"),
            _condition("ContainersReady", ready, not_ready),
            _condition("Ready", ready, not_ready),
        ],
        "initContainerStatuses": [by_name[c["name"]] for c in init_specs if c["name"] in by_name],
        "containerStatuses": [by_name[c["name"]] for c in pod_spec["containers"] if c["name"] in by_name],
    }


def owner_reference(owner):
    """The controller reference a controller sets on what it creates (garbage collection, kubectl)."""
    return {"apiVersion": owner["apiVersion"], "kind": owner["kind"], "name": owner["metadata"]["name"],
            "uid": owner["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}


def _meta(obj):
    return obj["metadata"]["namespace"], obj["metadata"]["name"]


# --- the helper the tests use ----------------------------------------------------------------------

class Kube:
    """Creates objects as an administrator and writes what kubelet and controllers would."""

    def __init__(self, api):
        self.api = api
        self._namespaces = set()
        self._nodes = set()

    def namespace(self, name, labels=None):
        """Creates the namespace once; nothing ever deletes it (no namespace controller runs)."""
        if name not in self._namespaces:
            try:
                self.api.post("/api/v1/namespaces", {"metadata": {"name": name, "labels": labels or {}}})
            except ApiError as err:
                if err.status != 409:
                    raise
            self._namespaces.add(name)
        return name

    def node(self, name=DEFAULT_NODE, kubelet_version=K8S_VERSION, ready=True):
        """A Node with the nodeInfo a kubelet reports: the plugin reads kubeletVersion for skew checks."""
        if name not in self._nodes:
            try:
                self.api.post("/api/v1/nodes", {"metadata": {"name": name, "labels": {
                    "kubernetes.io/hostname": name, "kubernetes.io/os": "linux"}}})
            except ApiError as err:
                if err.status != 409:
                    raise
            self._nodes.add(name)
        return self.api.patch(f"/api/v1/nodes/{name}/status", {"status": {
            "nodeInfo": {"kubeletVersion": kubelet_version, "kubeProxyVersion": "",
                         "containerRuntimeVersion": "containerd://2.1.0", "operatingSystem": "linux",
                         "architecture": "amd64", "osImage": "Debian GNU/Linux 12 (bookworm)"},
            "conditions": [{"type": "Ready", "status": "True" if ready else "Unknown",
                            "reason": "KubeletReady" if ready else "NodeStatusUnknown",
                            "lastHeartbeatTime": ago(0), "lastTransitionTime": ago(600)}],
        }})

    def pod(self, ns, name, containers, init=(), statuses=None, phase=None, node=DEFAULT_NODE,
            labels=None, annotations=None, owner=None, restart_policy="Always", **spec):
        """Creates a pod bound to node; with statuses, also writes its status as the kubelet would."""
        self.namespace(ns)
        if node and node not in self._nodes:
            self.node(node)
        metadata = {"name": name, "namespace": ns, "labels": labels or {}, "annotations": annotations or {}}
        if owner:
            metadata["ownerReferences"] = [owner_reference(owner)]
        body = {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": {
            "containers": list(containers), "initContainers": list(init),
            "restartPolicy": restart_policy, "terminationGracePeriodSeconds": 30, **spec}}
        if node:
            body["spec"]["nodeName"] = node
        pod = self.api.post(f"/api/v1/namespaces/{ns}/pods", body)
        if statuses is not None:
            pod = self.set_status(pod, statuses, phase)
        return pod

    def set_status(self, pod, statuses, phase=None, **fields):
        """Replaces the pod's status (lists are replaced whole); fields are extra status keys."""
        ns, name = _meta(pod)
        status = pod_status(pod["spec"], statuses, phase)
        status.update({"startTime": ago(600), "hostIP": "10.1.0.1", "podIP": "10.2.0.10", **fields})
        return self.api.patch(f"/api/v1/namespaces/{ns}/pods/{name}/status", {"status": status})

    def terminate(self, pod, grace=3600):
        """Deletes a bound pod gracefully: with no kubelet to confirm, it stays Terminating for good."""
        ns, name = _meta(pod)
        self.api.delete(f"/api/v1/namespaces/{ns}/pods/{name}", gracePeriodSeconds=grace)
        return self.api.get(f"/api/v1/namespaces/{ns}/pods/{name}")

    # --- Jobs and CronJobs -----------------------------------------------------------------------

    def _pod_template(self, containers, init, restart_policy):
        return {"spec": {"containers": list(containers), "initContainers": list(init),
                         "restartPolicy": restart_policy}}

    def job(self, ns, name, containers, init=(), cronjob=None, restart_policy="Never", **spec):
        """A Job; the API server adds its selector and the job-name/controller-uid labels."""
        self.namespace(ns)
        metadata = {"name": name, "namespace": ns}
        if cronjob:
            metadata["ownerReferences"] = [owner_reference(cronjob)]
        return self.api.post(f"/apis/batch/v1/namespaces/{ns}/jobs", {
            "apiVersion": "batch/v1", "kind": "Job", "metadata": metadata,
            "spec": {"template": self._pod_template(containers, init, restart_policy), **spec}})

    def job_pod(self, job, statuses=None, phase=None, name=None, node=DEFAULT_NODE):
        """A pod of job, labelled and owned the way the Job controller does it."""
        ns, job_name = _meta(job)
        template = job["spec"]["template"]
        name = name or f"{job_name}-{_digest(job_name, next(_unique))[:5]}"
        return self.pod(ns, name, template["spec"]["containers"], template["spec"].get("initContainers", ()),
                        statuses=statuses, phase=phase, node=node, owner=job,
                        labels=template["metadata"]["labels"], restart_policy=template["spec"]["restartPolicy"])

    def job_status(self, job, active=0, ready=0, succeeded=0, failed=0, outcome=None, reason=None,
                   message=None, started_ago=600, finished_ago=5):
        """Writes Job status; the 1.36 API server wants finished Jobs to carry their full story:
        startTime, SuccessCriteriaMet before Complete (plus completionTime), FailureTarget before Failed."""
        ns, name = _meta(job)
        status = {"startTime": ago(started_ago), "active": active, "ready": ready,
                  "succeeded": succeeded, "failed": failed}
        if outcome == "Complete":
            status["completionTime"] = ago(finished_ago)
            status["conditions"] = [self._job_condition("SuccessCriteriaMet", reason or "CompletionsReached",
                                                        message or "Reached expected number of succeeded pods"),
                                    self._job_condition("Complete", reason or "CompletionsReached",
                                                        message or "Reached expected number of succeeded pods")]
        elif outcome == "Failed":
            reason = reason or "BackoffLimitExceeded"
            message = message or "Job has reached the specified backoff limit"
            status["conditions"] = [self._job_condition("FailureTarget", reason, message),
                                    self._job_condition("Failed", reason, message)]
        elif outcome is not None:
            raise ValueError(f"outcome must be None, 'Complete' or 'Failed', not {outcome!r}")
        return self.api.patch(f"/apis/batch/v1/namespaces/{ns}/jobs/{name}/status", {"status": status})

    @staticmethod
    def _job_condition(kind, reason, message):
        return {"type": kind, "status": "True", "reason": reason, "message": message,
                "lastProbeTime": ago(5), "lastTransitionTime": ago(5)}

    def cronjob(self, ns, name, containers, init=(), schedule="*/10 * * * *", restart_policy="Never"):
        self.namespace(ns)
        return self.api.post(f"/apis/batch/v1/namespaces/{ns}/cronjobs", {
            "apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": name, "namespace": ns},
            "spec": {"schedule": schedule, "jobTemplate": {"spec": {
                "template": self._pod_template(containers, init, restart_policy)}}}})

    def cronjob_run(self, cronjob, statuses=None, phase=None, name=None):
        """A Job the CronJob controller would have started from cronjob, with one pod; returns (job, pod)."""
        ns, cj_name = _meta(cronjob)
        template = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        job = self.job(ns, name or f"{cj_name}-{29000000 + next(_unique)}", template["containers"],
                       template.get("initContainers", ()), cronjob=cronjob,
                       restart_policy=template["restartPolicy"])
        return job, self.job_pod(job, statuses=statuses, phase=phase)

    # --- Events ----------------------------------------------------------------------------------

    def event(self, obj, reason, message, type="Warning", count=1, component="kubelet", container=None,
              first_ago=120, last_ago=5):
        """A core/v1 Event about obj, as kubectl describe shows them; container sets the fieldPath."""
        ns, name = _meta(obj)
        involved = {"apiVersion": obj.get("apiVersion", "v1"), "kind": obj.get("kind", "Pod"),
                    "name": name, "namespace": ns, "uid": obj["metadata"]["uid"]}
        if container:
            involved["fieldPath"] = self._field_path(obj, container)
        host = obj.get("spec", {}).get("nodeName", "")
        return self.api.post(f"/api/v1/namespaces/{ns}/events", {
            "metadata": {"name": f"{name}.{_digest(name, reason, next(_unique))[:16]}", "namespace": ns},
            "involvedObject": involved, "reason": reason, "message": message, "type": type,
            "count": count, "firstTimestamp": ago(first_ago), "lastTimestamp": ago(last_ago),
            "source": {"component": component, **({"host": host} if host else {})},
            "reportingComponent": component, "reportingInstance": host})

    @staticmethod
    def _field_path(pod, container):
        for field in ("initContainers", "containers"):
            names = [c["name"] for c in pod["spec"].get(field) or []]
            if container in names:
                return f"spec.{field}{{{container}}}"
        raise ValueError(f"no container {container!r} in pod {pod['metadata']['name']}")
