#!/usr/bin/env python3
"""Builds the krew release archive: dist/kubectl-sidecars-<version>.tar.gz, and fills plugin.yaml.

The archive holds three regular files:
  kubectl-sidecars           a Python zipapp (`#!/usr/bin/env python3`) with the package and its runtime
                             dependencies, all pure Python, so one archive serves every platform krew lists;
                             it starts with hack/zipapp/__main__.py and kubectl_sidecars_bundle.py;
  kubectl_complete-sidecars  the shell completion entry point kubectl 1.26+ looks for on PATH
                             (hack/zipapp/kubectl_complete_sidecars.py);
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
import ast
import configparser
import gzip
import hashlib
import importlib.util
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
# What runs on the user's machine before the plugin: real modules, written into the archive as they are,
# but for the boot module's BUNDLE_ID line.
ZIPAPP_SOURCES = REPO / "hack" / "zipapp"
BOOT = "kubectl_sidecars_bundle.py"
COMPLETER = "kubectl_complete_sidecars.py"
BUNDLE_ID_SHAPE = re.compile(r"[0-9A-Za-z][0-9A-Za-z.+_-]*")

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


def zipapp_starters():
    """The starters the boot module names (the zip entries it never extracts), which hack/zipapp/ holds."""
    spec = importlib.util.spec_from_file_location(BOOT[:-len(".py")], ZIPAPP_SOURCES / BOOT)
    boot = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(boot)
    if BOOT not in boot.STARTERS:
        raise DistError(f"{BOOT} does not name itself among its STARTERS {boot.STARTERS}")
    return boot.STARTERS


def assigned_names(statement) -> list:
    targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
    return [node.id for target in targets for node in ast.walk(target) if isinstance(node, ast.Name)]


def with_bundle_id(source: str, identifier: str) -> str:
    """The boot module's source with its BUNDLE_ID line naming identifier. The module must assign BUNDLE_ID
    once, at top level, a string on a line of its own (`BUNDLE_ID = "..."`): any other shape is refused
    rather than guessed at."""
    if not BUNDLE_ID_SHAPE.fullmatch(identifier):
        raise DistError(f"bundle id {identifier!r} is not a folder name made of [0-9A-Za-z.+_-]")
    assignments = (ast.Assign, ast.AnnAssign, ast.AugAssign)
    statements = [node for node in ast.parse(source).body
                  if isinstance(node, assignments) and "BUNDLE_ID" in assigned_names(node)]
    if len(statements) != 1:
        raise DistError(f"{BOOT} assigns BUNDLE_ID at top level {len(statements)} times, not once")
    [statement] = statements
    lines = source.splitlines(keepends=True)
    if not (isinstance(statement, ast.Assign) and statement.lineno == statement.end_lineno
            and isinstance(statement.value, ast.Constant) and isinstance(statement.value.value, str)
            and lines[statement.lineno - 1].startswith("BUNDLE_ID = ")):
        raise DistError(f"{BOOT} line {statement.lineno}: BUNDLE_ID must be assigned as `BUNDLE_ID = \"...\"`")
    lines[statement.lineno - 1] = f'BUNDLE_ID = "{identifier}"\n'
    return "".join(lines)


def write_zipapp(lib: Path, target: Path, version: str) -> None:
    entries = {name: (ZIPAPP_SOURCES / name).read_bytes() for name in zipapp_starters()}
    entries[BOOT] = with_bundle_id(entries[BOOT].decode("utf-8"), bundle_id(lib, version)).encode("utf-8")
    for path in lib.rglob("*"):
        if path.is_file():
            name = path.relative_to(lib).as_posix()
            if name in entries:
                raise DistError(f"a bundled library holds {name}, a name the zipapp's starters need")
            entries[name] = path.read_bytes()
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
            "kubectl_complete-sidecars": ((ZIPAPP_SOURCES / COMPLETER).read_bytes(), 0o755),
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
