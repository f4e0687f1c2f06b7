"""What `lint` prints: a table (one row per finding), the stable `SidecarLint` document for -o json|yaml
(findings in diagnose's shape), and SARIF 2.1.0 for code scanning. Tables go through style.table's
sanitiser; the documents through structured.dump."""

from typing import List, Optional
from urllib.parse import quote

from kubectl_sidecars import __version__
from kubectl_sidecars.lint import LintedObject, LintResult
from kubectl_sidecars.render.structured import API_VERSION
from kubectl_sidecars.render.style import painted, table
from kubectl_sidecars.rules import CATALOG

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_LEVELS = {"error": "error", "warning": "warning", "info": "note"}


def kube_version_text(result: LintResult) -> Optional[str]:
    return "{}.{}".format(*result.kube_version) if result.kube_version else None


def object_name(linted: LintedObject) -> str:
    """`Job db-migrate`, `Deployment team-a/web`, with `(helm hook pre-install)` for a hook."""
    name = f"{linted.namespace}/{linted.name}" if linted.namespace else linted.name
    return f"{linted.kind} {name}" + (f" (helm hook {linted.hook})" if linted.hook else "")


def source_text(linted: LintedObject) -> str:
    if linted.source is None:
        return "-"
    return f"{linted.source}:{linted.line}" if linted.line else linted.source


def lint_table(result: LintResult, colour: bool) -> str:
    rows = [[object_name(o), f.container or "-", f.code, painted(f.severity, f.severity, colour), source_text(o)]
            for o in result.objects for f in o.findings]
    return table(["OBJECT", "CONTAINER", "FINDING", "SEVERITY", "SOURCE"], rows)


def lint_document(result: LintResult) -> dict:
    return {"apiVersion": API_VERSION, "kind": "SidecarLint", "kubeVersion": kube_version_text(result),
            "objects": [{"kind": o.kind, "namespace": o.namespace, "name": o.name, "source": o.source,
                         "line": o.line, "helmHook": o.hook, "findings": [f.to_dict() for f in o.findings]}
                        for o in result.objects],
            "notes": list(result.notes)}


def _location(linted: LintedObject) -> dict:
    logical = {"name": linted.name, "kind": "resource",
               "fullyQualifiedName": "/".join(p for p in (linted.kind, linted.namespace, linted.name) if p)}
    location: dict = {"logicalLocations": [logical]}
    if linted.source is not None:
        physical: dict = {"artifactLocation": {"uri": quote(linted.source.replace("\\", "/"))}}
        if linted.line:
            physical["region"] = {"startLine": linted.line}
        location["physicalLocation"] = physical
    return location


def sarif_document(result: LintResult) -> dict:
    """SARIF 2.1.0: one run, the catalog as the driver's rules, one result per finding located at the file
    (or chart file) the object was written in."""
    codes = list(CATALOG)
    rules = [{"id": r.code, "shortDescription": {"text": r.title}, "fullDescription": {"text": r.explanation},
              "help": {"text": r.remedy}, "defaultConfiguration": {"level": SARIF_LEVELS[r.severity]}}
             for r in CATALOG.values()]
    results: List[dict] = []
    for linted in result.objects:
        for finding in linted.findings:
            results.append({
                "ruleId": finding.code, "ruleIndex": codes.index(finding.code),
                "level": SARIF_LEVELS[finding.severity],
                "message": {"text": f"{object_name(linted)}: {finding.message} Fix: {finding.remedy}"},
                "locations": [_location(linted)],
                "properties": {"container": finding.container,
                               "patches": [p.to_dict() for p in finding.patches]},
            })
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0",
            "runs": [{"tool": {"driver": {"name": "kubectl-sidecars", "version": __version__, "rules": rules}},
                      "results": results}]}
