"""-o json / -o yaml: the stable contract. Later features add keys, never rename them."""

from typing import Callable, Iterable, List, Optional

from kubectl_sidecars.model import ContainerView, PodView
from kubectl_sidecars.model.timeutil import format_time
from kubectl_sidecars.render.jsontext import json_text
from kubectl_sidecars.render.spool import Spool
from kubectl_sidecars.sanitize import escape_yaml

API_VERSION = "kubectl-sidecars/v1"


def container_dict(container: ContainerView) -> dict:
    return {
        "name": container.name, "type": container.type, "index": container.index, "image": container.image,
        "state": container.state, "reason": container.reason, "exitCode": container.exit_code,
        "started": container.started, "ready": container.ready, "restarts": container.restarts,
        "startedAt": format_time(container.started_at), "finishedAt": format_time(container.finished_at),
        "probes": container.probes, "evidence": container.evidence,
    }


def pod_dict(pod: PodView, findings) -> dict:
    return {
        "namespace": pod.namespace, "name": pod.name, "owner": pod.owner, "phase": pod.phase,
        "ready": pod.ready, "status": pod.status, "restarts": pod.restarts, "node": pod.node,
        "containers": [container_dict(c) for c in pod.containers],
        "findings": [f.to_dict() for f in findings],
        "unreadable": pod.unreadable,
    }


def verdict_dict(verdict) -> dict:
    return {"namespace": verdict.namespace, "name": verdict.name, "completions": verdict.completions,
            "active": verdict.active, "succeeded": verdict.succeeded, "failed": verdict.failed,
            "conditions": list(verdict.conditions), "done": verdict.done, "status": verdict.status,
            "reason": verdict.reason, "findings": [f.to_dict() for f in verdict.findings]}


def diagnosis_pod_dict(pod: PodView, findings) -> dict:
    return {"namespace": pod.namespace, "name": pod.name, "ready": pod.ready, "status": pod.status,
            "findings": [f.to_dict() for f in findings], "unreadable": pod.unreadable}


STATUS_HEAD = {"apiVersion": API_VERSION, "kind": "SidecarStatus"}
DIAGNOSIS_HEAD = {"apiVersion": API_VERSION, "kind": "SidecarDiagnosis"}


def status_document(diagnosis) -> dict:
    """Each pod with its findings; the Jobs owning them with their verdicts and Job-scope findings; notes
    on what could not be read or checked."""
    return {**STATUS_HEAD, "pods": [pod_dict(p, f) for p, f in diagnosis.pods],
            "jobs": [verdict_dict(v) for v in diagnosis.verdicts], "notes": list(diagnosis.notes)}


def diagnosis_document(diagnosis) -> dict:
    return {**DIAGNOSIS_HEAD, "jobs": [verdict_dict(v) for v in diagnosis.verdicts],
            "pods": [diagnosis_pod_dict(p, f) for p, f in diagnosis.pods], "notes": list(diagnosis.notes)}


def write_status(output: str, write: Callable[[str], object], rows: Iterable, verdicts: Callable[[], list],
                 notes: List[str]) -> None:
    """status_document(), written as pods come: each pod is printed, then let go."""
    writer = DocumentWriter(output, write)
    for key, value in STATUS_HEAD.items():
        writer.field(key, value)
    writer.open_list("pods")
    for pod, findings in rows:
        writer.item(pod_dict(pod, findings))
    writer.close_list()
    writer.field("jobs", [verdict_dict(v) for v in verdicts()])
    writer.field("notes", list(notes))
    writer.close()


def write_diagnosis(output: str, write: Callable[[str], object], rows: Iterable, verdicts: Callable[[], list],
                    notes: List[str]) -> None:
    """diagnosis_document(), written as pods come: the Jobs come first but are judged last, so the pods'
    part waits in a spool."""
    pods = Spool()
    part = DocumentWriter(output, pods.write, fields_before=len(DIAGNOSIS_HEAD) + 1)
    part.open_list("pods")
    for pod, findings in rows:
        part.item(diagnosis_pod_dict(pod, findings))
    part.close_list()
    part.flush()
    writer = DocumentWriter(output, write)
    for key, value in DIAGNOSIS_HEAD.items():
        writer.field(key, value)
    writer.field("jobs", [verdict_dict(v) for v in verdicts()])
    writer.written_apart(pods)
    writer.field("notes", list(notes))
    writer.close()


def dump(document: dict, output: str) -> str:
    """JSON or YAML with every character sanitize.CONTROL names escaped in the format's own way, so that no
    string from the cluster reaches a terminal raw; parsed back, the values are unchanged."""
    if output == "json":
        return json_text(document)
    from kubectl_sidecars.render.yamltext import document as yaml_document

    return escape_yaml(yaml_document(document)).rstrip()


class DocumentWriter:
    """A document written as it is made: top-level fields one by one, and the items of one list field one by
    one as they come, in the very bytes dump() gives for the whole document (then a line break). Each piece
    is held until the next one comes, so that the last can be trimmed as dump() trims the whole."""

    def __init__(self, output: str, write: Callable[[str], object], fields_before: int = 0):
        self.output, self.write = output, write
        self.fields = fields_before  # fields already written (elsewhere, when this writes a part of a document)
        self.items: Optional[int] = None  # items of the open list, if one is open
        self._held = ""

    def _emit(self, text: str) -> None:
        if self._held:
            self.write(self._held)
        self._held = text

    def _key(self, key: str) -> str:
        """JSON: what comes before a field's value."""
        opening = "{" if self.fields == 0 else ","
        self.fields += 1
        return f"{opening}\n  {json_text(key)}: "

    def field(self, key: str, value) -> None:
        if self.output == "json":
            self._emit(self._key(key) + json_text(value, "  "))
        else:
            from kubectl_sidecars.render.yamltext import document as yaml_document

            self._emit(escape_yaml(yaml_document({key: value})))

    def open_list(self, key: str) -> None:
        self.items, self._list_key = 0, key
        if self.output == "json":
            self._emit(self._key(key))

    def item(self, value) -> None:
        first = self.items == 0
        self.items += 1
        if self.output == "json":
            self._emit(("[\n    " if first else ",\n    ") + json_text(value, "    "))
        else:
            from kubectl_sidecars.render.yamltext import sequence_item

            self._emit((f"{self._list_key}:\n" if first else "") + escape_yaml(sequence_item(value)))

    def close_list(self) -> None:
        if self.output == "json":
            self._emit("[]" if self.items == 0 else "\n  ]")
        elif self.items == 0:
            self._emit(escape_yaml(f"{self._list_key}: []\n"))
        self.items = None

    def flush(self) -> None:
        """Writes what is held, as it is (the end of a part of a document written apart)."""
        self._emit("")

    def written_apart(self, part: Spool) -> None:
        """The next field, written apart (by a writer made with fields_before=this one's fields) and kept
        in `part`."""
        self.flush()
        part.replay(self.write)
        self.fields += 1

    def close(self) -> None:
        """The end of the document, as dump() and a line break end it."""
        held, self._held = self._held, ""
        if self.output == "json":
            self.write(held + ("\n}" if self.fields else "{}") + "\n")
        else:
            self.write(held.rstrip() + "\n")
