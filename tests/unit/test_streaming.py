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


@pytest.mark.parametrize("output", ["json", "yaml"])
def test_documents_written_piece_by_piece_are_the_documents_dumped_whole(output):
    """write_status/write_diagnosis against dump() of the whole document, on every example and real case."""
    from kubectl_sidecars.engine import judge
    from kubectl_sidecars.files import FileSource, load_objects
    from kubectl_sidecars.render.structured import (
        diagnosis_document,
        dump,
        status_document,
        write_diagnosis,
        write_status,
    )
    from kubectl_sidecars.selection import Selection

    snapshot, _ = pipeline.gather(FileSource(load_objects(INPUTS[1::2]), checked_at_load=True), Selection(None))
    diagnosis = judge(snapshot)
    assert diagnosis.verdicts and any(patches for _, found in diagnosis.pods for f in found
                                      for patches in [f.patches])
    for write, document in ((write_status, status_document), (write_diagnosis, diagnosis_document)):
        pieces = []
        write(output, pieces.append, diagnosis.pods, lambda: diagnosis.verdicts, diagnosis.notes)
        if write is write_status:  # a piece per pod (the diagnosis's pods come through its spool)
            assert len(pieces) > len(diagnosis.pods)
        assert "".join(pieces) == dump(document(diagnosis), output) + "\n"
        assert "&id0" not in "".join(pieces)  # a tree: patches share nothing with pods or with each other
