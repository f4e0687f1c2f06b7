"""render_report(): the human report of `kubectl sidecars diagnose`."""

from kubectl_sidecars.engine import judge
from kubectl_sidecars.render.report import render_report
from tests.factory import (
    at,
    container,
    cronjob_legacy_race,
    job,
    job_owner,
    logshipper,
    pi_native,
    pod,
    replicaset_owner,
    running,
    terminated,
)
from tests.unit.judging import snapshot


def _report(*pods, jobs=(), color=False, notes=(), now=600):
    snap = snapshot(*pods, jobs=jobs, now=now)
    snap.notes.extend(notes)
    return render_report(judge(snap, strict=True), at(now), color)


def test_job_verdict_comes_first_then_pods_and_findings():
    p = cronjob_legacy_race()
    j = job("sidecar-cronjob-29000000", template=p, active=1)
    text = _report(p, jobs=[j], now=120)  # past the grace period: the error, not the early warning
    lines = text.splitlines()
    assert lines[0].startswith("Job default/sidecar-cronjob-29000000") and "Running" in lines[0]
    assert "COMPLETIONS 0/1   ACTIVE 1   SUCCEEDED 0   FAILED 0   CONDITIONS <none>" in lines[1]
    assert "neither retry nor finish" in " ".join(text.split())
    assert text.index("Job default/") < text.index("Pod default/sidecar-cronjob-29000000-abcde")
    assert "READY 1/2   STATUS Error" in text
    for part in ("ERROR    job-blocked-by-legacy-sidecar   container slow-sidecar", "Seen:", "Means:", "Fix:",
                 "restartPolicy: Always", "ERROR    app-started-before-sidecar-ready   container sidecar-user"):
        assert part in text, part
    # the migrated YAML is shown once, then referred to
    assert text.count("$patch: delete") == 1
    assert "(the patch shown for job-blocked-by-legacy-sidecar above)" in text


def test_healthy_pod_and_complete_job():
    p = pi_native(143)
    j = job("pi-sidecar", template=p, succeeded=1, conditions=[("Complete", None, None)], completion=15)
    text = _report(p, jobs=[j])
    assert "The Job completed: 1 pod(s) succeeded in 15s." in text
    assert "the pod looks healthy" in text
    assert "ERROR" not in text and "WARNING" not in text
    plain = pod("web-1", owner=replicaset_owner("web-5d8f"), restart_policy="Always", phase=None,
                containers=[container("web", "nginx:1.27")],
                statuses=[running("web", since=3)])
    assert "No sidecar problems found: the pod looks healthy." in _report(plain)


def test_sigkilled_report_shows_the_times_and_the_fix():
    text = _report(logshipper())
    assert "WARNING  sidecar-sigkilled   container logshipper" in text
    flat = " ".join(text.split())  # prose is wrapped
    assert "exit 137 (Error)" in flat and "31s after the last app container (report)" in flat
    assert "trap" in text and "initContainers:" in text


def test_colour_only_when_asked():
    p = cronjob_legacy_race()
    assert "\x1b[" not in _report(p, now=9)
    coloured = _report(p, color=True, now=9)
    assert "\x1b[31m" in coloured and "\x1b[0m" in coloured


def test_strings_from_the_cluster_cannot_drive_the_terminal():
    evil = pod("evil\x1b[2J-pod", owner=job_owner("evil"), restart_policy="Never", phase=None,
               containers=[container("main\nFAKE LINE", "busybox:1.36"),
                           container("log\x1b]0;owned\x07-sidecar", "busybox:1.36")],
               statuses=[terminated("main\nFAKE LINE", 0, since=3, until=9),
                         running("log\x1b]0;owned\x07-sidecar", since=3)])
    text = _report(evil, jobs=[job("evil\x1b[1m", template=evil, active=1)])
    assert "\x1b" not in text and "\x07" not in text
    assert "evil\\x1b[2J-pod" in text
    assert "\nFAKE LINE" not in text


def test_notes_are_printed():
    text = _report(pi_native(), notes=["events could not be read, so the diagnosis goes without them (forbidden)"])
    assert "Note: events could not be read" in text


def test_nothing_to_diagnose():
    assert "No pods or Jobs to diagnose." in _report()


def test_json_keeps_the_cluster_s_strings_as_they_are_and_escapes_them_once():
    import json

    from kubectl_sidecars.render.structured import diagnosis_document, dump

    evil = pod("evil-pod", owner=job_owner("evil"), restart_policy="Never", phase=None,
               containers=[container("main", "busybox:1.36"), container("log\x1b[2J-sidecar", "busybox:1.36")],
               statuses=[terminated("main", 0, since=3, until=9), running("log\x1b[2J-sidecar", since=3)])
    text = dump(diagnosis_document(judge(snapshot(evil, now=600), strict=True)), "json")
    assert "\x1b" not in text and "\\x1b" not in text  # no raw escape, and no second, textual escaping
    findings = json.loads(text)["pods"][0]["findings"]
    blocked = next(f for f in findings if f["code"] == "job-blocked-by-legacy-sidecar")
    assert blocked["container"] == "log\x1b[2J-sidecar" and "log\x1b[2J-sidecar" in blocked["message"]
