"""stuck-terminating."""

from tests.unit.podfactory import (container, findings_of, istio_legacy_deployment, node, pod, running, shown,
                                   terminated, with_code)

STUCK = "stuck-terminating"


def _deleted(at, proxy_running=True):
    p = istio_legacy_deployment()
    p["metadata"]["deletionTimestamp"] = f"2025-03-01T10:{at // 60:02d}:{at % 60:02d}Z"
    if not proxy_running:
        p["status"]["containerStatuses"][1]["state"] = {"terminated": {"exitCode": 0, "reason": "Completed",
                                                                       "startedAt": "2025-03-01T10:00:04Z",
                                                                       "finishedAt": "2025-03-01T10:01:00Z"}}
    return p


def test_terminating_long_past_the_grace_period_with_a_running_sidecar():
    found = with_code(findings_of(_deleted(60), now=900, nodes=[node(ready=False)]), STUCK)
    assert [(f.severity, f.container) for f in found] == [("warning", "istio-proxy")]
    assert "NotReady" in found[0].message and "--force" in shown(found[0])


def test_never_started_native_sidecar_mentions_the_upstream_bug():
    p = pod("job-1", deleted=60, init=[(container("envoy", "envoyproxy/envoy:v1.31", restart_policy="Always"),
                                        running(2, ready=False, started_flag=False))],
            containers=[(container("main", "example/app:1"), None)], initialized=False)
    found = with_code(findings_of(p, now=600), STUCK)
    assert len(found) == 1 and "#125880" in found[0].message


def test_terminating_near_misses():
    assert with_code(findings_of(_deleted(590), now=600), STUCK) == []
    assert with_code(findings_of(_deleted(60, proxy_running=False), now=900), STUCK) == []
    p = pod("job-1", containers=[(container("main", "example/app:1"), terminated(0, 3, 9))])
    assert with_code(findings_of(p, now=900), STUCK) == []
    assert running  # imported for symmetry with the other modules


def test_terminating_on_a_lost_node_names_the_cause_not_the_sidecar():
    p = _deleted(60)
    p["status"]["reason"] = "NodeLost"
    p["status"]["message"] = "Node worker-1 which was running pod reviews-v1-545db77b95-w8hlc is unresponsive"
    p["status"]["conditions"].append({"type": "DisruptionTarget", "status": "True", "lastProbeTime": None,
                                      "lastTransitionTime": "2025-03-01T10:00:30Z",
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
