"""How the executables start and stop, in real processes: Ctrl-C at any moment is one line and exit 130,
a reader that goes away (`| head -1`) ends the run quietly with the code it had, and no locale or byte
that is not UTF-8 makes a write fail or reach the terminal raw."""

import configparser
import json
import os
import re
import signal
import subprocess
import sys

import pytest

from tests.factory import container, pod, pod_list, running
from tests.unit import processes
from tests.unit.processes import interrupt

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir))
FIXTURE = os.path.join(ROOT, "tests", "fixtures", "realcases", "01-legacy-slow-sidecar-app-crash-cronjob.json")
# a raw C0 control or DEL in the bytes out (the rest is checked after decoding)
RAW_C0 = re.compile(rb"[\x00-\x09\x0b-\x1f\x7f]")


def console_scripts():
    """setup.cfg's console scripts, each run the way pip's generated script runs it."""
    config = configparser.ConfigParser()
    config.read(os.path.join(ROOT, "setup.cfg"))
    scripts = {}
    for line in config.get("options.entry_points", "console_scripts").strip().splitlines():
        name, target = (part.strip() for part in line.split("="))
        module, function = target.split(":")
        scripts[name] = [sys.executable, "-c", f"import sys\nfrom {module} import {function}\nsys.exit({function}())"]
    return scripts


SCRIPTS = console_scripts()
PLUGIN = SCRIPTS["kubectl-sidecars"]
COMPLETION = SCRIPTS["kubectl_complete-sidecars"]
MODULE = [sys.executable, "-m", "kubectl_sidecars"]


def environment(**extra):
    env = dict(os.environ, NO_COLOR="1", KUBECONFIG=os.devnull, PYTHONPATH=ROOT)
    env.pop("KUBECTL_SIDECARS_DEBUG", None)
    env.update(extra)
    return env


def stalled(command, module, tmp_path, *args):
    return processes.stalled(command + list(args), module, tmp_path, environment())


def without_reader(command, *args, stream="stdout"):
    return processes.without_reader(command + list(args), environment(), stream)


# ---------------------------------------------------------------- Ctrl-C


@pytest.mark.parametrize("module", ["kubectl_sidecars.cli", "click", "yaml", "kubernetes"])
def test_interrupt_while_starting_is_one_line_and_130(tmp_path, module):
    # `status` against a kubeconfig reaches every import, the Kubernetes client's last
    child = stalled(PLUGIN, module, tmp_path, "status", "-n", "default")
    assert interrupt(child) == (130, "", "error: interrupted\n")


@pytest.mark.parametrize("command", [MODULE, PLUGIN], ids=["python -m", "console script"])
def test_every_way_in_stops_the_same(tmp_path, command):
    assert interrupt(stalled(command, "click", tmp_path, "--help")) == (130, "", "error: interrupted\n")


def test_interrupt_while_reading_a_slow_stdin(tmp_path):
    child = subprocess.Popen(PLUGIN + ["status", "-f", "-"], cwd=ROOT, env=environment(), stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # more than a pipe holds: when the write returns, the child is reading, and waits for the rest
    child.stdin.write(b'{"kind": "List", "items": [' + b" " * (4 << 20))
    child.stdin.flush()
    child.send_signal(signal.SIGINT)
    assert child.wait(timeout=processes.PATIENCE) == 130
    assert (child.stdout.read(), child.stderr.read()) == (b"", b"error: interrupted\n")
    child.stdin.close()


def test_interrupted_completion_is_silent(tmp_path):
    # kubectl shows the completer's stderr in the middle of the prompt: not a word there
    child = stalled(COMPLETION, "kubectl_sidecars.completion", tmp_path, "status", "")
    assert interrupt(child) == (130, "", "")


# ---------------------------------------------------------------- a reader that goes away


@pytest.mark.parametrize("args", [["--help"], ["status", "--help"], ["--version"], ["explain"],
                                  ["status", "-f", FIXTURE], ["status", "-f", FIXTURE, "-o", "json"],
                                  ["diagnose", "-f", FIXTURE]])
def test_closed_stdout_ends_quietly_with_0(args):
    assert without_reader(PLUGIN, *args) == (0, "")


def test_closed_stdout_keeps_the_runs_exit_code():
    # findings with --fail-on: still 1, the run's own code, not the pipe's
    assert without_reader(PLUGIN, "diagnose", "-f", FIXTURE, "--fail-on", "info") == (1, "")
    code, stderr = without_reader(PLUGIN, "status", "-f", os.path.join(ROOT, "missing.json"))
    assert code == 4 and stderr.startswith("error: cannot read ") and stderr.count("\n") == 1


def test_big_output_into_a_closed_pipe(tmp_path):
    pods = [pod(f"web-{index}", containers=[container("app")], statuses=[running("app")]) for index in range(3000)]
    path = tmp_path / "big.json"
    path.write_text(json.dumps(pod_list(*pods)), encoding="utf-8")
    assert without_reader(PLUGIN, "status", "-f", str(path)) == (0, "")


def test_closed_stderr_does_not_change_the_exit_code():
    code, stdout = without_reader(PLUGIN, "status", "-f", os.path.join(ROOT, "missing.json"), stream="stderr")
    assert (code, stdout) == (4, "")


def test_completion_into_a_closed_pipe():
    assert without_reader(COMPLETION, "status", "-o", "") == (0, "")


# ---------------------------------------------------------------- locales and bytes that are not UTF-8


def run_bytes(args, **env):
    return subprocess.run(PLUGIN + args, env=environment(**env), capture_output=True, timeout=processes.PATIENCE)


def assert_terminal_safe(data: bytes, encoding: str = "utf-8"):
    assert not RAW_C0.search(data), data
    text = data.decode(encoding)  # strict: a byte the terminal cannot read would fail here
    assert not re.search("[\x80-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069\U000e0000-\U000e007f]", text)


@pytest.mark.parametrize("env", [{"LC_ALL": "C"}, {"LC_ALL": "C", "PYTHONUTF8": "0"}, {"PYTHONIOENCODING": "ascii"},
                                 {"PYTHONIOENCODING": "latin-1"}, {"LC_ALL": "C.UTF-8"}],
                         ids=lambda env: ",".join(f"{k}={v}" for k, v in env.items()))
def test_no_locale_makes_a_write_fail(tmp_path, env):
    # click writes UTF-8 to a stdout that says ASCII, taking it for a misconfigured locale (click/_compat.py);
    # stderr keeps ASCII, with backslash escapes
    encoding = {"latin-1": "latin-1"}.get(env.get("PYTHONIOENCODING"), "utf-8")
    names = ["日本-ポッド", "café-\u202eevil", "tag\U000e0041", "c1-\x9b31m"]
    path = tmp_path / "pods.json"
    path.write_text(json.dumps(pod_list(*(pod(name, containers=[container("app")], statuses=[running("app")])
                                          for name in names))), encoding="utf-8")
    for output in ("table", "wide", "json", "yaml"):
        result = run_bytes(["status", "-f", str(path), "-o", output], **env)
        assert result.returncode == 0 and result.stderr == b"", (output, result.stderr)
        assert_terminal_safe(result.stdout, encoding)
    result = run_bytes(["diagnose", "-f", str(path)], **env)
    assert result.returncode == 0 and result.stderr == b"", result.stderr
    assert_terminal_safe(result.stdout, encoding)
    # a file name that is not UTF-8 reaches Python as lone surrogates (surrogateescape), and stderr as escapes
    result = run_bytes(["status", "-f", os.fsencode(str(tmp_path)) + b"/\xff\x1b[2J.json"], **env)
    assert result.returncode == 4 and result.stdout == b""
    assert_terminal_safe(result.stderr, env.get("PYTHONIOENCODING", "utf-8"))
    assert b"\\udcff\\x1b[2J.json" in result.stderr and result.stderr.count(b"\n") == 1


def test_json_of_a_name_that_was_not_utf8_stays_json(tmp_path):
    # a lone surrogate in the input (what a byte that was not UTF-8 becomes): the document out is still
    # strict UTF-8 JSON, holding an escape of what was read
    path = tmp_path / "pod.json"
    item = pod("web", containers=[container("app")], statuses=[running("app")])
    item["metadata"]["name"] = "web\udcff"
    path.write_text(json.dumps(pod_list(item)), encoding="utf-8")
    result = run_bytes(["status", "-f", str(path), "-o", "json"], LC_ALL="C")
    assert result.returncode == 0, result.stderr
    [entry] = json.loads(result.stdout.decode("utf-8"))["pods"]
    assert entry["name"] == "web\udcff"
