"""The release archive hack/dist.py builds: what krew extracts, and that the zipapp inside runs anywhere;
and the modules that start it (hack/zipapp/), imported and run on their own.

The archive is built into a temporary folder with a copy of plugin.yaml, never into the repository.
The first build downloads the pinned wheels (cached under ~/.cache/kubectl-sidecars/dist afterwards).
"""

import glob
import hashlib
import importlib.util
import json
import os
import shutil
import site
import stat
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
import yaml

from tests.unit.processes import interrupt, stalled, without_reader

ROOT = Path(__file__).resolve().parents[2]
DIST_SCRIPT = ROOT / "hack" / "dist.py"
ZIPAPP_SOURCES = ROOT / "hack" / "zipapp"
REALCASES = ROOT / "tests" / "fixtures" / "realcases"
INPUTS = sorted(str(p) for p in REALCASES.glob("*.json") if not p.name.endswith(".expected.json"))
SCRIPTS = Path(sys.executable).parent
MEMBERS = {"LICENSE": 0o644, "kubectl-sidecars": 0o755, "kubectl_complete-sidecars": 0o755}
COMPILED = (".so", ".pyd", ".dylib", ".dll")


def load_module(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


dist = load_module("kubectl_sidecars_dist", DIST_SCRIPT)
boot = load_module("kubectl_sidecars_bundle", ZIPAPP_SOURCES / "kubectl_sidecars_bundle.py")


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def build(out_dir, manifest=None):
    args = [sys.executable, str(DIST_SCRIPT), "--out-dir", str(out_dir)]
    args += ["--manifest", str(manifest)] if manifest else ["--no-manifest"]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    [archive] = Path(out_dir).glob("kubectl-sidecars-*.tar.gz")
    return archive


def find_python(minor):
    """An interpreter of Python 3.<minor>: pyenv's versions first (their shims may point elsewhere)."""
    pyenv = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    candidates = sorted(glob.glob(str(pyenv / "versions" / f"3.{minor}.*" / "bin" / f"python3.{minor}")),
                        reverse=True)
    candidates += [shutil.which(f"python3.{minor}"), f"/usr/bin/python3.{minor}", f"/usr/local/bin/python3.{minor}"]
    for candidate in filter(None, candidates):
        try:
            out = subprocess.run([candidate, "-c", "import sys; print(sys.version_info[:2])"],
                                 capture_output=True, text=True, timeout=30).stdout.strip()
        except OSError:
            continue
        if out == f"(3, {minor})":
            return candidate
    return None


def python_path(tmp_path, interpreter):
    """A PATH whose python3 is interpreter: the zipapp starts with `#!/usr/bin/env python3`."""
    folder = tmp_path / f"python-{Path(interpreter).name}"
    folder.mkdir(exist_ok=True)
    link = folder / "python3"
    if not link.exists():
        link.symlink_to(interpreter)
    return os.pathsep.join([str(folder), "/usr/bin", "/bin"])


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    manifest = out / "sidecars.yaml"
    shutil.copy(ROOT / "plugin.yaml", manifest)
    committed = (ROOT / "plugin.yaml").read_bytes()
    had_dist = (ROOT / "dist").exists()
    archive = build(out, manifest)
    assert (ROOT / "plugin.yaml").read_bytes() == committed, "the test build rewrote the committed plugin.yaml"
    assert (ROOT / "dist").exists() == had_dist, "the test build wrote into the repository"
    extracted = out / "extracted"
    with tarfile.open(archive) as tar:
        tar.extractall(extracted, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
    return {"archive": archive, "manifest": manifest, "dir": extracted, "out": out}


@pytest.fixture(scope="module")
def oldest_python():
    python = find_python(9)
    if python is None:
        pytest.skip("no Python 3.9 interpreter found (pyenv versions, python3.9 on PATH): the oldest "
                    "supported Python cannot be checked here")
    return python


def zipapp_environment(tmp_path, interpreter, cache=None, env=None):
    environment = {"PATH": python_path(tmp_path, interpreter), "HOME": str(tmp_path), "NO_COLOR": "1",
                   "KUBECONFIG": os.devnull, "KUBECTL_SIDECARS_CACHE": str(cache or tmp_path / "cache")}
    environment.update(env or {})
    return environment


def run_zipapp(built, tmp_path, interpreter, *args, name="kubectl-sidecars", cache=None, env=None):
    return subprocess.run([str(built["dir"] / name), *args], capture_output=True, text=True,
                          env=zipapp_environment(tmp_path, interpreter, cache, env), timeout=120,
                          stdin=subprocess.DEVNULL)


def run_pip_install(*args):
    environment = dict(os.environ, NO_COLOR="1", KUBECONFIG=os.devnull)
    environment.pop("KUBECTL_SIDECARS_DEBUG", None)
    return subprocess.run([str(SCRIPTS / "kubectl-sidecars"), *args], capture_output=True, text=True,
                          env=environment, timeout=120)


# --- the archive -------------------------------------------------------------------------------------------

def test_archive_holds_three_regular_files_with_their_modes(built):
    with tarfile.open(built["archive"]) as tar:
        members = tar.getmembers()
    assert sorted(m.name for m in members) == sorted(MEMBERS)
    for member in members:
        assert member.isreg(), f"{member.name} is not a regular file"
        assert stat.S_IMODE(member.mode) == MEMBERS[member.name], member.name
    for name, mode in MEMBERS.items():
        assert stat.S_IMODE((built["dir"] / name).stat().st_mode) & 0o111 == mode & 0o111


def test_archive_name_carries_the_version(built):
    from kubectl_sidecars import __version__

    assert built["archive"].name == f"kubectl-sidecars-{__version__}.tar.gz"


def test_zipapp_is_pure_python_with_a_python3_shebang(built):
    path = built["dir"] / "kubectl-sidecars"
    assert path.read_bytes().startswith(b"#!/usr/bin/env python3\n")
    with zipfile.ZipFile(path) as app:
        names = app.namelist()
    assert not [n for n in names if n.lower().endswith(COMPILED)]
    for expected in ("__main__.py", "kubectl_sidecars/cli.py", "kubectl_sidecars/completion.py",
                     "kubernetes/__init__.py", "kubernetes-35.0.0.dist-info/METADATA", "certifi/cacert.pem",
                     "yaml/__init__.py", "PyYAML-6.0.3.dist-info/LICENSE", "click/__init__.py"):
        assert expected in names, expected
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


def test_build_is_reproducible(tmp_path):
    one = build(tmp_path / "one")
    two = build(tmp_path / "two")
    assert sha256(one) == sha256(two)


def test_manifest_copy_gets_uri_and_sha256(built):
    from kubectl_sidecars import __version__

    manifest = yaml.safe_load(built["manifest"].read_text())
    assert manifest["spec"]["version"] == f"v{__version__}"
    uri = (f"https://github.com/kubectl-sidecars/kubectl-sidecars/releases/download/v{__version__}/"
           f"kubectl-sidecars-{__version__}.tar.gz")
    for platform in manifest["spec"]["platforms"]:
        assert platform["uri"] == uri
        assert platform["sha256"] == sha256(built["archive"])


def test_committed_manifest_matches_the_release_layout():
    manifest = yaml.safe_load((ROOT / "plugin.yaml").read_text())
    assert manifest["apiVersion"] == "krew.googlecontainertools.github.com/v1alpha2"
    assert manifest["kind"] == "Plugin" and manifest["metadata"]["name"] == "sidecars"
    assert "python3" in manifest["spec"]["caveats"] and "3.9" in manifest["spec"]["caveats"]
    pairs = set()
    for platform in manifest["spec"]["platforms"]:
        labels = platform["selector"]["matchLabels"]
        pairs.add((labels["os"], labels["arch"]))
        assert platform["bin"] == "kubectl-sidecars"
        assert sorted(f["from"] for f in platform["files"]) == sorted(MEMBERS)
    assert pairs == {(os_, arch) for os_ in ("linux", "darwin") for arch in ("amd64", "arm64")}
    assert len({p["sha256"] for p in manifest["spec"]["platforms"]}) == 1
    assert len({p["uri"] for p in manifest["spec"]["platforms"]}) == 1


# --- the zipapp under the oldest supported Python -----------------------------------------------------------

def test_zipapp_version_under_the_oldest_python(built, tmp_path, oldest_python):
    from kubectl_sidecars import __version__

    proc = run_zipapp(built, tmp_path, oldest_python, "--version")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, f"kubectl-sidecars {__version__}\n", "")


@pytest.mark.parametrize("args", [
    ["status", "-A"], ["status", "-A", "-o", "wide"], ["status", "-A", "-o", "yaml"], ["status", "-A", "--containers"],
    ["diagnose", "-A"], ["diagnose", "-A", "-o", "json"], ["explain"], ["explain", "sidecar-sigkilled"],
], ids=lambda args: "-".join(a.strip("-") for a in args))
def test_zipapp_prints_what_the_pip_install_prints(built, tmp_path, oldest_python, args):
    """Same sources, older pins (click 8.1, ...), Python 3.9: the same output."""
    files = [arg for path in INPUTS for arg in ("-f", path)] if args[0] != "explain" else []
    expected = run_pip_install(*args, *files)
    actual = run_zipapp(built, tmp_path, oldest_python, *args, *files)
    assert (actual.returncode, actual.stdout, actual.stderr) == (expected.returncode, expected.stdout, expected.stderr)


def test_kubernetes_client_and_certifi_load_from_the_bundle(built, tmp_path, oldest_python):
    """Imported from the extracted cache and straight from the zip (zipimport): both must work."""
    probe = ("import sys; sys.path.insert(0, sys.argv[1]); import kubernetes.client, kubernetes.config, yaml, "
             "certifi; path = certifi.where(); assert len(open(path).read()) > 1000, path; "
             "assert not hasattr(yaml, 'CSafeLoader'); print(kubernetes.__file__)")
    zipapp = built["dir"] / "kubectl-sidecars"
    proc = subprocess.run([oldest_python, "-I", "-S", "-c", probe, str(zipapp)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(str(zipapp)), proc.stdout


def test_cluster_errors_match_the_pip_install(built, tmp_path, oldest_python):
    """A cluster read imports the bundled Kubernetes client; nothing listens on port 1."""
    kubeconfig = tmp_path / "config"
    kubeconfig.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "c",
        "clusters": [{"name": "k", "cluster": {"server": "https://127.0.0.1:1"}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": "c", "context": {"cluster": "k", "user": "u"}}]}))
    args = ("status", "--kubeconfig", str(kubeconfig), "--request-timeout", "5s")
    expected = run_pip_install(*args)
    actual = run_zipapp(built, tmp_path, oldest_python, *args)
    assert expected.returncode == 3, expected.stderr
    assert (actual.returncode, actual.stdout, actual.stderr) == (expected.returncode, "", expected.stderr)


def test_libraries_are_extracted_once_with_bytecode(built, tmp_path, oldest_python):
    cache = tmp_path / "cache"
    (cache / "bundles" / "0.0.0-older-release").mkdir(parents=True)
    first = run_zipapp(built, tmp_path, oldest_python, "explain", cache=cache,
                       env={"PYTHONDONTWRITEBYTECODE": "1"})
    assert first.returncode == 0, first.stderr
    [bundle] = (cache / "bundles").iterdir()  # what an older release extracted is gone
    assert (bundle / ".complete").is_file() and (bundle / "kubernetes" / "__init__.py").is_file()
    assert list(bundle.glob("kubectl_sidecars/__pycache__/*.cpython-39.pyc"))
    marker_time = (bundle / ".complete").stat().st_mtime_ns
    second = run_zipapp(built, tmp_path, oldest_python, "explain", cache=cache)
    assert second.stdout == first.stdout
    assert [p.name for p in (cache / "bundles").iterdir()] == [bundle.name]
    assert (bundle / ".complete").stat().st_mtime_ns == marker_time  # not extracted again


def test_unwritable_cache_falls_back_to_the_zip(built, tmp_path, oldest_python):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    proc = run_zipapp(built, tmp_path, oldest_python, "status", "-A", "-f", INPUTS[0], cache=blocker / "cache")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == run_pip_install("status", "-A", "-f", INPUTS[0]).stdout


def test_too_old_python_gets_a_clear_error(built, tmp_path):
    python = find_python(8)
    if python is None:
        pytest.skip("no Python 3.8 interpreter found")
    proc = run_zipapp(built, tmp_path, python, "--version")
    assert proc.returncode == 2
    assert "needs Python 3.9 or newer" in proc.stderr


def test_newest_python_found_runs_it_too(built, tmp_path):
    newest = next(filter(None, (find_python(minor) for minor in range(14, 9, -1))), None)
    if newest is None:
        pytest.skip("no Python newer than 3.9 found")
    proc = run_zipapp(built, tmp_path, newest, "status", "-A", "-f", INPUTS[0])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == run_pip_install("status", "-A", "-f", INPUTS[0]).stdout


# "zipfile": while the bundle is extracted, before the plugin's own code is importable
@pytest.mark.parametrize("module", ["zipfile", "click"])
def test_zipapp_interrupted_while_starting_is_one_line_and_130(built, tmp_path, oldest_python, module):
    (tmp_path / "hook").mkdir()
    child = stalled([str(built["dir"] / "kubectl-sidecars"), "--help"], module, tmp_path / "hook",
                    zipapp_environment(tmp_path, oldest_python))
    assert interrupt(child) == (130, "", "error: interrupted\n")


def test_zipapp_completion_interrupted_says_nothing(built, tmp_path, oldest_python):
    (tmp_path / "hook").mkdir()
    child = stalled([str(built["dir"] / "kubectl_complete-sidecars"), "status", ""], "click", tmp_path / "hook",
                    zipapp_environment(tmp_path, oldest_python))
    assert interrupt(child) == (130, "", "")


@pytest.mark.parametrize("args", [["--help"], ["diagnose", "-f", INPUTS[0], "--fail-on", "info"]])
def test_zipapp_into_a_closed_pipe_keeps_its_exit_code(built, tmp_path, oldest_python, args):
    expected = 1 if "--fail-on" in args else 0
    command = [str(built["dir"] / "kubectl-sidecars"), *args]
    assert without_reader(command, zipapp_environment(tmp_path, oldest_python)) == (expected, "")


# --- completion from the archive ---------------------------------------------------------------------------

@pytest.mark.parametrize("words", [[""], ["st"], ["status", "-"], ["status", "-o", ""], ["explain", "sidecar-"],
                                   ["diagnose", "-f", INPUTS[0], "job", ""]])
def test_archive_completion_answers_like_the_pip_install(built, tmp_path, oldest_python, words):
    expected = subprocess.run([str(SCRIPTS / "kubectl_complete-sidecars"), *words], capture_output=True,
                              text=True, env=dict(os.environ, KUBECONFIG=os.devnull), timeout=60)
    actual = run_zipapp(built, tmp_path, oldest_python, *words, name="kubectl_complete-sidecars")
    assert (actual.returncode, actual.stdout, actual.stderr) == (0, expected.stdout, "")
    assert actual.stdout.endswith(":4\n")


def test_zipapp_linked_as_the_completion_executable_completes(built, tmp_path, oldest_python):
    """The krew caveat: a kubectl_complete-sidecars symlink to the installed kubectl-sidecars."""
    link = built["dir"] / "links" / "kubectl_complete-sidecars"
    link.parent.mkdir(exist_ok=True)
    if not link.exists():
        link.symlink_to(built["dir"] / "kubectl-sidecars")
    proc = run_zipapp(built, tmp_path, oldest_python, "exp", name="links/kubectl_complete-sidecars")
    assert proc.returncode == 0 and proc.stderr == ""
    assert proc.stdout.splitlines()[0].startswith("explain\t") and proc.stdout.endswith(":4\n")


# --- hack/dist.py's guards ---------------------------------------------------------------------------------

def make_wheel(path, files):
    with zipfile.ZipFile(path, "w") as wheel:
        for name, data in files.items():
            wheel.writestr(name, data)
    return path


def test_wheels_with_platform_tags_are_refused(tmp_path):
    wheel = make_wheel(tmp_path / "fast-1.0-cp39-cp39-manylinux_2_17_x86_64.whl",
                       {"fast-1.0.dist-info/WHEEL": "Root-Is-Purelib: false\n"})
    with pytest.raises(dist.DistError, match="not pure Python"):
        dist.check_pure_wheel(wheel)


def test_wheels_hiding_compiled_files_are_refused(tmp_path):
    wheel = make_wheel(tmp_path / "sly-1.0-py3-none-any.whl",
                       {"sly/_speedups.cpython-39-x86_64-linux-gnu.so": b"\x7fELF",
                        "sly-1.0.dist-info/WHEEL": "Root-Is-Purelib: true\n"})
    with pytest.raises(dist.DistError, match="compiled"):
        dist.check_pure_wheel(wheel)


def test_pure_wheels_pass(tmp_path):
    wheel = make_wheel(tmp_path / "plain-1.0-py2.py3-none-any.whl",
                       {"plain/__init__.py": "", "plain-1.0.dist-info/WHEEL": "Root-Is-Purelib: true\n"})
    dist.check_pure_wheel(wheel)


def test_missing_requirement_is_caught(tmp_path):
    info = tmp_path / "lib" / "a-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: a\nVersion: 1.0\nRequires-Dist: b>=2\n"
                                   "Requires-Dist: winonly; sys_platform == 'win32'\n"
                                   "Requires-Dist: extra-only; extra == 'fancy'\n")
    with pytest.raises(dist.DistError, match="b>=2, which is not bundled"):
        dist.check_requirements(tmp_path / "lib")
    other = tmp_path / "lib" / "b-1.5.dist-info"
    other.mkdir()
    (other / "METADATA").write_text("Metadata-Version: 2.1\nName: b\nVersion: 1.5\n")
    with pytest.raises(dist.DistError, match="b 1.5 is bundled"):
        dist.check_requirements(tmp_path / "lib")


def test_manifest_without_the_expected_lines_is_refused(tmp_path):
    manifest = tmp_path / "sidecars.yaml"
    manifest.write_text("spec:\n  version: v0\n  platforms:\n  - selector: {}\n    bin: x\n")
    with pytest.raises(dist.DistError, match="uri"):
        dist.update_manifest(manifest, "1.0.0", "https://example.invalid/x.tar.gz", "0" * 64)


def test_tarball_entries_are_deterministic(tmp_path):
    files = {"b": (b"2", 0o755), "a": (b"1", 0o644)}
    dist.write_tarball(files, tmp_path / "one.tar.gz")
    dist.write_tarball(dict(reversed(list(files.items()))), tmp_path / "two.tar.gz")
    assert sha256(tmp_path / "one.tar.gz") == sha256(tmp_path / "two.tar.gz")
    with tarfile.open(tmp_path / "one.tar.gz") as tar:
        assert [(m.name, m.uid, m.gid, m.uname) for m in tar.getmembers()] == [("a", 0, 0, ""), ("b", 0, 0, "")]


def test_library_named_like_a_starter_is_refused(tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "__main__.py").write_text("print('not the starter')\n")
    with pytest.raises(dist.DistError, match="__main__.py, a name the zipapp's starters need"):
        dist.write_zipapp(tmp_path / "lib", tmp_path / "app", "1.0.0")


# --- the boot module's BUNDLE_ID, written by the build --------------------------------------------------------

def test_bundle_id_is_written_into_the_boot_module():
    source = (ZIPAPP_SOURCES / "kubectl_sidecars_bundle.py").read_text()
    built_source = dist.with_bundle_id(source, "1.2.3-0123456789abcdef")
    namespace = {"__name__": "built_boot"}
    exec(compile(built_source, "kubectl_sidecars_bundle.py", "exec"), namespace)
    assert namespace["BUNDLE_ID"] == "1.2.3-0123456789abcdef"
    changed = [(old, new) for old, new in zip(source.splitlines(), built_source.splitlines()) if old != new]
    assert changed == [(f'BUNDLE_ID = "{boot.BUNDLE_ID}"', 'BUNDLE_ID = "1.2.3-0123456789abcdef"')]
    assert len(built_source.splitlines()) == len(source.splitlines())


@pytest.mark.parametrize("source, problem", [
    ('"""BUNDLE_ID = "x" in prose only"""\n', "0 times"),
    ('BUNDLE_ID = "a"\nBUNDLE_ID = "b"\n', "2 times"),
    ('BUNDLE_ID = "a"\nBUNDLE_ID += "b"\n', "2 times"),
    ("BUNDLE_ID = None\n", "line 1"),
    ('BUNDLE_ID = (\n    "a"\n)\n', "line 1"),
    ('OTHER = BUNDLE_ID = "a"\n', "line 1"),
    ('BUNDLE_ID: str = "a"\n', "line 1"),
], ids=["absent", "twice", "augmented", "not-a-string", "two-lines", "chained", "annotated"])
def test_boot_module_of_another_shape_is_refused(source, problem):
    with pytest.raises(dist.DistError, match=problem):
        dist.with_bundle_id(source, "1.0.0-abc")


@pytest.mark.parametrize("identifier", ["", "../elsewhere", "1.0/abc", ".hidden", 'a"b', "a\nb"])
def test_bundle_id_that_is_not_a_plain_folder_name_is_refused(identifier):
    with pytest.raises(dist.DistError, match="not a folder name"):
        dist.with_bundle_id('BUNDLE_ID = "unbuilt"\n', identifier)


# --- the starters on their own (hack/zipapp/) -----------------------------------------------------------------

@pytest.mark.parametrize("environment, expected", [
    ({"KUBECTL_SIDECARS_CACHE": "/plugin", "XDG_CACHE_HOME": "/xdg", "HOME": "/home/u"}, "/plugin/bundles"),
    ({"KUBECTL_SIDECARS_CACHE": "", "XDG_CACHE_HOME": "/xdg", "HOME": "/home/u"}, "/xdg/kubectl-sidecars/bundles"),
    ({"XDG_CACHE_HOME": "", "HOME": "/home/u"}, "/home/u/.cache/kubectl-sidecars/bundles"),
], ids=["plugin-variable", "xdg", "home"])
def test_cache_folder_choice(monkeypatch, environment, expected):
    for name in ("KUBECTL_SIDECARS_CACHE", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert boot.cache_root() == expected


@pytest.mark.parametrize("program, entry", [
    ("kubectl-sidecars", "cli"), ("/krew/bin/kubectl-sidecars", "cli"), ("/tmp/app.pyz", "cli"),
    ("kubectl_complete-sidecars", "complete"), ("/krew/bin/kubectl_complete-sidecars", "complete"),
    ("/kubectl_complete-sidecars/kubectl-sidecars", "cli"),
])
def test_starter_chosen_by_the_program_name(program, entry):
    assert boot.entry_point(program) == entry


def make_bundle(path, files):
    """A zip like the zipapp: every name of files, the starters too."""
    with zipfile.ZipFile(path, "w") as bundle:
        for name in boot.STARTERS:
            bundle.writestr(name, "raise SystemExit('a starter ran from the cache')\n")
        for name, data in files.items():
            bundle.writestr(name, data)
    return path


def tree(folder):
    return sorted(p.relative_to(folder).as_posix() for p in Path(folder).rglob("*") if p.is_file())


def test_extraction_writes_the_libraries_and_a_marker_only(tmp_path):
    archive = make_bundle(tmp_path / "app.zip", {
        "pkg/__init__.py": "", "pkg/data.txt": "kept", "empty/": "", "../outside.py": "", "pkg//twice.py": "",
        "./here.py": "", "pkg/../up.py": ""})
    parent = tmp_path / "cache" / "bundles"
    target = boot.extract(str(archive), str(parent), "1.0.0-abc")
    assert target == str(parent / "1.0.0-abc")
    assert tree(parent) == ["1.0.0-abc/.complete", "1.0.0-abc/pkg/__init__.py", "1.0.0-abc/pkg/data.txt"]
    assert (parent / "1.0.0-abc" / "pkg" / "data.txt").read_text() == "kept"
    assert tree(tmp_path / "cache") == [f"bundles/{name}" for name in tree(parent)]  # nothing outside, no staging


def test_complete_extraction_is_reused_as_it_is(tmp_path):
    target = tmp_path / "bundles" / "1.0.0-abc"
    target.mkdir(parents=True)
    (target / ".complete").write_text("")
    (target / "yours.py").write_text("")
    missing_archive = tmp_path / "no-such.zip"
    assert boot.extract(str(missing_archive), str(tmp_path / "bundles"), "1.0.0-abc") == str(target)
    assert tree(tmp_path / "bundles") == ["1.0.0-abc/.complete", "1.0.0-abc/yours.py"]


def test_incomplete_extraction_is_replaced(tmp_path):
    parent = tmp_path / "bundles"
    (parent / "1.0.0-abc" / "pkg").mkdir(parents=True)
    (parent / "1.0.0-abc" / "pkg" / "half-written.py").write_text("")
    archive = make_bundle(tmp_path / "app.zip", {"pkg/__init__.py": ""})
    assert boot.extract(str(archive), str(parent), "1.0.0-abc") == str(parent / "1.0.0-abc")
    assert tree(parent) == ["1.0.0-abc/.complete", "1.0.0-abc/pkg/__init__.py"]


def test_older_extractions_are_removed_but_not_a_running_extraction(tmp_path):
    parent = tmp_path / "bundles"
    for name in ("0.9.0-older", "1.0.0-abc-but-other", ".extract-another-run"):
        (parent / name / "pkg").mkdir(parents=True)
        (parent / name / "pkg" / "mod.py").write_text("")
    archive = make_bundle(tmp_path / "app.zip", {"pkg/mod.py": ""})
    boot.extract(str(archive), str(parent), "1.0.0-abc")
    assert sorted(p.name for p in parent.iterdir()) == [".extract-another-run", "1.0.0-abc"]


def test_extraction_that_cannot_be_made_is_none(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    archive = make_bundle(tmp_path / "app.zip", {"pkg/__init__.py": ""})
    assert boot.extract(str(archive), str(blocker / "bundles"), "1.0.0-abc") is None
    not_a_zip = tmp_path / "not-a-zip"
    not_a_zip.write_text("#!/bin/sh\n")
    assert boot.extract(str(not_a_zip), str(tmp_path / "bundles"), "1.0.0-abc") is None
    assert list((tmp_path / "bundles").iterdir()) == []  # its staging folder is gone too


def test_isolated_path_keeps_only_the_bundle_and_the_standard_library(tmp_path):
    lib, archive = tmp_path / "cache" / "bundles" / "1.0.0-abc", tmp_path / "kubectl-sidecars"
    lib_spelt_otherwise = [f"{lib}/", str(lib.parent / ".." / "bundles" / lib.name)]
    stdlib = os.path.dirname(os.__file__)
    site_packages = site.getsitepackages() + [site.getusersitepackages()]
    path = ["", str(archive), *site_packages, stdlib, *lib_spelt_otherwise, str(tmp_path / "elsewhere")]
    assert boot.isolated_path(path, str(lib), str(archive)) == [str(lib), stdlib, str(tmp_path / "elsewhere")]


@pytest.mark.parametrize("entry, said", [("cli", "error: interrupted\n"), ("complete", "")])
def test_interrupt_before_the_plugin_takes_over_is_one_line_and_130(entry, said):
    program = ("import os, signal, sys, time; sys.path.insert(0, sys.argv[1]); import kubectl_sidecars_bundle; "
               "kubectl_sidecars_bundle.stop_on_interrupt(sys.argv[2]); os.kill(os.getpid(), signal.SIGINT); "
               "time.sleep(600); print('not stopped')")
    proc = subprocess.run([sys.executable, "-c", program, str(ZIPAPP_SOURCES), entry], capture_output=True,
                          text=True, timeout=120)
    assert (proc.returncode, proc.stdout, proc.stderr) == (130, "", said)


# A stand-in for the plugin: what run() started, from where, and whether site-packages leaked in.
FAKE_ENTRY = '''\
import json, sys

def report(entry):
    try:
        import pytest
        leaked = pytest.__file__
    except ImportError:
        leaked = None
    print(json.dumps({"entry": entry, "from": __file__, "leaked": leaked, "argv": sys.argv[1:]}))

def main():
    report("cli")

def complete():
    report("complete")
'''


@pytest.fixture
def fake_release(tmp_path):
    """The release's two executables, built by hack/dist.py from the real starters around a stand-in plugin."""
    lib = tmp_path / "lib"
    (lib / "kubectl_sidecars").mkdir(parents=True)
    (lib / "kubectl_sidecars" / "__init__.py").write_text("")
    (lib / "kubectl_sidecars" / "entry.py").write_text(FAKE_ENTRY)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    dist.write_zipapp(lib, bin_dir / "kubectl-sidecars", "1.0.0")
    shutil.copy(ZIPAPP_SOURCES / "kubectl_complete_sidecars.py", bin_dir / "kubectl_complete-sidecars")
    return bin_dir


def run_release(tmp_path, *command, cache=None):
    environment = dict(os.environ, KUBECTL_SIDECARS_CACHE=str(cache or tmp_path / "cache"),
                       PYTHONDONTWRITEBYTECODE="1")
    proc = subprocess.run([sys.executable, *map(str, command)], capture_output=True, text=True, env=environment,
                          timeout=120, stdin=subprocess.DEVNULL)
    assert (proc.returncode, proc.stderr) == (0, ""), proc.stderr
    return json.loads(proc.stdout)


def test_zipapp_runs_the_cli_from_its_extracted_copy_with_bytecode(fake_release, tmp_path):
    started = run_release(tmp_path, fake_release / "kubectl-sidecars", "status", "-A")
    [bundle] = (tmp_path / "cache" / "bundles").iterdir()
    assert started == {"entry": "cli", "from": str(bundle / "kubectl_sidecars" / "entry.py"), "leaked": None,
                       "argv": ["status", "-A"]}
    assert list((bundle / "kubectl_sidecars" / "__pycache__").glob("entry.*.pyc"))
    assert bundle.name.startswith("1.0.0-") and not (bundle / "__main__.py").exists()


def test_zipapp_imports_from_itself_when_the_cache_cannot_be_written(fake_release, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    started = run_release(tmp_path, fake_release / "kubectl-sidecars", "--version", cache=blocker / "cache")
    zipapp = fake_release / "kubectl-sidecars"
    assert started == {"entry": "cli", "from": str(zipapp / "kubectl_sidecars" / "entry.py"), "leaked": None,
                       "argv": ["--version"]}


def test_completion_executable_and_its_links_start_completion(fake_release, tmp_path):
    links = tmp_path / "links"
    links.mkdir()
    (links / "kubectl_complete-sidecars").symlink_to(fake_release / "kubectl-sidecars")  # the krew caveat
    (links / "completer").symlink_to(fake_release / "kubectl_complete-sidecars")
    for executable in (fake_release / "kubectl_complete-sidecars", links / "kubectl_complete-sidecars",
                       links / "completer"):
        started = run_release(tmp_path, executable, "status", "")
        assert (started["entry"], started["argv"], started["leaked"]) == ("complete", ["status", ""], None)


def test_starters_under_a_too_old_python3_say_so():
    """Syntax every python3 parses: the oldest one found gets the message (or, completing, no candidates)."""
    python = next(filter(None, (find_python(minor) for minor in range(4, 9))), None)
    if python is None:
        pytest.skip("no Python 3.4 to 3.8 interpreter found")
    proc = subprocess.run([python, str(ZIPAPP_SOURCES / "__main__.py")], capture_output=True, text=True, timeout=60)
    version = subprocess.run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                             capture_output=True, text=True, timeout=60).stdout.strip()
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == f"error: kubectl-sidecars needs Python 3.9 or newer; python3 is {version}\n"
    proc = subprocess.run([python, str(ZIPAPP_SOURCES / "kubectl_complete_sidecars.py"), "status", ""],
                          capture_output=True, text=True, timeout=60)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, ":4\n", "")
