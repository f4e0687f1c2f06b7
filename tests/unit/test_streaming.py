"""A selection too large to hold is judged and printed as it is read; what is printed is the same as when the
pods are read whole first. Here every example and real case is read through the CLI both ways (streamed from
the first pod, and whole)."""

import glob
import os

import pytest
from click.testing import CliRunner

from kubectl_sidecars import pipeline
from kubectl_sidecars.cli import main

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir))
REALCASES = sorted(p for p in glob.glob(os.path.join(ROOT, "tests", "fixtures", "realcases", "*.json"))
                   if not p.endswith(".expected.json"))
INPUTS = ["-f", os.path.join(ROOT, "examples")] + [arg for path in REALCASES for arg in ("-f", path)]
COMMANDS = [
    ["status", "-A"], ["status", "-A", "-o", "wide"], ["status", "-A", "--containers"],
    ["status", "-A", "-o", "json"], ["status", "-A", "-o", "yaml"],
    ["diagnose", "-A"], ["diagnose", "-A", "-o", "json"], ["diagnose", "-A", "-o", "yaml"],
    ["diagnose", "-A", "--fail-on", "warning"], ["status", "-n", "default", "-o", "json"],
]


def run(args, monkeypatch, stream_after):
    with monkeypatch.context() as patched:
        patched.setattr(pipeline, "STREAM_AFTER", stream_after)
        patched.setenv("NO_COLOR", "1")
        result = CliRunner().invoke(main, args + INPUTS)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_streamed_output_is_what_a_whole_read_prints(args, monkeypatch):
    whole = run(args, monkeypatch, pipeline.STREAM_AFTER)
    streamed = run(args, monkeypatch, 0)

    assert whole[0] in (0, 1) and whole[1].count("\n") > 10, whole
    assert streamed == whole


def test_the_inputs_are_more_than_one_pod_and_streaming_is_reached(monkeypatch):
    """The comparison above means something only if the streamed path really ran."""
    from kubectl_sidecars.files import FileSource, load_objects
    from kubectl_sidecars.selection import Selection

    objects = load_objects(INPUTS[1::2])
    snapshot, stream = pipeline.gather(FileSource(objects, checked_at_load=True), Selection(None), stream_after=0)
    assert snapshot.pods == [] and snapshot.targets == frozenset()
    assert len(list(stream)) == sum(o["kind"] == "Pod" for o in objects) > 10
