"""The tests play the kubelet and the controllers: nothing schedules, runs or reports on its own here.

Pods are created already bound to a node (spec.nodeName) and their status is written the way a kubelet
would, through the pods/status subresource; Jobs get their pods and their status from the tests too.

    kube.pod(ns, "web", init=[sidecar("proxy")], containers=[container("app")],
             statuses=[live.running("proxy"),
                       live.waiting("app", "CrashLoopBackOff", restarts=3, last=live.exited(1))])

Objects come from tests/factory.py, built by its `live` builders; times given to Kube's own methods are
"seconds ago", as ``ago()`` turns them into times of the live clock for the builders.
"""

import itertools

from tests.factory import LIVE, ago, digest, live

from .cluster import K8S_VERSION, ApiError

DEFAULT_NODE = "e2e-node"
_unique = itertools.count(1)


def before_now(seconds):
    """The RFC 3339 time `seconds` before now."""
    return LIVE.ts(ago(seconds))


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
                            "lastHeartbeatTime": before_now(0), "lastTransitionTime": before_now(600)}],
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
        status = live.pod_status(pod["spec"], statuses, phase, pod_name=name)
        status.update({"hostIP": "10.1.0.1", "podIP": "10.2.0.10", **fields})
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
        name = name or f"{job_name}-{digest(job_name, next(_unique))[:5]}"
        return self.pod(ns, name, template["spec"]["containers"], template["spec"].get("initContainers", ()),
                        statuses=statuses, phase=phase, node=node, owner=job,
                        labels=template["metadata"]["labels"], restart_policy=template["spec"]["restartPolicy"])

    def job_status(self, job, active=0, ready=0, succeeded=0, failed=0, outcome=None, reason=None,
                   message=None, started_ago=600, finished_ago=5):
        """Writes Job status; the 1.36 API server wants finished Jobs to carry their full story:
        startTime, SuccessCriteriaMet before Complete (plus completionTime), FailureTarget before Failed."""
        ns, name = _meta(job)
        status = {"startTime": before_now(started_ago), "active": active, "ready": ready,
                  "succeeded": succeeded, "failed": failed}
        if outcome == "Complete":
            status["completionTime"] = before_now(finished_ago)
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
                "lastProbeTime": before_now(5), "lastTransitionTime": before_now(5)}

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
            "metadata": {"name": f"{name}.{digest(name, reason, next(_unique))[:16]}", "namespace": ns},
            "involvedObject": involved, "reason": reason, "message": message, "type": type,
            "count": count, "firstTimestamp": before_now(first_ago), "lastTimestamp": before_now(last_ago),
            "source": {"component": component, **({"host": host} if host else {})},
            "reportingComponent": component, "reportingInstance": host})

    @staticmethod
    def _field_path(pod, container):
        for field in ("initContainers", "containers"):
            names = [c["name"] for c in pod["spec"].get(field) or []]
            if container in names:
                return f"spec.{field}{{{container}}}"
        raise ValueError(f"no container {container!r} in pod {pod['metadata']['name']}")
