"""One hostile object never hides the others: a pod that fails the typed boundary (or that a view cannot
be built from) is shown as unreadable with the reason, and every other pod is viewed and judged."""

import json

import pytest

from kubectl_sidecars.engine import Diagnosis, judge
from kubectl_sidecars.files import FileSource
from kubectl_sidecars.model.shape import problem, title
from kubectl_sidecars.pipeline import gather
from kubectl_sidecars.render.report import render_report
from kubectl_sidecars.render.structured import diagnosis_document, dump, status_document
from kubectl_sidecars.render.tables import pods_table
from kubectl_sidecars.selection import Selection
from tests.factory import container, job_pod, pod, running, terminated


def healthy():
    return pod("web-1", containers=[container("web")], statuses=[running("web")])


def hostile():
    """What the API server would never store, as a live source could still hand it over."""
    bad = pod("bad-1", containers=[container("web")], statuses=[running("web")])
    bad["spec"]["containers"][0]["ports"] = "8080"
    return bad


def test_problem_names_the_field_path():
    found = problem(hostile())
    assert str(found) == "spec.containers[0].ports: expected a list, got a string"
    assert title(hostile()) == "Pod default/bad-1"
    assert problem(healthy()) is None


def test_status_shows_the_hostile_pod_as_unreadable_and_the_others_as_usual():
    snapshot, _ = gather(FileSource([hostile(), healthy()]), Selection(None))
    views = {v.name: v for v in snapshot.pods}
    assert views["web-1"].unreadable is None and views["web-1"].status == "Running"
    assert views["bad-1"].status == "Unreadable" and views["bad-1"].containers == []
    assert views["bad-1"].unreadable == "spec.containers[0].ports: expected a list, got a string"
    assert snapshot.notes == ["Pod default/bad-1 could not be read, so it was not checked: "
                              "spec.containers[0].ports: expected a list, got a string"]
    rows = [(v, []) for v in snapshot.pods]
    table = pods_table(rows, snapshot.now, False, False, False)
    assert "bad-1" in table and "Unreadable" in table and "web-1" in table
    document = json.loads(dump(status_document(Diagnosis([], rows, snapshot.notes)), "json"))
    assert [p["unreadable"] for p in document["pods"]] == [views["bad-1"].unreadable, None]
    assert document["notes"] == snapshot.notes


def test_a_view_that_cannot_be_built_is_isolated(monkeypatch):
    import kubectl_sidecars.pipeline as pipeline

    def explode(raw):
        if raw["metadata"]["name"] == "bad-1":
            raise TypeError("unexpected")
        return real(raw)

    real = pipeline.build_pod_view
    monkeypatch.setattr(pipeline, "build_pod_view", explode)
    monkeypatch.delenv("KUBECTL_SIDECARS_DEBUG", raising=False)
    good_twin = healthy()
    good_twin["metadata"]["name"] = "bad-1"
    snapshot, _ = gather(FileSource([good_twin, healthy()]), Selection(None))
    assert [(v.name, v.unreadable) for v in snapshot.pods] == [("bad-1", "could not be viewed (TypeError)"),
                                                                ("web-1", None)]
    monkeypatch.setenv("KUBECTL_SIDECARS_DEBUG", "1")
    with pytest.raises(TypeError):
        gather(FileSource([good_twin]), Selection(None))


def test_diagnose_judges_the_others_and_says_the_hostile_pod_was_not_checked():
    stuck = job_pod("export", containers=[container("main"), container("cloud-sql-proxy")],
                    statuses=[terminated("main", 0), running("cloud-sql-proxy")], phase="Running")
    snapshot, _ = gather(FileSource([hostile(), stuck]), Selection(None))
    diagnosis = judge(snapshot, strict=True)
    found = {p.name: [f.code for f in fs] for p, fs in diagnosis.pods}
    assert found[stuck["metadata"]["name"]] and found["bad-1"] == []
    report = render_report(diagnosis, snapshot.now, False)
    assert "Not checked: the pod could not be read (spec.containers[0].ports: expected a list" in report
    document = json.loads(dump(diagnosis_document(diagnosis), "json"))
    assert {p["name"]: p["unreadable"] for p in document["pods"]}["bad-1"].startswith("spec.containers[0]")


def test_jobs_events_and_nodes_that_fail_the_boundary_are_left_out_with_one_note():
    # a sidecar, so that its Events are read
    stuck = job_pod("export", containers=[container("main"), container("cloud-sql-proxy")],
                    statuses=[running("main"), running("cloud-sql-proxy")], phase="Running")
    bad_events = [{"kind": "Event", "metadata": {"name": f"e{i}", "namespace": "default"},
                   "involvedObject": "Pod/x", "reason": "Killing"} for i in range(3)]
    snapshot, _ = gather(FileSource([stuck] + bad_events), Selection(None))
    assert snapshot.events == []
    assert snapshot.notes == ["3 object(s) could not be read and were left out (the first: Event default/e0: "
                              "involvedObject: expected an object, got a string)"]


def test_input_files_are_checked_once_where_they_are_loaded(tmp_path, monkeypatch):
    import kubectl_sidecars.files as files
    import kubectl_sidecars.pipeline as pipeline

    checked = []

    def counting(obj):
        checked.append(obj["metadata"]["name"])
        return real(obj)

    real = files.problem
    monkeypatch.setattr(files, "problem", counting)
    monkeypatch.setattr(pipeline, "problem", counting)
    path = tmp_path / "pods.json"
    path.write_text(json.dumps({"kind": "List", "items": [healthy(), dict(healthy(), metadata={"name": "web-2"})]}))
    source = pipeline.open_source((str(path),), None, None, None, 500)
    pipeline.gather(source, Selection(None))
    assert sorted(checked) == ["web-1", "web-2"]
