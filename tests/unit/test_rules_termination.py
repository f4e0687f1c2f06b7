"""stuck-terminating."""

from tests.factory import conditions, container, istio_legacy_deployment, job_owner, node, pod, running, terminated, ts
from tests.unit.judging import findings_of, shown, with_code

STUCK = "stuck-terminating"


def _deleted(at, proxy_running=True):
    p = istio_legacy_deployment()
    p["metadata"]["deletionTimestamp"] = ts(at)
    if not proxy_running:
        p["status"]["containerStatuses"][1]["state"] = {"terminated": {"exitCode": 0, "reason": "Completed",
                                                                       "startedAt": ts(4), "finishedAt": ts(60)}}
    return p


def test_terminating_long_past_the_grace_period_with_a_running_sidecar():
    found = with_code(findings_of(_deleted(60), now=900, nodes=[node(ready=False)]), STUCK)
    assert [(f.severity, f.container) for f in found] == [("warning", "istio-proxy")]
    assert "NotReady" in found[0].message and "--force" in shown(found[0])


def test_never_started_native_sidecar_mentions_the_upstream_bug():
    p = pod("job-1", owner=job_owner("demo"), restart_policy="Never", phase=None,
            pod_conditions=conditions(initialized=False, ready=False), deleted=60,
            init_containers=[container("envoy", "envoyproxy/envoy:v1.31", restart_policy="Always")],
            containers=[container("main", "example/app:1")],
            init_statuses=[running("envoy", since=2, ready=False, started=False)])
    found = with_code(findings_of(p, now=600), STUCK)
    assert len(found) == 1 and "#125880" in found[0].message


def test_terminating_near_misses():
    assert with_code(findings_of(_deleted(590), now=600), STUCK) == []
    assert with_code(findings_of(_deleted(60, proxy_running=False), now=900), STUCK) == []
    p = pod("job-1", owner=job_owner("demo"), restart_policy="Never", phase=None,
            containers=[container("main", "example/app:1")],
            statuses=[terminated("main", 0, since=3, until=9)])
    assert with_code(findings_of(p, now=900), STUCK) == []
    assert running  # imported for symmetry with the other modules


def test_terminating_on_a_lost_node_names_the_cause_not_the_sidecar():
    p = _deleted(60)
    p["status"]["reason"] = "NodeLost"
    p["status"]["message"] = "Node worker-1 which was running pod reviews-v1-545db77b95-w8hlc is unresponsive"
    p["status"]["conditions"].append({"type": "DisruptionTarget", "status": "True", "lastProbeTime": None,
                                      "lastTransitionTime": ts(30),
                                      "reason": "DeletionByTaintManager",
                                      "message": "Taint manager: deleting due to NoExecute taint"})
    found = with_code(findings_of(p, now=7200, nodes=[node(ready=False)]), STUCK)
    assert [(f.severity, f.container) for f in found] == [("warning", None)]
    message = found[0].message
    assert "status.reason: NodeLost" in message and "DisruptionTarget: DeletionByTaintManager" in message
    assert "not the cause" in message and "--force" in shown(found[0])
    # the condition alone names it too
    p["status"].pop("reason")
    assert "DeletionByTaintManager" in with_code(findings_of(p, now=7200), STUCK)[0].message
