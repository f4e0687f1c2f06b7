"""Label and field selectors, parsed here so a bad one is a usage error before any request, and
applied here to objects read from files."""

import re
from dataclasses import dataclass
from typing import Callable, List, Optional, Tuple

from kubectl_sidecars.errors import UsageError

_KEY = r"[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?"
_VALUE = r"([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?"
_SET = re.compile(rf"^\s*({_KEY})\s+(in|notin)\s+\(([^)]*)\)\s*$")
_COMPARE = re.compile(rf"^\s*({_KEY})\s*(==|=|!=)\s*({_VALUE})\s*$")
_ORDER = re.compile(rf"^\s*({_KEY})\s*([<>])\s*([0-9]+)\s*$")
_EXISTS = re.compile(rf"^\s*(!?)\s*({_KEY})\s*$")

Matcher = Callable[[dict], bool]


def _split_requirements(selector: str) -> List[str]:
    """Commas separate requirements except inside the parentheses of in/notin."""
    parts, depth, current = [], 0, ""
    for char in selector:
        depth += char == "("
        depth -= char == ")"
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return parts


def _requirement(text: str) -> Matcher:
    match = _SET.match(text)
    if match:
        key, operator, values = match.group(1), match.group(3), match.group(4)
        allowed = {v.strip() for v in values.split(",")}
        if not all(re.fullmatch(_VALUE, v) for v in allowed):
            raise ValueError(text)
        if operator == "in":
            return lambda labels: labels.get(key) in allowed
        return lambda labels: labels.get(key) not in allowed
    match = _COMPARE.match(text)
    if match:
        key, operator, value = match.group(1), match.group(3), match.group(4)
        if operator == "!=":
            return lambda labels: labels.get(key) != value
        return lambda labels: labels.get(key) == value
    match = _ORDER.match(text)
    if match:
        key, greater, bound = match.group(1), match.group(3) == ">", int(match.group(4))
        return lambda labels: (labels.get(key) or "").isdigit() and \
            (int(labels[key]) > bound if greater else int(labels[key]) < bound)
    match = _EXISTS.match(text)
    if match:
        negate, key = match.group(1), match.group(2)
        return (lambda labels: key not in labels) if negate else (lambda labels: key in labels)
    raise ValueError(text)


def label_matcher(selector: Optional[str]) -> Matcher:
    """A predicate on a labels dict; raises UsageError for what the API server would reject."""
    if not selector or not selector.strip():
        return lambda labels: True
    try:
        requirements = [_requirement(part) for part in _split_requirements(selector)]
    except ValueError as error:
        raise UsageError(f"unable to parse requirement {str(error).strip()!r} in label selector {selector!r}") from None
    return lambda labels: all(requirement(labels or {}) for requirement in requirements)


_FIELD = re.compile(r"^\s*([A-Za-z.]+)\s*(==|=|!=)\s*([^,=!]*)\s*$")
FIELDS = {
    "metadata.name": lambda o: (o.get("metadata") or {}).get("name"),
    "metadata.namespace": lambda o: (o.get("metadata") or {}).get("namespace"),
    "spec.nodeName": lambda o: (o.get("spec") or {}).get("nodeName") or "",
    "status.phase": lambda o: (o.get("status") or {}).get("phase") or "",
    "spec.restartPolicy": lambda o: (o.get("spec") or {}).get("restartPolicy") or "",
    "spec.serviceAccountName": lambda o: (o.get("spec") or {}).get("serviceAccountName") or "",
    "spec.schedulerName": lambda o: (o.get("spec") or {}).get("schedulerName") or "",
    "status.podIP": lambda o: (o.get("status") or {}).get("podIP") or "",
    "status.nominatedNodeName": lambda o: (o.get("status") or {}).get("nominatedNodeName") or "",
}


def field_matcher(selector: Optional[str]) -> Matcher:
    """The pod fields the API server can select on; the same grammar (=, ==, != joined by commas)."""
    if not selector or not selector.strip():
        return lambda obj: True
    requirements: List[Tuple[Callable, str, str]] = []
    for part in selector.split(","):
        match = _FIELD.match(part)
        if not match or match.group(1) not in FIELDS:
            raise UsageError(f"invalid field selector {selector!r}: {part.strip()!r} is not a supported pod field "
                             f"({', '.join(FIELDS)})")
        requirements.append((FIELDS[match.group(1)], match.group(2), match.group(3)))
    return lambda obj: all((get(obj) == value) == (operator != "!=") for get, operator, value in requirements)


@dataclass(frozen=True)
class Selection:
    """Which pods a command is about, as kubectl's flags say it."""

    namespace: Optional[str]  # None: all namespaces
    names: Tuple[str, ...] = ()
    label_selector: Optional[str] = None
    field_selector: Optional[str] = None

    def validate(self) -> "Selection":
        label_matcher(self.label_selector)
        field_matcher(self.field_selector)
        return self

    def matcher(self) -> Matcher:
        labels, fields = label_matcher(self.label_selector), field_matcher(self.field_selector)
        names = set(self.names)

        def matches(obj: dict) -> bool:
            metadata = obj.get("metadata") or {}
            return ((self.namespace is None or metadata.get("namespace", "default") == self.namespace)
                    and (not names or metadata.get("name") in names)
                    and labels(metadata.get("labels") or {}) and fields(obj))
        return matches
