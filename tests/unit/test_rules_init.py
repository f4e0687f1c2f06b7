"""init-never-exits."""

from tests.unit.podfactory import (container, findings_of, job, node, pod, running, serious, terminated, waiting,
                                   with_code)

NEVER = "init-never-exits"


def _stuck(name="fluent-bit", image="fluent/fluent-bit:3.1", started=5, ports=(), **kwargs):
    return pod("job-1", init=[(container(name, image, ports=ports), running(started, ready=False,
                                                                            started_flag=None))],
               containers=[(container("main", "example/app:1"), waiting("PodInitializing", started_flag=False))],
               initialized=False, **kwargs)


def test_a_helper_as_plain_init_container_is_an_error():
    found = with_code(findings_of(_stuck(), now=300), NEVER)
    assert [(f.severity, f.container) for f in found] == [("error", "fluent-bit")]
    assert "Init:0/1" in found[0].message and "fluent-bit" in found[0].message
    assert "restartPolicy: Always" in found[0].remedy


def test_restart_policy_stripped_from_the_template():
    p = _stuck(name="network-proxy", image="hwchiu/python-example", owner=("Job", "pi-sidecar"))
    template = pod("t", init=[(container("network-proxy", "hwchiu/python-example", restart_policy="Always"), None)],
                   containers=[(container("main", "example/app:1"), None)])
    j = job("pi-sidecar", template=template, active=1)
    found = with_code(findings_of(p, jobs=[j], nodes=[node(kubelet="v1.28.9")], now=20), NEVER)
    assert [f.severity for f in found] == ["error"]
    assert "dropped it" in found[0].message and "v1.28.9" in found[0].message


def test_a_plain_init_step_running_long_is_only_a_warning():
    p = _stuck(name="migrate", image="example/migrate:7")
    assert with_code(findings_of(p, now=120), NEVER) == []
    found = with_code(findings_of(p, now=900), NEVER)
    assert [f.severity for f in found] == ["warning"]


def test_init_never_exits_near_misses():
    # a helper-looking init container that just started (vault-agent-init runs and exits)
    assert serious(findings_of(_stuck(name="vault-agent-init", image="hashicorp/vault:1.17"), now=20)) == []
    # done and initialized
    p = pod("job-1", init=[(container("fluent-bit", "fluent/fluent-bit:3.1"), terminated(0, 2, 4))],
            containers=[(container("main", "example/app:1"), running(5))])
    assert with_code(findings_of(p, now=3000), NEVER) == []
