"""init-never-exits."""

from tests.factory import (
    conditions,
    container,
    job,
    job_owner,
    node,
    pod,
    replicaset_owner,
    running,
    terminated,
    waiting,
)
from tests.unit.judging import findings_of, serious, shown, with_code

NEVER = "init-never-exits"


def _stuck(name="fluent-bit", image="fluent/fluent-bit:3.1", started=5, ports=(), job="demo"):
    return pod("job-1", owner=job_owner(job), restart_policy="Never", phase=None,
               pod_conditions=conditions(initialized=False, ready=False),
               init_containers=[container(name, image, ports=[{"containerPort": p, "protocol": "TCP"} for p in ports])],
               containers=[container("main", "example/app:1")],
               init_statuses=[running(name, since=started, ready=False, started=None)],
               statuses=[waiting("main", "PodInitializing", started=False)])


def test_a_helper_as_plain_init_container_is_an_error():
    found = with_code(findings_of(_stuck(), now=300), NEVER)
    assert [(f.severity, f.container) for f in found] == [("error", "fluent-bit")]
    assert "Init:0/1" in found[0].message and "fluent-bit" in found[0].message
    assert "restartPolicy: Always" in shown(found[0])


def test_restart_policy_stripped_from_the_template():
    p = _stuck(name="network-proxy", image="hwchiu/python-example", job="pi-sidecar")
    template = pod("t", owner=job_owner("demo"), restart_policy="Never", phase=None,
                   init_containers=[container("network-proxy", "hwchiu/python-example", restart_policy="Always")],
                   containers=[container("main", "example/app:1")])
    j = job("pi-sidecar", template=template, active=1)
    found = with_code(findings_of(p, jobs=[j], nodes=[node(kubelet="v1.28.9")], now=20), NEVER)
    assert [f.severity for f in found] == ["error"]
    assert "dropped it" in found[0].message and "v1.28.9" in found[0].message


def test_a_plain_init_step_running_long_is_a_note_then_only_a_warning():
    p = _stuck(name="migrate", image="example/migrate:7")
    assert with_code(findings_of(p, now=120), NEVER) == []
    # six minutes of a migration: worth a note, not an alarm, and no "make it a sidecar"
    noted = with_code(findings_of(p, now=365), NEVER)
    assert [f.severity for f in noted] == ["info"]
    assert "restartPolicy" not in shown(noted[0]) and "kubectl logs" in shown(noted[0])
    found = with_code(findings_of(p, now=1000), NEVER)
    assert [f.severity for f in found] == ["warning"]


def test_init_never_exits_near_misses():
    # a helper-looking init container that just started (vault-agent-init runs and exits)
    assert serious(findings_of(_stuck(name="vault-agent-init", image="hashicorp/vault:1.17"), now=20)) == []
    # done and initialized
    p = pod("job-1", owner=job_owner("demo"), restart_policy="Never", phase=None,
            init_containers=[container("fluent-bit", "fluent/fluent-bit:3.1")],
            containers=[container("main", "example/app:1")],
            init_statuses=[terminated("fluent-bit", 0, since=2, until=4)],
            statuses=[running("main", since=5)])
    assert with_code(findings_of(p, now=3000), NEVER) == []


# --- one-shot helper forms and plain steps are not sidecars missing restartPolicy ---------------------

def _init(spec, started=5):
    return pod("scheduler-6d5c4b3a2-gs1ab", owner=replicaset_owner("scheduler-6d5c4b3a2"), restart_policy="Always",
               phase=None, pod_conditions=conditions(initialized=False, ready=False),
               init_containers=[spec],
               containers=[container("scheduler", "apache/airflow:2.9.3")],
               init_statuses=[running(spec["name"], since=started, ready=False, started=None)],
               statuses=[waiting("scheduler", "PodInitializing", started=False)])


def _git_sync(**extra):
    return container("git-sync-init", "registry.k8s.io/git-sync/git-sync:v4.2.4", **extra)


def test_one_shot_git_sync_cloning_for_minutes_is_not_an_error():
    for spec in (_git_sync(env={"GITSYNC_REPO": "https://github.com/example/dags", "GITSYNC_ONE_TIME": "true"}),
                 container("git-sync", "registry.k8s.io/git-sync/git-sync:v3.6.9", env={"GIT_SYNC_ONE_TIME": "true"}),
                 container("clone", "registry.k8s.io/git-sync/git-sync:v4.2.4",
                           args=["--repo=https://github.com/example/dags", "--one-time"]),
                 _git_sync()):  # named as an init step
        assert with_code(findings_of(_init(spec), now=125), NEVER) == [], spec["name"]
        noted = with_code(findings_of(_init(spec), now=365), NEVER)
        assert [f.severity for f in noted] == ["info"], spec["name"]
        assert "restartPolicy: Always" not in shown(noted[0])


def test_git_sync_without_one_time_as_a_plain_init_container_is_an_error():
    spec = container("git-sync", "registry.k8s.io/git-sync/git-sync:v4.2.4",
                     args=["--repo=https://github.com/example/dags", "--period=60s"])
    found = with_code(findings_of(_init(spec), now=125), NEVER)
    assert [(f.severity, f.container) for f in found] == [("error", "git-sync")]
    assert "restartPolicy: Always" in shown(found[0])


def test_vault_agent_init_that_keeps_running_is_failing_to_authenticate():
    spec = container("vault-agent-init", "hashicorp/vault:1.17.2", command=["/bin/sh", "-ec"],
                     args=["echo ${VAULT_CONFIG?} | base64 -d > /home/vault/config.json && vault agent "
                           "-config=/home/vault/config.json"])
    assert with_code(findings_of(_init(spec), now=125), NEVER) == []
    found = with_code(findings_of(_init(spec), now=365), NEVER)
    assert [f.severity for f in found] == ["warning"]
    assert "authentication" in found[0].message
    assert "restartPolicy: Always" not in shown(found[0]) and "vault.hashicorp.com/role" in shown(found[0])


def test_an_init_container_with_ports_is_a_warning_then_an_error():
    spec = container("warmer", "registry.example.com/cache-warmer:3", port=8080)
    assert with_code(findings_of(_init(spec), now=40), NEVER) == []
    assert [f.severity for f in with_code(findings_of(_init(spec), now=125), NEVER)] == ["warning"]
    found = with_code(findings_of(_init(spec), now=365), NEVER)
    assert [f.severity for f in found] == ["error"] and "8080" in found[0].message


def test_verdict_of_a_job_waiting_on_a_slow_init_step_does_not_say_never():
    from tests.unit.judging import snapshot, verdict_of

    p = _stuck(name="migrate", image="example/migrate:7", job="migrate")
    j = job("migrate", template=p, active=1)
    verdict = verdict_of(j, snapshot(p, jobs=[j], now=400))
    assert verdict.reason.startswith("Not done yet") and "never" not in verdict.reason.lower()
    assert "\"migrate\" is still running" in verdict.reason
