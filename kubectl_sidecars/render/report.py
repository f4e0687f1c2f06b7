"""The human report of `kubectl sidecars diagnose`: Job verdicts first, then each pod and its findings
(what was seen, what it means, the fix). Everything from the cluster goes through sanitize.clean()."""

import functools
import re
from datetime import datetime
from typing import Callable, Iterable, List, Tuple

from colorama import Fore

from kubectl_sidecars.model.timeutil import age
from kubectl_sidecars.render.patches import patch_yaml
from kubectl_sidecars.render.spool import Spool
from kubectl_sidecars.render.style import SEVERITY_COLOURS, paint
from kubectl_sidecars.sanitize import clean

WIDTH = 100
LABELS = {"error": "ERROR", "warning": "WARNING", "info": "INFO"}
YAMLISH = re.compile(r"^(\s|#|[\w./-]+:(\s|$))")


def _wrap(text: str, indent: str) -> List[str]:
    """Prose is wrapped; YAML and command lines are kept as they are."""
    lines: List[str] = []
    for raw in clean_lines(text):
        if not raw.strip():
            continue
        if YAMLISH.match(raw) or len(indent) + len(raw) <= WIDTH:
            lines.append(indent + raw)
            continue
        lines += _wrapped(raw, indent)
    return lines


@functools.lru_cache(maxsize=4096)
def _wrapped(line: str, indent: str) -> Tuple[str, ...]:
    """A line filled to WIDTH, continued two spaces further in, broken only at spaces (a word longer than a
    line gets a line of its own), as textwrap.wrap(break_long_words=False, break_on_hyphens=False) fills
    text whose blanks are spaces; in one pass, since messages and remedies name their pod and a report has
    thousands of them. Titles and remedies that come back pod after pod are wrapped once."""
    lines: List[str] = []
    current, blank = indent, True  # blank: nothing but the indent yet
    for word in line.split(" "):
        if blank:
            if word:
                current, blank = current + word, False
        elif len(current) + 1 + len(word) <= WIDTH:
            current += " " + word
        else:
            lines.append(current.rstrip(" "))
            current, blank = indent + "  " + word, not word
    if not blank:
        lines.append(current.rstrip(" "))
    return tuple(lines)


def clean_lines(text: str) -> List[str]:
    """Each line of a multi-line text made safe; control characters inside a line become escapes."""
    return [clean(line) for line in str(text or "").split("\n")]


def _finding(finding, colour: bool, seen_patches: List[Tuple[object, str]], catalog) -> List[str]:
    label = LABELS.get(finding.severity, finding.severity.upper())
    head = paint(f"{label:<8}", SEVERITY_COLOURS.get(finding.severity), colour, bright=finding.severity == "error")
    where = f"   container {clean(finding.container)}" if finding.container else ""
    if finding.related:
        where += f" (with {clean(finding.related)})"
    lines = [f"  {head} {paint(clean(finding.code), None, colour, bright=True)}{where}"]
    rule = catalog.get(finding.code)
    if rule is not None:
        lines += _wrap(rule.title, "    ")
    if finding.evidence:
        lines.append("    Seen:")
        for item in finding.evidence:
            lines += _wrap(clean(item), "      ")  # one line each, whatever the cluster's text held
    lines.append("    Means:")
    lines += _wrap(clean(finding.message), "      ")
    lines.append("    Fix:")
    lines += _remedy(finding, seen_patches)
    return lines


def _remedy(finding, seen: List[Tuple[object, str]]) -> List[str]:
    """The fix: prose, then each patch's YAML; a patch already shown in this block (the same target, the
    same fragment) is referred to."""
    lines = _wrap(finding.remedy or "", "      ")
    for patch in finding.patches:
        shown = next((code for other, code in seen if other.target == patch.target and other.patch == patch.patch),
                     None)
        if shown is not None:
            lines.append(f"      (the patch shown for {clean(shown)} above)")
            continue
        seen.append((patch, finding.code))
        lines += ["      " + line for line in clean_lines(patch_yaml(patch))]
    return lines


def _verdict(verdict, colour: bool, catalog) -> List[str]:
    name = f"Job {clean(verdict.namespace)}/{clean(verdict.name)}"
    state_colour = Fore.GREEN if verdict.status == "Complete" else Fore.RED if verdict.status == "Failed" else None
    conditions = ",".join(clean(c) for c in verdict.conditions) or "<none>"
    lines = [f"{paint(name, None, colour, bright=True)}   {paint(clean(verdict.status), state_colour, colour)}",
             f"  COMPLETIONS {clean(verdict.completions)}   ACTIVE {clean(verdict.active)}   "
             f"SUCCEEDED {clean(verdict.succeeded)}   FAILED {clean(verdict.failed)}   CONDITIONS {conditions}"]
    lines += _wrap(clean(verdict.reason), "  ")
    seen: List[Tuple[object, str]] = []
    for finding in verdict.findings:
        lines += _finding(finding, colour, seen, catalog)
    return lines


def _pod(pod, findings, now: datetime, colour: bool, catalog) -> List[str]:
    name = f"Pod {clean(pod.namespace)}/{clean(pod.name)}"
    lines = [f"{paint(name, None, colour, bright=True)}   READY {clean(pod.ready)}   STATUS {clean(pod.status)}"
             f"   AGE {age(pod.created, now)}"]
    containers = ", ".join(f"{clean(c.name)} ({clean(c.type)})" for c in pod.containers)
    if containers:
        lines += _wrap(f"containers: {containers}", "  ")
    if pod.unreadable:
        lines += _wrap(f"Not checked: the pod could not be read ({clean(pod.unreadable)}).", "  ")
        return lines
    if not findings:
        lines.append("  No sidecar problems found: the pod looks healthy.")
        return lines
    if all(f.severity == "info" for f in findings):
        lines.append("  Nothing of warning or above: the pod looks healthy; suggestions below.")
    seen: List[Tuple[object, str]] = []
    for finding in findings:
        lines += _finding(finding, colour, seen, catalog)
    return lines


def write_report(write: Callable[[str], object], rows: Iterable, verdicts: Callable[[], list], notes: List[str],
                 now: datetime, color: bool) -> None:
    """The report, written as pods come: Job verdicts first (known once every pod is judged), then each
    pod, then the notes. The pods' blocks wait in a spool meanwhile, not in memory."""
    from kubectl_sidecars.rules import CATALOG

    pods, found_any = Spool(), False
    for pod, findings in rows:
        pods.write(("" if pods.empty else "\n\n") + "\n".join(_pod(pod, findings, now, color, CATALOG)))
        found_any = found_any or bool(findings)
    blocks = ["\n".join(_verdict(verdict, color, CATALOG)) for verdict in verdicts()]
    found_any = found_any or any(verdict.findings for verdict in verdicts())
    write("\n\n".join(blocks))
    if not pods.empty:
        write("\n\n" if blocks else "")
        pods.replay(write)
    elif not blocks:
        write("No pods or Jobs to diagnose.")
    tail: List[str] = []
    for note in notes:
        tail += _wrap(f"Note: {note}", "")
    if found_any:
        tail.append("Run `kubectl sidecars explain CODE` for the full explanation of a finding.")
    write(("\n\n" + "\n".join(tail) if tail else "") + "\n")


def render_report(diagnosis, now: datetime, color: bool) -> str:
    out: List[str] = []
    write_report(out.append, diagnosis.pods, lambda: diagnosis.verdicts, diagnosis.notes, now, color)
    return "".join(out)[:-1]
