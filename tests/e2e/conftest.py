"""End-to-end fixtures: one control plane per session, and the plugin run the way users run it.

`kubectl sidecars ...` goes through kubectl's own plugin dispatch, as the read-only plugin user.
When the session ends, the API server's audit log must show that this user only read: a write, or even
an attempt that RBAC refused, fails the run.

Without a Go toolchain (and no cached binaries) the e2e tests are skipped; with
KUBECTL_SIDECARS_E2E=require (CI) any skipped e2e test fails instead.
"""

import os
import re
import subprocess
import sys
import time
from itertools import count
from pathlib import Path
from typing import NamedTuple

import pytest

from .cluster import PLUGIN_USER, READ_VERBS, REPO, BinariesUnavailable, ControlPlane, build_binaries
from .kubelet import Kube

E2E_DIR = Path(__file__).resolve().parent
REQUIRED = os.environ.get("KUBECTL_SIDECARS_E2E") == "require"
LOGS_KEPT = pytest.StashKey[Path]()
# Plugin runs with these arguments may not talk to the API server at all.
OFFLINE_ARGS = {"explain", "-h", "--help", "--version", "-f", "--filename"}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Marks every test under tests/e2e, before `-m` selection runs, so `-m "not e2e"` works."""
    for item in items:
        if E2E_DIR in item.path.parents:
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """With KUBECTL_SIDECARS_E2E=require, an e2e test that was skipped counts as failed."""
    report = (yield).get_result()
    if REQUIRED and report.skipped and not hasattr(report, "wasxfail") and item.get_closest_marker("e2e"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped, but KUBECTL_SIDECARS_E2E=require: {reason}"


def pytest_terminal_summary(terminalreporter, config):
    if LOGS_KEPT in config.stash:
        terminalreporter.write_line(f"e2e: control plane logs kept in {config.stash[LOGS_KEPT]}")


# --- the control plane -----------------------------------------------------------------------------

@pytest.fixture(scope="session")
def cluster(request):
    """The session's control plane; at the end, checks the plugin user's audit trail."""
    yield from serve_plane(request)


def serve_plane(request, apiserver_flags=(), name="main"):
    """Starts a control plane for a fixture to yield; afterwards stops it and fails the run when the
    plugin user's audit trail breaks the read-only promise."""
    try:
        binaries = build_binaries("etcd", "kubernetes")
    except BinariesUnavailable as err:
        pytest.skip(f"cannot build the e2e control plane: {err}")
    plane = ControlPlane(binaries, apiserver_flags)
    try:
        plane.start()
    except Exception:
        plane.cleanup(keep_logs_in=kept_logs_dir(request.config, name))
        raise
    yield plane

    plane.stop()  # flushes the audit log
    problem = read_only_violation(plane)
    failed = problem or request.session.testsfailed
    plane.cleanup(keep_logs_in=kept_logs_dir(request.config, name) if failed else None)
    if problem:
        pytest.fail(problem, pytrace=False)


def kept_logs_dir(config, name="main"):
    """Where the logs of a failed run go: e2e-logs/ (git-ignored), one folder per run and control plane."""
    path = REPO / "e2e-logs" / f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}" / name
    config.stash[LOGS_KEPT] = path
    return path


def read_only_violation(plane):
    """Why the plugin user's audit trail breaks the read-only promise, or None when it keeps it."""
    events = plane.audit_events(PLUGIN_USER)
    writes = [f"{e['verb']} {e['requestURI']} -> {e.get('responseStatus', {}).get('code')}"
              for e in events if e["verb"] not in READ_VERBS]
    if writes:
        return f"{PLUGIN_USER} made requests that are not get/list/watch:\n  " + "\n  ".join(writes)
    if plane.plugin_runs and not events:
        return (f"the plugin ran {plane.plugin_runs} times against the cluster but the audit log has no "
                f"request from {PLUGIN_USER}: the read-only check would pass vacuously")
    return None


@pytest.fixture(scope="session")
def kube(cluster):
    """Plays kubelet and controllers, as cluster admin."""
    return Kube(cluster.admin)


_namespaces = count(1)


@pytest.fixture
def ns(kube, request):
    """A fresh namespace named after the test (namespaces are never deleted: no controller would)."""
    stem = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")[:40].strip("-")
    return kube.namespace(f"{stem}-{next(_namespaces)}")


# --- the plugin, through kubectl -------------------------------------------------------------------

def offline(args):
    """Whether these plugin arguments may leave the API server alone (help, explain, input files)."""
    return any(str(arg).split("=", 1)[0] in OFFLINE_ARGS for arg in args)


class PluginResult(NamedTuple):
    code: int
    stdout: str
    stderr: str


@pytest.fixture(scope="session")
def run_plugin(cluster):
    """Runs `kubectl sidecars ARGS` through kubectl's plugin dispatch; returns (code, stdout, stderr).

    kubeconfig defaults to the read-only plugin user; env entries are added, or removed when None; input is
    written to the plugin's stdin.
    """
    scripts = Path(sys.executable).parent
    if not (scripts / "kubectl-sidecars").exists():
        pytest.skip(f"kubectl-sidecars is not installed in {scripts}: run `pip install -e .`")
    default_kubeconfig = cluster.plugin_kubeconfig()

    def run(*args, kubeconfig=None, env=None, timeout=60, input=None):
        kubeconfig = Path(kubeconfig or default_kubeconfig)
        if cluster.kubeconfig_user(kubeconfig) == PLUGIN_USER and not offline(args):
            cluster.plugin_runs += 1
        full_env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
        full_env.update({
            "PATH": os.pathsep.join([str(cluster.kubectl.parent), str(scripts), os.environ.get("PATH", "")]),
            "KUBECONFIG": str(kubeconfig),
            "KUBERC": "off",  # a developer's ~/.kube/kuberc must not change what kubectl does
        })
        for key, value in (env or {}).items():
            if value is None:
                full_env.pop(key, None)
            else:
                full_env[key] = value
        proc = subprocess.run([str(cluster.kubectl), "sidecars", *map(str, args)], env=full_env,
                              capture_output=True, text=True, timeout=timeout, input=input)
        return PluginResult(proc.returncode, proc.stdout, proc.stderr)

    return run
