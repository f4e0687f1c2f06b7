"""The krew install, for real: the archive hack/dist.py builds, installed by krew v0.5.0 (built from its Go
module, like the control plane), then run through kubectl's plugin dispatch against the test API server.

Everything happens in temporary folders: the archive, the manifest copy (named sidecars.yaml, as
validate-krew-manifest wants), KREW_ROOT, and the zipapp's extraction cache.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.factory import container, live, sidecar
from tests.unit.test_dist import build, find_python

from .cluster import REPO, BinariesUnavailable, build_binaries

PLUGIN_FILES = {"kubectl-sidecars": 0o755, "kubectl_complete-sidecars": 0o755, "LICENSE": 0o644}
NAMESPACE = "krew-install"
# Relative times (AGE, "(4m ago)") move between two runs; everything else must be the same.
DURATION = re.compile(r"\b\d+(?:y|d|h|m|s)(?:\d+(?:d|h|m|s))?\b")


@pytest.fixture(scope="module")
def tools():
    """{"krew": dir, "kubernetes": dir}: krew, validate-krew-manifest and kubectl."""
    try:
        return build_binaries("krew", "kubernetes")
    except BinariesUnavailable as err:
        pytest.skip(f"cannot build krew: {err}")


@pytest.fixture(scope="module")
def python3():
    """The oldest supported Python when this machine has it, else whatever python3 is."""
    found = find_python(9) or shutil.which("python3")
    if found is None:
        pytest.skip("no python3 on this machine")
    return found


@pytest.fixture(scope="module")
def workdir(tmp_path_factory, tools, python3):
    root = tmp_path_factory.mktemp("krew")
    for folder, name, target in (("krew-bin", "kubectl-krew", Path(tools["krew"]) / "krew"),
                                 ("python-bin", "python3", Path(python3))):
        (root / folder).mkdir()
        (root / folder / name).symlink_to(target)
    return root


@pytest.fixture(scope="module")
def release(workdir):
    """(archive, manifest): the manifest is a copy of plugin.yaml that the build fills in."""
    manifest = workdir / "sidecars.yaml"
    shutil.copy(REPO / "plugin.yaml", manifest)
    archive = build(workdir / "dist", manifest)
    return archive, manifest


def base_env(workdir, tools, *path):
    """A clean PATH: kubectl, then the folders given, then python3; nothing from the venv."""
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "KUBECONFIG", "KREW_ROOT")}
    env.update({
        "PATH": os.pathsep.join([tools["kubernetes"], *map(str, path), str(workdir / "python-bin"), "/usr/bin",
                                 "/bin"]),
        "KREW_NO_UPGRADE_CHECK": "1",
        "KUBECTL_SIDECARS_CACHE": str(workdir / "cache"),
        "KUBERC": "off",
    })
    return env


def krew(workdir, tools, root, *args, env=None):
    environment = base_env(workdir, tools, workdir / "krew-bin")
    environment["KREW_ROOT"] = str(root)
    environment.update(env or {})
    return subprocess.run([str(Path(tools["kubernetes"]) / "kubectl"), "krew", *args], capture_output=True,
                          text=True, env=environment, timeout=300, stdin=subprocess.DEVNULL)


def install(workdir, tools, release, root, env=None):
    archive, manifest = release
    return krew(workdir, tools, root, "install", f"--manifest={manifest}", f"--archive={archive}", env=env)


@pytest.fixture(scope="module")
def installed(workdir, tools, release):
    """KREW_ROOT with the plugin installed for this machine's platform."""
    root = workdir / "krew-root"
    proc = install(workdir, tools, release, root)
    assert proc.returncode == 0, proc.stderr
    return root


def store(root):
    [version] = (root / "store" / "sidecars").iterdir()
    return version


def kubectl(workdir, tools, *args, path=(), kubeconfig=None):
    env = base_env(workdir, tools, *path)
    if kubeconfig:
        env["KUBECONFIG"] = str(kubeconfig)
    return subprocess.run([str(Path(tools["kubernetes"]) / "kubectl"), *args], capture_output=True, text=True,
                          env=env, timeout=120, stdin=subprocess.DEVNULL)


# --- the manifest ------------------------------------------------------------------------------------------

def test_manifest_passes_validate_krew_manifest(tools, release):
    _, manifest = release
    proc = subprocess.run([str(Path(tools["krew"]) / "validate-krew-manifest"), "-manifest", str(manifest),
                           "-skip-install"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "structural validation OK" in proc.stderr
    assert "no overlapping spec.platform[].selector" in proc.stderr


def test_committed_manifest_passes_too(tools, tmp_path):
    manifest = tmp_path / "sidecars.yaml"
    shutil.copy(REPO / "plugin.yaml", manifest)
    proc = subprocess.run([str(Path(tools["krew"]) / "validate-krew-manifest"), "-manifest", str(manifest),
                           "-skip-install"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


# --- install ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("os_name, arch", [("linux", "amd64"), ("linux", "arm64"), ("darwin", "amd64"),
                                           ("darwin", "arm64")])
def test_every_listed_platform_installs_the_archive(workdir, tools, release, tmp_path, os_name, arch):
    root = tmp_path / "krew-root"
    proc = install(workdir, tools, release, root, env={"KREW_OS": os_name, "KREW_ARCH": arch})
    assert proc.returncode == 0, proc.stderr
    assert "Installed plugin: sidecars" in proc.stderr + proc.stdout
    folder = store(root)
    for name, mode in PLUGIN_FILES.items():
        path = folder / name
        assert path.is_file() and not path.is_symlink(), name
        assert path.stat().st_mode & 0o111 == mode & 0o111, name
    link = root / "bin" / "kubectl-sidecars"
    assert link.is_symlink() and link.resolve() == (folder / "kubectl-sidecars").resolve()
    assert (root / "receipts" / "sidecars.yaml").is_file()


def test_installed_plugin_runs_through_kubectl(workdir, tools, installed):
    from kubectl_sidecars import __version__

    proc = kubectl(workdir, tools, "sidecars", "--version", path=[installed / "bin"])
    assert (proc.returncode, proc.stdout) == (0, f"kubectl-sidecars {__version__}\n"), proc.stderr
    listed = kubectl(workdir, tools, "plugin", "list", path=[installed / "bin"])
    assert str(installed / "bin" / "kubectl-sidecars") in listed.stdout


# --- against the control plane ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def workload(kube):
    """A few pods, a Job and a CronJob run in one namespace."""
    kube.pod(NAMESPACE, "web", init=[sidecar("proxy")], containers=[container("app")],
             statuses=[live.running("proxy"), live.running("app")])
    kube.pod(NAMESPACE, "flaky", init=[sidecar("proxy")], containers=[container("app")],
             statuses=[live.running("proxy"), live.waiting("app", "CrashLoopBackOff", restarts=4, last=live.exited(1))])
    kube.pod(NAMESPACE, "legacy", containers=[container("app"), container("istio-proxy")],
             statuses=[live.running("app"), live.running("istio-proxy")])
    job = kube.job(NAMESPACE, "migrate", containers=[container("app")], init=[sidecar("logs")])
    kube.job_pod(job, statuses=[live.running("logs"), live.terminated("app")])
    cronjob = kube.cronjob(NAMESPACE, "nightly", containers=[container("app")], init=[sidecar("logs")])
    kube.cronjob_run(cronjob, statuses=[live.running("logs"), live.running("app")])
    return NAMESPACE


def krew_env(workdir, tools, installed, *extra):
    return base_env(workdir, tools, *extra, installed / "bin")


@pytest.mark.parametrize("args", [["status"], ["status", "-o", "wide"], ["status", "-o", "json"],
                                  ["status", "--containers"], ["status", "web"]],
                         ids=lambda args: "-".join(a.strip("-") for a in args))
def test_krew_install_prints_what_the_pip_install_prints(workdir, tools, installed, workload, run_plugin, args):
    expected = run_plugin(*args, "-n", workload)
    actual = run_plugin(*args, "-n", workload, env={"PATH": krew_env(workdir, tools, installed)["PATH"],
                                                    "KUBECTL_SIDECARS_CACHE": str(workdir / "cache")})
    assert expected.code == 0, expected.stderr
    assert (actual.code, actual.stderr) == (expected.code, expected.stderr)
    if "json" in args:  # byte for byte, but for the ages in evidence, which move on between the two runs
        assert DURATION.sub("<t>", actual.stdout) == DURATION.sub("<t>", expected.stdout)
    else:
        assert relative_times_masked(actual.stdout) == relative_times_masked(expected.stdout)
    assert "running" in actual.stdout.lower()


def relative_times_masked(table):
    """Durations masked, and the column padding they change."""
    return [re.sub(r" {2,}", "  ", DURATION.sub("<t>", line)).rstrip() for line in table.splitlines()]


def complete(workdir, tools, cluster, *words, path):
    proc = kubectl(workdir, tools, "__complete", "sidecars", *words, path=path,
                   kubeconfig=cluster.plugin_kubeconfig())
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    return [line.split("\t")[0] for line in lines[:-1]], lines[-1]


def test_completion_from_the_installed_completion_executable(workdir, tools, cluster, installed, workload):
    """The archive's kubectl_complete-sidecars, put on PATH from the krew store."""
    path = [store(installed), installed / "bin"]
    assert complete(workdir, tools, cluster, "stat", path=path) == (["status"], ":4")
    namespaces, directive = complete(workdir, tools, cluster, "status", "-n", "krew-", path=path)
    assert (namespaces, directive) == ([workload], ":4")
    pods, _ = complete(workdir, tools, cluster, "status", "-n", workload, "", path=path)
    assert {"web", "flaky", "legacy"} <= set(pods)
    assert "web" not in complete(workdir, tools, cluster, "status", "-n", workload, "web", "", path=path)[0]


def test_completion_through_the_link_the_caveat_suggests(workdir, tools, cluster, installed, workload):
    link = installed / "bin" / "kubectl_complete-sidecars"
    link.symlink_to("kubectl-sidecars")  # ln -s kubectl-sidecars "$KREW_ROOT/bin/kubectl_complete-sidecars"
    try:
        path = [installed / "bin"]
        jobs, directive = complete(workdir, tools, cluster, "diagnose", "-n", workload, "job", "", path=path)
        assert directive == ":4" and "migrate" in jobs
        assert all(name == "migrate" or name.startswith("nightly-") for name in jobs), jobs
        cronjobs, _ = complete(workdir, tools, cluster, "diagnose", f"--namespace={workload}", "cj", "", path=path)
        assert cronjobs == ["nightly"]
        kinds, _ = complete(workdir, tools, cluster, "diagnose", "-n", workload, "job/mi", path=path)
        assert kinds == ["job/migrate"]
    finally:
        link.unlink()


# --- uninstall --------------------------------------------------------------------------------------------

def test_uninstall_removes_it(workdir, tools, installed):
    # Unlike `install --manifest`, uninstall insists on an initialized index: a git clone of the krew index
    # that `kubectl krew update` fetches. An empty local one stands in for it, offline.
    (installed / "index" / "default" / ".git").mkdir(parents=True)
    proc = krew(workdir, tools, installed, "uninstall", "sidecars")
    assert proc.returncode == 0, proc.stderr
    assert not (installed / "bin" / "kubectl-sidecars").exists()
    assert not (installed / "bin" / "kubectl-sidecars").is_symlink()
    assert not (installed / "store" / "sidecars").exists()
    assert not (installed / "receipts" / "sidecars.yaml").exists()
    gone = kubectl(workdir, tools, "sidecars", "--version", path=[installed / "bin"])
    assert gone.returncode != 0
