"""Starts kubectl-sidecars from its zipapp (the archive holds this file under this name).

Importing a few hundred modules straight from a zip costs seconds on every run (zipimport cannot cache
bytecode), so the bundled libraries (everything in the zip but its starters) are extracted once to a
cache folder named after their hash ($KUBECTL_SIDECARS_CACHE, else $XDG_CACHE_HOME/kubectl-sidecars, else
~/.cache/kubectl-sidecars, then bundles/<id>), where Python keeps their bytecode. When that folder cannot
be written, they are imported from the zip itself.
Only the bundle and the standard library are importable: site-packages of the python3 that runs the
zipapp cannot change what the plugin runs.
Runs under Python 3.9, the oldest the plugin supports.
"""

import os
import sys

# The folder the libraries are extracted to, unique to their contents: hack/dist.py writes the version
# and a hash of the libraries into this line when it builds the archive.
BUNDLE_ID = "unbuilt"
# The zip entries that start the plugin (hack/dist.py takes them from hack/zipapp/): never extracted.
STARTERS = ("__main__.py", "kubectl_sidecars_bundle.py")
COMPLETE_PREFIX = "kubectl_complete-"
COMPLETE_MARKER = ".complete"


def cache_root():
    """Where every extracted bundle goes: the plugin's cache folder (see the module docstring)."""
    root = os.environ.get("KUBECTL_SIDECARS_CACHE")
    if not root:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        root = os.path.join(base, "kubectl-sidecars")
    return os.path.join(root, "bundles")


def entry_point(program):
    """'complete' when started as kubectl's completion executable (by its name, or a symlink's), else 'cli'."""
    return "complete" if os.path.basename(program).startswith(COMPLETE_PREFIX) else "cli"


def extract(archive, parent, bundle_id):
    """The folder parent/bundle_id holding the libraries of archive, extracted now unless a complete copy is
    there already; None when it cannot be made. Concurrent runs each extract to a staging folder and the
    first rename wins, so a reader never sees a half-written folder."""
    import shutil
    import tempfile
    import zipfile

    target = os.path.join(parent, bundle_id)
    marker = os.path.join(target, COMPLETE_MARKER)
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
            open(os.path.join(staging, COMPLETE_MARKER), "w").close()
            if os.path.isdir(target) and not os.path.isfile(marker):  # left incomplete: replace it
                shutil.rmtree(target, ignore_errors=True)
            try:
                os.rename(staging, target)
            except OSError:
                if not os.path.isfile(marker):  # another run did not win the race either
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        prune(parent, bundle_id)
        return target
    except Exception:
        return None


def prune(parent, keep):
    """Removes what older versions extracted (each new version extracts once); the staging folders of runs
    extracting now (their names start with a dot) are left to them."""
    import shutil

    for name in os.listdir(parent):
        if name != keep and not name.startswith("."):
            shutil.rmtree(os.path.join(parent, name), ignore_errors=True)


def isolated_path(path, lib, archive):
    """path with lib first, and without site-packages (the system's and the user's), the archive, lib's
    other spellings or the empty entry (the working directory)."""
    import site

    skip = set()
    for getter in ("getsitepackages", "getusersitepackages"):
        try:
            found = getattr(site, getter)()
        except Exception:  # a virtualenv's older site module lacks them
            continue
        skip.update([found] if isinstance(found, str) else found)
    skip = set(os.path.normcase(os.path.abspath(p)) for p in skip)
    skip.add(os.path.normcase(os.path.abspath(archive)))
    skip.add(os.path.normcase(os.path.abspath(lib)))
    return [lib] + [p for p in path if p and os.path.normcase(os.path.abspath(p)) not in skip]


def stop_on_interrupt(entry):
    """Until kubectl_sidecars.entry takes over: Ctrl-C while the libraries are extracted or imported is
    what it is later (one line, or none for completion, and exit 130), never a traceback."""
    import signal

    message = b"" if entry == "complete" else b"error: interrupted\n"

    def interrupted(signum, frame):
        try:
            os.write(2, message)
        except OSError:
            pass
        os._exit(130)

    signal.signal(signal.SIGINT, interrupted)


def run(entry=None):
    """Starts the plugin: entry is 'cli' or 'complete', by default chosen from the program's name."""
    archive = os.path.dirname(os.path.abspath(__file__))
    if entry is None:
        entry = entry_point(sys.argv[0])
    stop_on_interrupt(entry)
    lib = extract(archive, cache_root(), BUNDLE_ID)
    if lib is None:
        lib = archive  # zipimport: slower, but needs no writable folder
    else:
        # The extracted copy is this program's own cache: keep bytecode there even under
        # PYTHONDONTWRITEBYTECODE, or every run would compile the Kubernetes client again.
        sys.dont_write_bytecode = False
    sys.path[:] = isolated_path(sys.path, lib, archive)
    if entry == "complete":
        from kubectl_sidecars.entry import complete as main
    else:
        from kubectl_sidecars.entry import main
    main()
