"""native-sidecars-unsupported."""

from tests.factory import conditions, container, event, job_owner, logshipper, node, pod, running, waiting
from tests.unit.judging import findings_of, with_code

UNSUPPORTED = "native-sidecars-unsupported"


def _pending():
    return pod("job-1", owner=job_owner("demo"), restart_policy="Never", phase=None,
               pod_conditions=conditions(initialized=False, ready=False),
               init_containers=[container("logshipper", "alpine:3.20", restart_policy="Always")],
               containers=[container("main", "example/app:1")],
               init_statuses=[waiting("logshipper", "PodInitializing", started=False)],
               statuses=[waiting("main", "PodInitializing", started=False)])


def test_old_kubelet_is_an_error():
    found = with_code(findings_of(_pending(), nodes=[node(kubelet="v1.27.16")]), UNSUPPORTED)
    assert [(f.severity, f.container) for f in found] == [("error", "logshipper")]
    assert "v1.27.16" in found[0].message


def test_kubelet_128_with_unknown_gate_says_so():
    found = with_code(findings_of(_pending(), nodes=[node(kubelet="v1.28.15-eks-1234")]), UNSUPPORTED)
    assert [f.severity for f in found] == ["warning"]
    assert "feature gate" in found[0].message and "cannot be seen" in found[0].message


def test_kubelet_128_running_sidecars_has_the_gate_on():
    p = pod("job-1", owner=job_owner("demo"), restart_policy="Never", phase=None,
            init_containers=[container("logshipper", "alpine:3.20", restart_policy="Always")],
            containers=[container("main", "example/app:1")],
            init_statuses=[running("logshipper", since=2)],
            statuses=[running("main", since=3)])
    assert with_code(findings_of(p, nodes=[node(kubelet="v1.28.15")]), UNSUPPORTED) == []


def _rejected(reason):
    return pod("job-1", owner=job_owner("demo"), restart_policy="Never", phase="Failed", reason=reason,
               pod_conditions=conditions(initialized=False, ready=False, not_ready_reason="PodCompleted"),
               message='Pod was rejected: Init container "logshipper" may not have a non-default restartPolicy',
               init_containers=[container("logshipper", "alpine:3.20", restart_policy="Always")],
               containers=[container("main", "example/app:1")])


def test_kubelet_admission_rejection_is_an_error():
    p = _rejected("InitContainerRestartPolicyForbidden")
    events = [event(p, "InitContainerRestartPolicyForbidden",
                    'Init container "logshipper" may not have a non-default restartPolicy')]
    found = with_code(findings_of(p, events=events, nodes=[node(kubelet="v1.28.15")]), UNSUPPORTED)
    assert [(f.severity, f.container) for f in found] == [("error", "logshipper")]
    assert "InitContainerRestartPolicyForbidden" in found[0].message and "v1.28.15" in found[0].message
    assert any("may not have a non-default restartPolicy" in e for e in found[0].evidence)


def test_rejection_seen_in_the_status_or_the_events_alone():
    assert len(with_code(findings_of(_rejected("SidecarForbidden")), UNSUPPORTED)) == 1
    p = _rejected(None)
    p["status"].pop("message")
    events = [event(p, "SidecarForbidden", "Pod was rejected: restartable init containers are not supported")]
    assert len(with_code(findings_of(p, events=events), UNSUPPORTED)) == 1


def test_supported_or_unknown_nodes_are_not_findings():
    assert with_code(findings_of(_pending(), nodes=[node(kubelet="v1.30.2")]), UNSUPPORTED) == []
    assert with_code(findings_of(_pending()), UNSUPPORTED) == []
    assert with_code(findings_of(logshipper(), nodes=[node(kubelet="v1.33.1")]), UNSUPPORTED) == []
