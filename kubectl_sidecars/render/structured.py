"""-o json / -o yaml: the stable contract. Later features add keys, never rename them."""

import json

from kubectl_sidecars.model import ContainerView, PodView
from kubectl_sidecars.model.timeutil import format_time
from kubectl_sidecars.sanitize import CONTROL, escape_json, escape_yaml

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


def status_document(diagnosis) -> dict:
    """Each pod with its findings; the Jobs owning them with their verdicts and Job-scope findings; notes
    on what could not be read or checked."""
    return {"apiVersion": API_VERSION, "kind": "SidecarStatus",
            "pods": [pod_dict(p, f) for p, f in diagnosis.pods],
            "jobs": [verdict_dict(v) for v in diagnosis.verdicts], "notes": list(diagnosis.notes)}


def verdict_dict(verdict) -> dict:
    return {"namespace": verdict.namespace, "name": verdict.name, "completions": verdict.completions,
            "active": verdict.active, "succeeded": verdict.succeeded, "failed": verdict.failed,
            "conditions": list(verdict.conditions), "done": verdict.done, "status": verdict.status,
            "reason": verdict.reason, "findings": [f.to_dict() for f in verdict.findings]}


def diagnosis_document(diagnosis) -> dict:
    return {
        "apiVersion": API_VERSION, "kind": "SidecarDiagnosis",
        "jobs": [verdict_dict(v) for v in diagnosis.verdicts],
        "pods": [{"namespace": pod.namespace, "name": pod.name, "ready": pod.ready, "status": pod.status,
                  "findings": [f.to_dict() for f in findings], "unreadable": pod.unreadable}
                 for pod, findings in diagnosis.pods],
        "notes": list(diagnosis.notes),
    }


def dump(document: dict, output: str) -> str:
    """JSON or YAML with every character sanitize.CONTROL names escaped in the format's own way, so that no
    string from the cluster reaches a terminal raw; parsed back, the values are unchanged."""
    if output == "json":
        return escape_json(json.dumps(document, indent=2, ensure_ascii=False))
    import yaml

    # The pure-Python dumper even where libyaml exists: the two wrap long strings differently, and the krew
    # archive (pure Python only) must print what the pip install prints.
    class Dumper(yaml.SafeDumper):
        pass

    Dumper.add_representer(str, lambda dumper, text: dumper.represent_scalar(
        "tag:yaml.org,2002:str", text, style='"' if CONTROL.search(text) else None))
    return escape_yaml(yaml.dump(document, Dumper=Dumper, sort_keys=False, default_flow_style=False,
                                 allow_unicode=True)).rstrip()
