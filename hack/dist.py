#!/usr/bin/env python3
"""Builds the krew release archive: dist/kubectl-sidecars-<version>.tar.gz, and fills plugin.yaml.

The archive holds three regular files:
  kubectl-sidecars           a Python zipapp (`#!/usr/bin/env python3`) with the package and its runtime
                             dependencies, all pure Python, so one archive serves every platform krew lists;
  kubectl_complete-sidecars  the shell completion entry point kubectl 1.26+ looks for on PATH;
  LICENSE

The bundled dependencies are pinned below, with the sha256 of each file, for the oldest Python the plugin
supports (3.9). Only pure-Python wheels (py3-none-any / py2.py3-none-any, no compiled files) are accepted.
PyYAML publishes no such wheel: its sdist's pure-Python package (lib/yaml) is bundled, which is what
PyYAML itself falls back to without libyaml. The build is reproducible: sorted entries, fixed times, so
the same sources give the same sha256.

Usage: hack/dist.py [--out-dir DIR] [--manifest FILE | --no-manifest] [--cache DIR]
Downloads go to a cache (default ~/.cache/kubectl-sidecars/dist), so later builds work offline.
"""

import argparse
import configparser
import gzip
import hashlib
import io
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = "kubectl_sidecars"
PLUGIN = "sidecars"
HOMEPAGE = "https://github.com/kubectl-sidecars/kubectl-sidecars"
RELEASE_URI = HOMEPAGE + "/releases/download/v{version}/kubectl-sidecars-{version}.tar.gz"
OLDEST_PYTHON = "3.9"

# kubernetes 35.0.0 is the last pure-Python line of the client (36 adds aiohttp, 37 pydantic-core); the
# others are the newest releases that still support Python 3.9, resolved for it by pip.
PINNED_WHEELS = {
    "certifi-2026.10.18-py3-none-any.whl": "73191c47aaa79da394e8fee2dbc2ec827432cab56311122c9e47abf79e390f62",
    "charset_normalizer-3.5.2-py3-none-any.whl": "b6b751274acb69d77b3323d6b7dbaa3c7fdfc1eb829b7eb61d262f32e1af9685",
    "click-8.1.8-py3-none-any.whl": "63c132bbbed01578a06712a2d1f497bb62d9c1c0d329b7903a866228027263b2",
    "colorama-0.4.6-py2.py3-none-any.whl": "4f1d9991f5acc0ca119f9d443620b77f9d6b33703e51011c16baf57afb285fc6",
    "durationpy-0.11-py3-none-any.whl": "a739fe2b8972c250ff72f8e2c488d18cf25f7b852f49ee76048775d5171df30c",
    "idna-3.20-py3-none-any.whl": "ab7ae7122974553370f0bdb919e1a960b2cd1bc1ef0276416d896db81c14582c",
    "kubernetes-35.0.0-py2.py3-none-any.whl": "39e2b33b46e5834ef6c3985ebfe2047ab39135d41de51ce7641a7ca5b372a13d",
    "oauthlib-4.0.1-py3-none-any.whl": "498a298876e996301950a5b053d12c31628bb7b895db03666430c69ce182eb61",
    "python_dateutil-3.0.0-py2.py3-none-any.whl": "3c79630202e4152c6add678446984236efe4f57e84d8e892aab0637bab82e9fd",
    "requests-2.32.5-py3-none-any.whl": "2462f94637a34fd532264295e186976db0f5d453d1cdd31473c85a6a161affb6",
    "requests_oauthlib-2.0.0-py2.py3-none-any.whl": "7dd8a5c40426b779b0868c404bdef9768deccf22749cde15852df527e6269b36",
    "six-1.17.0-py2.py3-none-any.whl": "4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274",
    "tabulate-0.9.0-py3-none-any.whl": "024ca478df22e9340661486f85298cff5f6dcdba14f3813e8830015b9ed1948f",
    "tzdata-2026.6-py2.py3-none-any.whl": "0a10eec6e13ef16b627fabed9a5f2ba61a62b1c67f327305f4e7e412a70b4aec",
    "urllib3-2.6.3-py3-none-any.whl": "bf272323e553dfb2e87d9bfd225ca7b0f467b919d7bbd355436d3fd37cb0acd4",
    "websocket_client-1.9.0-py3-none-any.whl": "af248a825037ef591efbf6ed20cc5faa03d3b47b9e5a2230a529eeee1c1fc3ef",
}
PYYAML_SDIST = ("pyyaml-6.0.3.tar.gz", "d76623373421df22fb4cf8817020cbb7ef15c725b9d5e45f17e189bfc384190f")
PURE_TAGS = {("py3", "none", "any"), ("py2.py3", "none", "any")}
COMPILED_SUFFIXES = (".so", ".pyd", ".dylib", ".dll", ".a", ".lib", ".o")
# Fixed times keep the archive's sha256 a function of its contents (zip cannot go below 1980).
EPOCH = int(os.environ.get("SOURCE_DATE_EPOCH", "315532800"))
ZIP_TIME = (1980, 1, 1, 0, 0, 0)

# --- what runs on the user's machine -------------------------------------------------------------------

# Kept to syntax every python3 can parse, so a too old interpreter gets this message, not a SyntaxError.
MAIN_PY = '''\
import sys
if sys.version_info < (3, 9):
    sys.stderr.write("error: kubectl-sidecars needs Python 3.9 or newer; python3 is %d.%d\\n"
                     % sys.version_info[:2])
    sys.exit(2)
import kubectl_sidecars_bundle
kubectl_sidecars_bundle.run()
'''

BOOT_PY = '''\
"""Starts kubectl-sidecars from its zipapp.

Importing a few hundred modules straight from a zip costs seconds on every run (zipimport cannot cache
bytecode), so the bundled libraries (everything in the zip but its two starters) are extracted once to a
cache folder named after their hash ($KUBECTL_SIDECARS_CACHE, else $XDG_CACHE_HOME/kubectl-sidecars, else
~/.cache/kubectl-sidecars, then bundles/<id>), where Python keeps their bytecode. When that folder cannot
be written, they are imported from the zip itself.
Only the bundle and the standard library are importable: site-packages of the python3 that runs the
zipapp cannot change what the plugin runs.
"""

import os
import sys

BUNDLE_ID = "@BUNDLE_ID@"
STARTERS = ("__main__.py", "kubectl_sidecars_bundle.py")
COMPLETE_PREFIX = "kubectl_complete-"


def _cache_root():
    root = os.environ.get("KUBECTL_SIDECARS_CACHE")
    if not root:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        root = os.path.join(base, "kubectl-sidecars")
    return os.path.join(root, "bundles")


def _extract(archive):
    """The folder holding the extracted libraries, or None when it cannot be made."""
    import shutil
    import tempfile
    import zipfile

    parent = _cache_root()
    target = os.path.join(parent, BUNDLE_ID)
    marker = os.path.join(target, ".complete")
    if os.path.isfile(marker):
        return target
    try:
        os.makedirs(parent, exist_ok=True)
        staging = tempfile.mkdtemp(prefix=".extract-", dir=parent)
        try:
            with zipfile.ZipFile(archive) as bundle:
                for info in bundle.infolist():
                    name = info.filename
                    if name in STARTERS or name.endswith("/"):
                        continue
                    parts = name.split("/")
                    if any(part in ("", ".", "..") for part in parts):
                        continue
                    path = os.path.join(staging, *parts)
                    os.makedirs(os.path.dirname(path), exist_ok=True)
                    with bundle.open(info) as source, open(path, "wb") as sink:
                        shutil.copyfileobj(source, sink)
            open(os.path.join(staging, ".complete"), "w").close()
            if os.path.isdir(target) and not os.path.isfile(marker):  # left incomplete: replace it
                shutil.rmtree(target, ignore_errors=True)
            try:
                os.rename(staging, target)
            except OSError:
                if not os.path.isfile(marker):  # another run did not win the race either
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        _prune(parent)
        return target
    except Exception:
        return None


def _prune(parent):
    """Removes what older versions extracted (each new version extracts once)."""
    import shutil

    for name in os.listdir(parent):
        if name != BUNDLE_ID and not name.startswith("."):
            shutil.rmtree(os.path.join(parent, name), ignore_errors=True)


def _isolate(lib, archive):
    import site

    skip = set()
    for getter in ("getsitepackages", "getusersitepackages"):
        try:
            found = getattr(site, getter)()
        except Exception:
            continue
        skip.update([found] if isinstance(found, str) else found)
    skip = set(os.path.normcase(os.path.abspath(p)) for p in skip)
    skip.add(os.path.normcase(os.path.abspath(archive)))
    skip.add(os.path.normcase(os.path.abspath(lib)))
    rest = [p for p in sys.path if p and os.path.normcase(os.path.abspath(p)) not in skip]
    sys.path[:] = [lib] + rest


def _stop_on_interrupt(entry):
    """Until kubectl_sidecars.entry takes over: Ctrl-C while the libraries are extracted or imported is
    what it is later (one line, or none for completion, and exit 130), never a traceback."""
    import signal

    message = b"" if entry == "complete" else b"error: interrupted\\n"

    def interrupted(signum, frame):
        try:
            os.write(2, message)
        except OSError:
            pass
        os._exit(130)

    signal.signal(signal.SIGINT, interrupted)


def run(entry=None):
    archive = os.path.dirname(os.path.abspath(__file__))
    if entry is None:
        entry = "complete" if os.path.basename(sys.argv[0]).startswith(COMPLETE_PREFIX) else "cli"
    _stop_on_interrupt(entry)
    lib = _extract(archive)
    if lib is None:
        lib = archive  # zipimport: slower, but needs no writable folder
    else:
        # The extracted copy is this program's own cache: keep bytecode there even under
        # PYTHONDONTWRITEBYTECODE, or every run would compile the Kubernetes client again.
        sys.dont_write_bytecode = False
    _isolate(lib, archive)
    if entry == "complete":
        from kubectl_sidecars.entry import complete as main
    else:
        from kubectl_sidecars.entry import main
    main()
'''

COMPLETE_PY = '''\
#!/usr/bin/env python3
"""Shell completion for `kubectl sidecars`: kubectl 1.26+ runs kubectl_complete-sidecars from PATH.
It starts the kubectl-sidecars zipapp beside it (this file may be a symlink to the installed one)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "kubectl-sidecars"))
if sys.version_info >= (3, 9):
    import kubectl_sidecars_bundle
    kubectl_sidecars_bundle.run("complete")
else:
    sys.stdout.write(":4\\n")
'''


class DistError(Exception):
    pass


def log(message):
    print(f"dist: {message}", file=sys.stderr)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def project_version() -> str:
    text = (REPO / PACKAGE / "__init__.py").read_text()
    match = re.search(r'^__version__\s*=\s*["\']([^"\']+)["\']', text, re.M)
    if not match:
        raise DistError(f"no __version__ in {PACKAGE}/__init__.py")
    return match.group(1)


# --- dependencies ----------------------------------------------------------------------------------------

def wheel_tags(filename: str):
    """(python, abi, platform) tags of a wheel file name."""
    parts = filename[:-len(".whl")].split("-")
    if len(parts) not in (5, 6):
        raise DistError(f"not a wheel file name: {filename}")
    return tuple(parts[-3:])


def check_pure_wheel(path: Path) -> None:
    """Refuses anything that is not pure Python: the archive must run on every platform it lists."""
    tags = wheel_tags(path.name)
    if tags not in PURE_TAGS:
        raise DistError(f"{path.name}: tags {'-'.join(tags)} are not pure Python (want py3-none-any)")
    with zipfile.ZipFile(path) as wheel:
        names = wheel.namelist()
        compiled = [n for n in names if n.lower().endswith(COMPILED_SUFFIXES)]
        if compiled:
            raise DistError(f"{path.name} contains compiled files: {', '.join(compiled[:5])}")
        metadata = [n for n in names if n.endswith(".dist-info/WHEEL")]
        if not metadata or "Root-Is-Purelib: true" not in wheel.read(metadata[0]).decode("utf-8", "replace"):
            raise DistError(f"{path.name} is not a purelib wheel")


def download(cache: Path) -> None:
    """Brings every pinned file into the cache (pip, only when one is missing) and checks its sha256."""
    cache.mkdir(parents=True, exist_ok=True)
    wanted = dict(PINNED_WHEELS)
    wanted[PYYAML_SDIST[0]] = PYYAML_SDIST[1]

    def good(name):
        return (cache / name).is_file() and sha256_of(cache / name) == wanted[name]

    wheels = [name for name in PINNED_WHEELS if not good(name)]
    pip = [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--no-deps",
           "--dest", str(cache)]
    if wheels:
        log(f"downloading {len(wheels)} wheels")
        requirements = [f"{name.split('-')[0]}=={name.split('-')[1]}" for name in wheels]
        subprocess.run(pip + ["--only-binary=:all:", "--platform", "any", "--implementation", "py",
                              "--abi", "none", "--python-version", OLDEST_PYTHON, *requirements], check=True)
    if not good(PYYAML_SDIST[0]):
        log("downloading the PyYAML sdist")
        subprocess.run(pip + ["--no-binary=:all:", "pyyaml==" + PYYAML_SDIST[0].split("-")[1][:-len(".tar.gz")]],
                       check=True)
    for name, digest in wanted.items():
        if not (cache / name).is_file():
            raise DistError(f"{name} was not downloaded")
        actual = sha256_of(cache / name)
        if actual != digest:
            raise DistError(f"{name}: sha256 {actual} is not the pinned {digest}")


def unpack_wheel(path: Path, lib: Path) -> None:
    check_pure_wheel(path)
    with zipfile.ZipFile(path) as wheel:
        for info in wheel.infolist():
            name = info.filename
            if name.endswith("/") or name.endswith(".dist-info/RECORD"):
                continue
            parts = name.split("/")
            if ".." in parts or name.startswith("/"):
                raise DistError(f"{path.name}: unsafe path {name}")
            if parts[0].endswith(".data"):
                if len(parts) > 2 and parts[1] in ("purelib", "platlib"):
                    parts = parts[2:]
                else:
                    continue  # scripts, headers, data: not importable, not needed
            if "tests" in parts[1:-1] or "__pycache__" in parts:
                continue
            target = lib.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(wheel.read(info))


def unpack_pyyaml(path: Path, lib: Path) -> None:
    """The sdist's pure-Python `yaml` package, with a dist-info carrying its metadata and license."""
    with tarfile.open(path) as sdist:
        members = {m.name: m for m in sdist.getmembers() if m.isfile()}
        root = path.name[:-len(".tar.gz")]
        sources = [n for n in members if n.startswith(f"{root}/lib/yaml/") and n.endswith(".py")
                   and n.count("/") == 3]
        if not sources:
            raise DistError(f"{path.name}: no lib/yaml/*.py")
        (lib / "yaml").mkdir(parents=True)
        for name in sources:
            (lib / "yaml" / name.rsplit("/", 1)[1]).write_bytes(sdist.extractfile(members[name]).read())
        info = lib / f"PyYAML-{root.split('-')[1]}.dist-info"
        info.mkdir()
        pkg_info = sdist.extractfile(members[f"{root}/PKG-INFO"]).read()
        (info / "METADATA").write_bytes(pkg_info)
        (info / "LICENSE").write_bytes(sdist.extractfile(members[f"{root}/LICENSE"]).read())
        (info / "top_level.txt").write_text("yaml\n")


def copy_project(lib: Path, version: str) -> None:
    source = REPO / PACKAGE
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if path.is_dir() or "__pycache__" in relative.parts or path.suffix in (".pyc", ".pyo"):
            continue
        target = lib / PACKAGE / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes())
    info = lib / f"{PACKAGE}-{version}.dist-info"
    info.mkdir()
    # The requirements setup.cfg declares, so check_requirements holds the bundle to them too.
    setup = configparser.ConfigParser(interpolation=None)
    setup.read(REPO / "setup.cfg")
    requires = [r.strip() for r in setup.get("options", "install_requires", fallback="").splitlines() if r.strip()]
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: kubectl-sidecars\n"
                                   f"Version: {version}\nLicense: Apache-2.0\n"
                                   + "".join(f"Requires-Dist: {r}\n" for r in requires))
    (info / "LICENSE").write_bytes((REPO / "LICENSE").read_bytes())
    (info / "top_level.txt").write_text(f"{PACKAGE}\n")


def check_requirements(lib: Path) -> None:
    """Every bundled distribution's runtime requirements (for Python 3.9+ on Linux and macOS) are bundled."""
    try:
        from packaging.requirements import Requirement
        from packaging.utils import canonicalize_name
    except ImportError:
        from pip._vendor.packaging.requirements import Requirement
        from pip._vendor.packaging.utils import canonicalize_name

    from email.parser import HeaderParser

    bundled, requirements = {}, []
    for metadata in lib.glob("*.dist-info/METADATA"):
        headers = HeaderParser().parsestr(metadata.read_text(encoding="utf-8"))
        bundled[canonicalize_name(headers["Name"])] = headers["Version"]
        requirements += [(headers["Name"], r) for r in headers.get_all("Requires-Dist") or []]
    environments = [{"python_version": v, "python_full_version": v + ".0", "sys_platform": p,
                     "platform_system": s, "os_name": "posix", "implementation_name": "cpython",
                     "platform_python_implementation": "CPython", "extra": ""}
                    for v in ("3.9", "3.13") for p, s in (("linux", "Linux"), ("darwin", "Darwin"))]
    for owner, text in requirements:
        requirement = Requirement(text)
        if requirement.marker and not any(requirement.marker.evaluate(env) for env in environments):
            continue
        version = bundled.get(canonicalize_name(requirement.name))
        if version is None:
            raise DistError(f"{owner} requires {text}, which is not bundled: pin it in hack/dist.py")
        if not requirement.specifier.contains(version, prereleases=True):
            raise DistError(f"{owner} requires {text}, but {requirement.name} {version} is bundled")


def check_tree(lib: Path) -> None:
    for path in lib.rglob("*"):
        if path.is_symlink():
            raise DistError(f"symlink in the bundle: {path.relative_to(lib)}")
        if path.is_file() and path.name.lower().endswith(COMPILED_SUFFIXES):
            raise DistError(f"compiled file in the bundle: {path.relative_to(lib)}")


# --- archives --------------------------------------------------------------------------------------------

def bundle_id(lib: Path, version: str) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in lib.rglob("*") if p.is_file()):
        digest.update(path.relative_to(lib).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return f"{version}-{digest.hexdigest()[:16]}"


def write_zipapp(lib: Path, target: Path, version: str) -> None:
    entries = {"__main__.py": MAIN_PY.encode(),
               "kubectl_sidecars_bundle.py": BOOT_PY.replace("@BUNDLE_ID@", bundle_id(lib, version)).encode()}
    for path in lib.rglob("*"):
        if path.is_file():
            entries[path.relative_to(lib).as_posix()] = path.read_bytes()
    with open(target, "wb") as handle:
        handle.write(b"#!/usr/bin/env python3\n")
        with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
            for name in sorted(entries):
                info = zipfile.ZipInfo(name, ZIP_TIME)
                info.external_attr = 0o100644 << 16
                info.create_system = 3
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, entries[name])
    target.chmod(0o755)


def write_tarball(files: dict, target: Path) -> None:
    """files: archive name -> (bytes, mode). Regular files only, sorted, owned by 0, fixed times."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name in sorted(files):
            data, mode = files[name]
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime, info.type = len(data), mode, EPOCH, tarfile.REGTYPE
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    with open(target, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=EPOCH) as gz:
        gz.write(buffer.getvalue())


# --- the krew manifest -----------------------------------------------------------------------------------

def update_manifest(manifest: Path, version: str, uri: str, sha256: str) -> None:
    """Rewrites spec.version and every platform's uri and sha256 in place, keeping the rest as written."""
    text = manifest.read_text()
    replacements = [(r"^(  version: ).*$", f"v{version}", 1),
                    (r"^(\s+uri: ).*$", uri, None),
                    (r"^(\s+sha256: ).*$", sha256, None)]
    platforms = len(re.findall(r"^\s+- selector:", text, re.M))
    for pattern, value, expected in replacements:
        text, count = re.subn(pattern, lambda m, v=value: m.group(1) + v, text, flags=re.M)
        if count != (expected or platforms) or not count:
            raise DistError(f"{manifest}: expected {expected or platforms} line(s) matching {pattern}, found {count}")
    manifest.write_text(text)


# --- main ------------------------------------------------------------------------------------------------

def build(out_dir: Path, manifest, cache: Path) -> Path:
    version = project_version()
    download(cache)
    with tempfile.TemporaryDirectory(prefix="kubectl-sidecars-dist-") as tmp:
        lib = Path(tmp) / "lib"
        lib.mkdir()
        for name in sorted(PINNED_WHEELS):
            unpack_wheel(cache / name, lib)
        unpack_pyyaml(cache / PYYAML_SDIST[0], lib)
        copy_project(lib, version)
        check_tree(lib)
        check_requirements(lib)
        zipapp = Path(tmp) / "kubectl-sidecars"
        write_zipapp(lib, zipapp, version)
        out_dir.mkdir(parents=True, exist_ok=True)
        archive = out_dir / f"kubectl-sidecars-{version}.tar.gz"
        partial = archive.with_name(archive.name + ".partial")
        write_tarball({
            "kubectl-sidecars": (zipapp.read_bytes(), 0o755),
            "kubectl_complete-sidecars": (COMPLETE_PY.encode(), 0o755),
            "LICENSE": ((REPO / "LICENSE").read_bytes(), 0o644),
        }, partial)
        partial.replace(archive)
    digest = sha256_of(archive)
    if manifest is not None:
        update_manifest(manifest, version, RELEASE_URI.format(version=version), digest)
    log(f"{archive} ({archive.stat().st_size / 1e6:.1f} MB) sha256 {digest}")
    return archive


def default_cache() -> Path:
    root = os.environ.get("KUBECTL_SIDECARS_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "kubectl-sidecars")
    return Path(root) / "dist"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out-dir", type=Path, default=REPO / "dist", help="where the archive goes (dist/)")
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--manifest", type=Path, default=REPO / "plugin.yaml",
                        help="krew manifest whose version, uri and sha256 are rewritten (plugin.yaml)")
    target.add_argument("--no-manifest", action="store_true", help="leave every manifest alone")
    parser.add_argument("--cache", type=Path, default=default_cache(), help="download cache")
    args = parser.parse_args(argv)
    try:
        build(args.out_dir, None if args.no_manifest else args.manifest, args.cache)
    except (DistError, subprocess.CalledProcessError, OSError) as error:
        log(f"error: {error}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
