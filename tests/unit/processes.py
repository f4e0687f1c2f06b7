"""Running the plugin as a user's shell would: interrupted at a known moment, or writing into a pipe whose
reader has left."""

import os
import signal
import subprocess
import time

# the generous bound a child gets to reach the moment a test waits for; never an assertion on speed
PATIENCE = 120

# Installed with PYTHONPATH: makes the child stop inside `import NAME` until a signal ends it, so a test
# can interrupt it at a known moment of its start-up.
STALL = """
import os, sys, time

class Stall:
    def find_spec(self, name, path=None, target=None):
        if name == os.environ["STALL_ON_IMPORT"]:
            open(os.environ["STALL_MARKER"], "w").close()
            time.sleep(600)
        return None

sys.meta_path.insert(0, Stall())
"""




def stalled(command, module, folder, env):
    """A child started with command and env, stopped while importing module; folder holds the hook."""
    (folder / "sitecustomize.py").write_text(STALL)
    marker = folder / "stalled"
    env = dict(env, STALL_ON_IMPORT=module, STALL_MARKER=str(marker),
               PYTHONPATH=os.pathsep.join(filter(None, [str(folder), env.get("PYTHONPATH")])))
    child = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
    deadline = time.monotonic() + PATIENCE
    while not marker.exists():
        if child.poll() is not None or time.monotonic() > deadline:
            child.kill()
            raise AssertionError(f"the child never got to import {module}: {child.communicate()}")
        time.sleep(0.05)
    return child


def interrupt(child):
    """Ctrl-C: (exit code, stdout, stderr)."""
    child.send_signal(signal.SIGINT)
    stdout, stderr = child.communicate(timeout=PATIENCE)
    return child.returncode, stdout.decode(), stderr.decode()


def without_reader(command, env, stream="stdout"):
    """Runs with stdout (or stderr) a pipe whose reader has already left, so that every write to it fails:
    (exit code, what the other stream got)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    with open(write_end, "wb") as gone:
        streams = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, stream: gone}
        result = subprocess.run(command, env=env, stdin=subprocess.DEVNULL, timeout=PATIENCE, **streams)
    return result.returncode, (result.stderr if stream == "stdout" else result.stdout).decode()
