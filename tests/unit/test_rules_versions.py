"""native-sidecars-unsupported."""

from tests.unit.podfactory import (container, event, findings_of, logshipper, node, pod, running, waiting,
                                   with_code)

UNSUPPORTED = "native-sidecars-unsupported"


def _pending():
    return pod("job-1", init=[(container("logshipper", "alpine:3.20", restart_policy="Always"),
                               waiting("PodInitializing", started_flag=False))],
               containers=[(container("main", "example/app:1"), waiting("PodInitializing", started_flag=False))],
               initialized=False)


def test_old_kubelet_is_an_error():
    found = with_code(findings_of(_pending(), nodes=[node(kubelet="v1.27.16")]), UNSUPPORTED)
    assert [(f.severity, f.container) for f in found] == [("error", "logshipper")]
    assert "v1.27.16" in found[0].message


def test_kubelet_128_with_unknown_gate_says_so():
    found = with_code(findings_of(_pending(), nodes=[node(kubelet="v1.28.15-eks-1234")]), UNSUPPORTED)
    assert [f.severity for f in found] == ["warning"]
    assert "feature gate" in found[0].message and "cannot be seen" in found[0].message


def test_kubelet_128_running_sidecars_has_the_gate_on():
    p = pod("job-1", init=[(container("logshipper", "alpine:3.20", restart_policy="Always"), running(2))],
            containers=[(container("main", "example/app:1"), running(3))])
    assert with_code(findings_of(p, nodes=[node(kubelet="v1.28.15")]), UNSUPPORTED) == []


def _rejected(reason):
    return pod("job-1", init=[(container("logshipper", "alpine:3.20", restart_policy="Always"), None)],
               containers=[(container("main", "example/app:1"), None)], phase="Failed", status_reason=reason,
               status_message='Pod was rejected: Init container "logshipper" may not have a non-default restartPolicy')


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
