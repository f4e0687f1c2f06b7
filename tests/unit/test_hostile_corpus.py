"""The hostile corpus: inputs that have ended in an internal error or a hang, each run through the real
executable (`python -m kubectl_sidecars`, a process of its own) and through every command in this process.

A hang is bounded by the subprocess timeout, generous on purpose: it is a bound, not a measurement.
"""

import os
import stat
import subprocess
import sys

import pytest

from tests.unit.hostile import ROOT, check_outcome, check_result, corpus, run_cli

BOUND = 120  # seconds; a run still going by then hangs (or is quadratic) and fails the test
CORPUS = corpus()


def run_process(args, **options):
    """The executable as a shell starts it, without a cluster; stdin closed unless given."""
    environment = dict(os.environ, NO_COLOR="1", KUBECONFIG=os.devnull)
    environment.pop("KUBECTL_SIDECARS_DEBUG", None)
    options.setdefault("stdin", subprocess.DEVNULL)
    result = subprocess.run([sys.executable, "-m", "kubectl_sidecars", *args], capture_output=True, cwd=ROOT,
                            env=environment, timeout=BOUND, **options)
    return result.returncode, result.stdout.decode("utf-8", "replace"), result.stderr.decode("utf-8", "replace")


@pytest.fixture(scope="module", params=CORPUS, ids=[entry[0] for entry in CORPUS])
def hostile_file(request, tmp_path_factory):
    name, content, extension, valid = request.param
    path = tmp_path_factory.mktemp("corpus") / f"input.{extension}"
    path.write_bytes(content)
    return name, str(path), valid


def test_the_executable_ends_with_a_documented_code_and_one_line(hostile_file):
    name, path, valid = hostile_file
    code, stdout, stderr = run_process(["status", "-f", path, "-o", "json"])
    check_outcome(code, stdout, stderr, "json", describe=name)
    assert code == 0 or not valid, stderr


def test_the_same_file_on_stdin(hostile_file):
    name, path, valid = hostile_file
    with open(path, "rb") as handle:
        code, stdout, stderr = run_process(["diagnose", "-f", "-", "-o", "yaml"], stdin=handle)
    check_outcome(code, stdout, stderr, "yaml", describe=name)
    assert code == 0 or not valid, stderr


@pytest.mark.parametrize("args,output", [
    (["status"], "table"), (["status", "-o", "wide"], "wide"), (["status", "--containers"], "table"),
    (["status", "-o", "yaml"], "yaml"), (["diagnose", "-A"], "table"), (["diagnose", "-o", "json"], "json")])
def test_every_command_in_process(hostile_file, args, output):
    name, path, valid = hostile_file
    result = run_cli([*args, "-f", path])
    check_result(result, output, describe=name)
    assert result.exit_code == 0 or not valid, result.stderr


def test_closed_stdin_is_an_input_error():
    """`-f -` when the process started with no standard input at all (fd 0 closed, `<&-`)."""
    code, stdout, stderr = run_process(["status", "-f", "-"], preexec_fn=lambda: os.close(0))
    check_outcome(code, stdout, stderr, describe="closed stdin")
    assert code == 4


def test_stdin_that_is_empty_is_no_pods():
    code, stdout, stderr = run_process(["status", "-f", "-", "-o", "json"])
    check_outcome(code, stdout, stderr, "json", describe="empty stdin")


def test_a_folder_that_cannot_be_listed(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    (folder / "pods.json").write_text('{"kind": "Pod", "metadata": {"name": "web"}}')
    folder.chmod(0)
    try:
        if os.access(folder, os.R_OK):
            pytest.skip("this user reads a folder whatever its mode (root)")
        code, stdout, stderr = run_process(["status", "-f", str(folder)])
    finally:
        folder.chmod(stat.S_IRWXU)
    check_outcome(code, stdout, stderr, describe="unreadable folder")
    assert code == 4


def test_a_folder_whose_entries_cannot_be_read(tmp_path):
    """What root cannot read either: an entry named like input that is a folder, a link to nowhere."""
    (tmp_path / "a.json").write_text('{"kind": "Pod", "metadata": {"name": "web"}}')
    (tmp_path / "b.json").mkdir()
    (tmp_path / "c.yaml").symlink_to(tmp_path / "missing.yaml")
    for entry in ("b.json", "c.yaml"):
        code, stdout, stderr = run_process(["status", "-f", str(tmp_path / entry)])
        check_outcome(code, stdout, stderr, describe=entry)
        assert code == 4
    code, stdout, stderr = run_process(["status", "-f", str(tmp_path)])
    check_outcome(code, stdout, stderr, describe="folder")
    assert code == 4
