"""What `migrate` prints: the migrated objects (YAML documents or a JSON List), one strategic-merge patch per
object, or a unified diff against the input; and the summary and pre-flight list for stderr."""

import difflib
from typing import List

from kubectl_sidecars.lint import pod_template
from kubectl_sidecars.migrate import FLAGGED, MOVED, PERSON, REWRITTEN, SWITCHED, Migration, Plan
from kubectl_sidecars.render.structured import dump
from kubectl_sidecars.sanitize import clean

PATCH_ORDER = "$setElementOrder/"


def _comment(text: str) -> str:
    return "# " + clean(text).replace("\n", " ")


def _header(migration: Migration) -> List[str]:
    where = f" (from {migration.source})" if migration.source else ""
    return [_comment(f"{migration.title}{where}: migrated to native sidecars by kubectl sidecars migrate")] + [
        _comment(f"{step.what}: {step.text}") for step in migration.steps]


def objects_text(plan: Plan, output: str) -> str:
    """The migrated objects: YAML documents, each after comments saying what changed; or a JSON List."""
    changed = [m for m in plan.migrations if m.changed]
    if output == "json":
        return dump({"apiVersion": "v1", "kind": "List", "items": [m.after for m in changed]}, "json") + "\n"
    return "".join("---\n" + "\n".join(_header(m)) + "\n" + dump(m.after, "yaml") + "\n" for m in changed)


# --- --patch -------------------------------------------------------------------------------------------------

def _container_changes(before: dict, after: dict) -> dict:
    """The fields of one container that differ, None for a field that went (a strategic merge deletes it)."""
    change = {"name": after["name"]}
    for key in after:
        if after[key] != before.get(key):
            change[key] = after[key]
    for key in before:
        if key not in after:
            change[key] = None
    return change


def _list_patch(before: List[dict], after: List[dict], section: str, patch: dict) -> None:
    """A list merged by name: new and changed entries, deletions, and the order when it is not the old one."""
    old = {c.get("name"): c for c in before}
    new_names = [c.get("name") for c in after]
    entries = []
    for container in after:
        name = container.get("name")
        if name not in old:
            entries.append(container)
        elif container != old[name]:
            entries.append(_container_changes(old[name], container))
    entries += [{"name": name, "$patch": "delete"} for name in old if name not in new_names]
    if entries:
        patch[section] = entries
    if new_names != [name for name in old if name in new_names]:
        patch[PATCH_ORDER + section] = [{"name": name} for name in new_names]


def template_patch(before: dict, after: dict) -> dict:
    """The strategic-merge patch that turns one pod template into the other, for the changes a migration makes:
    annotations, and initContainers and containers merged by name (with $setElementOrder, so an inserted native
    sidecar lands where the plan put it rather than last)."""
    patch = {}
    old_annotations = (before.get("metadata") or {}).get("annotations") or {}
    new_annotations = (after.get("metadata") or {}).get("annotations") or {}
    changed = {k: v for k, v in new_annotations.items() if old_annotations.get(k) != v}
    if changed:
        patch["metadata"] = {"annotations": changed}
    spec = {}
    for section in ("initContainers", "containers"):
        _list_patch((before.get("spec") or {}).get(section) or [], (after.get("spec") or {}).get(section) or [],
                    section, spec)
    if spec:
        patch["spec"] = spec
    return patch


def object_patch(migration: Migration) -> dict:
    """The patch of the whole object: the template's, nested at the template's path."""
    patch = template_patch(pod_template(migration.before)[0], pod_template(migration.after)[0])
    for key in reversed(migration.path.split(".") if migration.path else []):
        patch = {key: patch}
    return patch


def patches_text(plan: Plan) -> str:
    """One strategic-merge patch per object, each after comments naming its object and how to apply it."""
    documents = []
    for migration in (m for m in plan.migrations if m.changed):
        namespace = f" -n {migration.namespace}" if migration.namespace else ""
        lines = _header(migration) + [_comment(f"kubectl patch {migration.kind.lower()} {migration.name}{namespace} "
                                               "--type strategic --patch-file THIS-DOCUMENT")]
        if migration.kind in ("Job", "Pod"):
            lines.append(_comment(f"a {migration.kind}'s pod spec cannot be changed once created: apply the "
                                  "patch to its manifest and create it again"))
        documents.append("---\n" + "\n".join(lines) + "\n" + dump(object_patch(migration), "yaml") + "\n")
    return "".join(documents)


# --- --diff --------------------------------------------------------------------------------------------------

def diff_text(plan: Plan) -> str:
    """A unified diff per object: the input (without status and server-set metadata) against the migration."""
    out = []
    for migration in (m for m in plan.migrations if m.changed):
        label = f"{migration.source or 'cluster'}: {migration.title}"
        out.extend(difflib.unified_diff((dump(migration.before, "yaml") + "\n").splitlines(True),
                                        (dump(migration.after, "yaml") + "\n").splitlines(True),
                                        f"a/{label}", f"b/{label} (migrated)"))
    return "".join(out)


# --- stderr --------------------------------------------------------------------------------------------------

HEADINGS = ((MOVED, "moved"), (SWITCHED, "switched"), (FLAGGED, "flag added"), (REWRITTEN, "workaround removed"),
            (PERSON, "needs a person"))


def summary_lines(plan: Plan) -> List[str]:
    """What moved, what was switched, what needs a person, object by object; what was left out; and the
    pre-flight list."""
    lines = []
    for migration in plan.migrations:
        lines.append(f"{migration.title}" + ("" if migration.changed else " (nothing printed: nothing could be "
                                                                          "migrated)") + ":")
        for what, heading in HEADINGS:
            lines.extend(f"  {heading}: {text}" for text in migration.of(what))
    if not plan.migrations:
        lines.append("No legacy sidecars to migrate.")
    if plan.unchanged:
        shown = ", ".join(plan.unchanged[:5]) + (f" and {len(plan.unchanged) - 5} more" if len(plan.unchanged) > 5
                                                 else "")
        lines.append(f"left out (no legacy sidecars): {shown}")
    if plan.preflight:
        lines.append("pre-flight:")
        lines.extend(f"  - {item}" for item in plan.preflight)
    return [clean(line) for line in lines]
