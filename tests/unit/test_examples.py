"""The dumps under examples/: each loads, classifies, prints and is diagnosed as its scenario says.

The expected values below are written from the semantics (shared/reference/sidecar-semantics.md and the
scenarios), not read back from the code: they are the specification the examples must meet.
"""

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from kubectl_sidecars.files import FileSource, load_objects
from kubectl_sidecars.model import build_pod_view
from kubectl_sidecars.model.timeutil import parse_time

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
SERIOUS = ("error", "warning")

# Per file: when the dump was taken (durations are measured against it), and per pod: the container types,
# kubectl's READY and STATUS, the findings that must be raised (code, container, severity or None for any),
# and the warning/error findings that may be raised besides them. Every other warning or error is a false
# alarm. `jobs`: the verdict of each Job in the file and the Job-scope findings it must carry.
EXPECTED = {
    "01-cronjob-legacy-sidecar-race.yaml": {
        "now": "2026-10-14T09:41:00Z",
        "pods": {
            "sidecar-cronjob-29866175-cjqmp": {
                "types": {"sidecar-user": "app", "slow-sidecar": "legacy-sidecar"},
                "ready": "1/2", "status": "Error",
                # the app failed (restartPolicy Never) before the helper even started: an error, not a warning
                "findings": [("app-started-before-sidecar-ready", "sidecar-user", "error"),
                             ("job-blocked-by-legacy-sidecar", "slow-sidecar", "error"),
                             ("legacy-sidecar", "slow-sidecar", "info")],
            },
        },
        "jobs": {"sidecar-cronjob-29866175": {"status": "Running", "completions": "0/1", "findings": []}},
    },
    "02-cronjob-native-sidecar-startupprobe.yaml": {
        "now": "2026-10-14T10:07:00Z",
        "pods": {
            "sidecar-cronjob-native-29866205-f9q6v": {
                "types": {"slow-sidecar": "sidecar", "sidecar-user": "app"},
                # kubectl#1739: a finished pod whose native sidecar ended 137 still prints Completed
                "ready": "0/2", "status": "Completed",
                # the 137 is explained, as a warning and never as an error
                "findings": [("sidecar-sigkilled", "slow-sidecar", "warning")],
            },
        },
        "jobs": {"sidecar-cronjob-native-29866205": {"status": "Complete", "completions": "1/1", "findings": []}},
    },
    "03-pi-job-legacy-sidecar.yaml": {
        "now": "2026-09-08T14:17:40Z",
        "pods": {
            "pi-x2khk": {
                "types": {"pi": "app", "sidecar": "legacy-sidecar"},
                "ready": "1/2", "status": "NotReady",
                "findings": [("job-blocked-by-legacy-sidecar", "sidecar", "error"),
                             ("legacy-sidecar", "sidecar", "info")],
            },
        },
        "jobs": {"pi": {"status": "Running", "completions": "0/1", "findings": []}},
    },
    "04-pi-job-native-sidecar.yaml": {
        "now": "2026-09-08T14:41:00Z",
        "pods": {
            "pi-sidecar-qkllg": {
                "types": {"network-proxy": "sidecar", "pi": "app"},
                "ready": "0/2", "status": "Completed",
                "findings": [],  # healthy: the sidecar exited 0 when the kubelet stopped it
            },
        },
        "jobs": {"pi-sidecar": {"status": "Complete", "completions": "1/1", "findings": []}},
    },
    "05-logshipper-sigkilled.yaml": {
        "now": "2026-11-02T01:05:00Z",
        "pods": {
            "orders-export-6lzbr": {
                "types": {"logshipper": "sidecar", "exporter": "app"},
                "ready": "0/2", "status": "Completed",
                "findings": [("sidecar-sigkilled", "logshipper", "warning"),
                             ("no-startup-probe", "logshipper", "info")],
            },
        },
        "jobs": {"orders-export": {"status": "Complete", "completions": "1/1", "findings": []}},
    },
    "06-istio-legacy-job-quitquitquit.yaml": {
        "now": "2026-11-03T02:45:00Z",
        "pods": {
            "ledger-migrate-r9v5l": {
                "types": {"istio-init": "init", "migrate": "app", "istio-proxy": "legacy-sidecar"},
                "ready": "1/2", "status": "NotReady",
                "findings": [("job-blocked-by-legacy-sidecar", "istio-proxy", "error"),
                             ("legacy-workaround", "migrate", "info"),
                             ("legacy-sidecar", "istio-proxy", "info")],
            },
        },
        "jobs": {"ledger-migrate": {"status": "Running", "completions": "0/1", "findings": []}},
    },
    "06-istio-native-sidecar.yaml": {
        "now": "2026-11-20T10:00:00Z",
        "pods": {
            "reviews-v2-6f9b8c7d4c-fnmfq": {
                "types": {"istio-init": "init", "istio-proxy": "sidecar", "reviews": "app"},
                "ready": "2/2", "status": "Running",
                "findings": [],
                "absent": ["no-startup-probe", "init-before-sidecar"],
            },
        },
    },
    "06-cloudsql-proxy-no-startupprobe.yaml": {
        "now": "2026-11-12T08:20:00Z",
        "pods": {
            "orders-api-84c7f5d9b8-9462r": {
                "types": {"cloud-sql-proxy": "sidecar", "orders-api": "app"},
                "ready": "2/2", "status": "Running", "restarts": 1,
                # the app restarted, the pod did not fail: a warning
                "findings": [("app-started-before-sidecar-ready", "orders-api", "warning"),
                             ("no-startup-probe", "cloud-sql-proxy", "info")],
            },
        },
    },
    "06-vault-agent.yaml": {
        "now": "2026-11-20T10:00:00Z",
        "pods": {
            "payments-api-5d7c9b6f84-q77v4": {
                "types": {"vault-agent-init": "init", "payments-api": "app", "vault-agent": "legacy-sidecar"},
                "ready": "2/2", "status": "Running",
                "findings": [("legacy-sidecar", "vault-agent", "info")],
            },
        },
    },
    "06-kruise-sidecarset.yaml": {
        "now": "2026-11-20T10:00:00Z",
        "pods": {
            "checkout-web-7f6d8b5c9d-6kpvp": {
                # log-agent has no well-known name or image: only the SidecarSet's records say it is a helper
                "types": {"log-agent": "legacy-sidecar", "checkout-web": "app"},
                "ready": "2/2", "status": "Running",
                "findings": [("legacy-sidecar", "log-agent", "info")],
            },
        },
    },
    "07-ordering-init-before-sidecar.yaml": {
        "now": "2026-11-19T16:12:00Z",
        "pods": {
            "order-svc-5f7d9c8b46-h9zrb": {
                "types": {"mysql-client": "init", "proxy-container": "sidecar", "svc-container": "app"},
                "ready": "0/2", "status": "Init:CrashLoopBackOff", "restarts": 7,
                "findings": [("init-before-sidecar", "mysql-client", None)],
            },
        },
    },
    "07-ordering-sidecar-first.yaml": {
        "now": "2026-11-19T16:40:00Z",
        "pods": {
            "order-svc-7b8c6d9f5c-c2pss": {
                "types": {"proxy-container": "sidecar", "mysql-client": "init", "svc-container": "app"},
                "ready": "2/2", "status": "Running",
                "findings": [],
                "absent": ["init-before-sidecar", "no-startup-probe"],
            },
        },
    },
    "08-restartpolicy-dropped.yaml": {
        "now": "2026-11-16T10:20:30Z",
        "pods": {
            "billing-worker-6c8d7f9b5d-cjfm8": {
                # the API server dropped restartPolicy: the would-be sidecar is a plain init container
                "types": {"log-forwarder": "init", "billing-worker": "app"},
                "ready": "0/1", "status": "Init:0/1",
                "findings": [("init-never-exits", "log-forwarder", "error")],
            },
        },
    },
    "08-kubelet-too-old.yaml": {
        "now": "2026-11-20T03:10:00Z",
        "pods": {
            "catalog-sync-khkbd": {
                "types": {"envoy": "sidecar", "catalog-sync": "app"},
                # the kubelet rejected the pod at admission: STATUS is the pod's status.reason
                "ready": "0/2", "status": "InitContainerRestartPolicyForbidden",
                "findings": [("native-sidecars-unsupported", "envoy", "error")],
            },
        },
        "jobs": {"catalog-sync": {"status": "Failed", "completions": "0/1",
                                  "findings": [("job-failed-by-sidecar", "envoy", "error")]}},
    },
}

FILES = sorted(EXPECTED)


def _objects(name):
    return load_objects([str(EXAMPLES / name)])


def _pods(name):
    return {o["metadata"]["name"]: o for o in _objects(name) if o.get("kind") == "Pod"}


def _cli():
    script = Path(sys.executable).with_name("kubectl-sidecars")
    return [str(script)] if script.exists() else [sys.executable, "-m", "kubectl_sidecars"]


def test_every_example_is_specified():
    assert sorted(p.name for p in EXAMPLES.glob("*.yaml")) == FILES


def test_every_example_has_its_readme_line():
    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    for name in FILES:
        assert f"`{name}`" in readme, name


@pytest.mark.parametrize("name", FILES)
def test_example_says_what_it_shows_and_how_to_try_it(name):
    head = (EXAMPLES / name).read_text(encoding="utf-8").splitlines()[0]
    assert head.startswith("# ") and len(head) > 20
    assert f"kubectl sidecars status -f examples/{name}" in (EXAMPLES / name).read_text(encoding="utf-8")


@pytest.mark.parametrize("name", FILES)
def test_example_loads_with_every_pod(name):
    objects = _objects(name)
    assert all(isinstance(o, dict) and o.get("kind") and o.get("apiVersion") for o in objects)
    assert sorted(_pods(name)) == sorted(EXPECTED[name]["pods"])


@pytest.mark.parametrize("name", FILES)
def test_example_times_tell_one_story(name):
    """Every timestamp is in 2026 before 2026-11-21 and none is later than the moment of the dump."""
    text = (EXAMPLES / name).read_text(encoding="utf-8")
    observed = parse_time(EXPECTED[name]["now"])
    stamps = re.findall(r'"(20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z)"', text)
    assert stamps
    for stamp in stamps:
        moment = parse_time(stamp)
        assert moment.year == 2026 and moment <= observed, stamp


@pytest.mark.parametrize("name", FILES)
def test_example_view(name):
    pods = _pods(name)
    for pod_name, want in EXPECTED[name]["pods"].items():
        view = build_pod_view(pods[pod_name])
        assert {c.name: c.type for c in view.containers} == want["types"], pod_name
        assert (view.ready, view.status) == (want["ready"], want["status"]), pod_name
        assert view.restarts == want.get("restarts", 0), pod_name


def _diagnosis(name):
    from kubectl_sidecars.pipeline import gather
    from kubectl_sidecars.selection import Selection

    snapshot, _ = gather(FileSource(_objects(name)), Selection(None))
    snapshot.now = parse_time(EXPECTED[name]["now"])
    return snapshot


def _missing_and_extra(found, want):
    """Required findings not raised, and warnings/errors raised that the scenario does not call for."""
    got = [(f.code, f.container, f.severity) for f in found]
    missing = [w for w in want if not any(g[:2] == w[:2] and (w[2] is None or g[2] == w[2]) for g in got)]
    expected = {w[:2] for w in want}
    extra = [g for g in got if g[2] in SERIOUS and g[:2] not in expected]
    return missing, extra


@pytest.mark.parametrize("name", FILES)
def test_example_pod_findings(name):
    from kubectl_sidecars.engine import pod_findings

    snapshot = _diagnosis(name)
    for pod in snapshot.pods:
        want = EXPECTED[name]["pods"][pod.name]
        found = pod_findings(pod, snapshot)
        missing, extra = _missing_and_extra(found, want["findings"])
        raised = [(f.code, f.container, f.severity) for f in found]
        assert not missing, f"{pod.name}: not raised {missing}; raised {raised}"
        assert not extra, f"{pod.name}: false alarms {extra}"
        assert not [f.code for f in found if f.code in want.get("absent", ())], pod.name


@pytest.mark.parametrize("name", [n for n in FILES if EXPECTED[n].get("jobs")])
def test_example_job_verdicts(name):
    from tests.unit.judging import verdict_of

    snapshot = _diagnosis(name)
    jobs = {o["metadata"]["name"]: o for o in _objects(name) if o.get("kind") == "Job"}
    assert sorted(jobs) == sorted(EXPECTED[name]["jobs"])
    for job_name, want in EXPECTED[name]["jobs"].items():
        verdict = verdict_of(jobs[job_name], snapshot)
        assert (verdict.status, verdict.completions) == (want["status"], want["completions"]), job_name
        missing, extra = _missing_and_extra(verdict.findings, want["findings"])
        assert not missing, f"Job {job_name}: not raised {missing}; raised " \
                            f"{[(f.code, f.container, f.severity) for f in verdict.findings]}"
        assert not extra, f"Job {job_name}: false alarms {extra}"


@pytest.mark.parametrize("name", FILES)
def test_cli_status_shows_every_pod(name):
    run = subprocess.run(_cli() + ["status", "-f", f"examples/{name}", "--no-color"], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    for pod_name, want in EXPECTED[name]["pods"].items():
        row = next((line for line in run.stdout.splitlines() if pod_name in line.split()), None)
        assert row is not None, f"{pod_name} missing from:\n{run.stdout}"
        assert want["ready"] in row.split() and want["status"] in row.split(), row


@pytest.mark.parametrize("name", FILES)
def test_cli_commands_in_the_header_work(name):
    """The `Try:` commands each file's header suggests run as written and name its pods."""
    header = [line[2:] for line in (EXAMPLES / name).read_text(encoding="utf-8").splitlines()
              if line.startswith("# ")]
    commands = [line.split("kubectl sidecars ", 1)[1] for line in header if "kubectl sidecars " in line]
    assert any(c.startswith("diagnose ") for c in commands), name
    for command in commands:
        run = subprocess.run(_cli() + shlex.split(command) + ["--no-color"], cwd=ROOT, capture_output=True,
                             text=True, timeout=60)
        assert run.returncode == 0, f"{command}: {run.stderr}"
        for pod_name in EXPECTED[name]["pods"]:
            assert pod_name in run.stdout, f"{command}: {pod_name} not shown"
