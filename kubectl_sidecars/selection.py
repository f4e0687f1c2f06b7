"""Names, namespaces, label and field selectors, checked here so a bad one is a usage error before any
request, and applied here to objects read from files."""

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

# apimachinery's IsDNS1123Label / IsDNS1123Subdomain (pkg/util/validation): what the API server accepts as a
# namespace and as an object name. Checking before a URL is built means a name like "../namespaces" can never
# make the plugin read something other than what the user named.
_DNS_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS_LABEL_RE = re.compile(_DNS_LABEL)
_DNS_SUBDOMAIN_RE = re.compile(rf"{_DNS_LABEL}(\.{_DNS_LABEL})*")
_LABEL_RULE = "must be a lowercase RFC 1123 label: letters, digits and '-', starting and ending with a letter or digit"
_SUBDOMAIN_RULE = ("must be a lowercase RFC 1123 subdomain: letters, digits, '-' and '.', starting and ending "
                   "with a letter or digit")


def _name_problem(value: str, pattern, limit: int, rule: str) -> Optional[str]:
    """Why value is not a valid name (the path-segment checks first, in kubectl's words), or None."""
    if value in (".", ".."):
        return f"may not be '{value}'"
    for forbidden in ("/", "%"):
        if forbidden in value:
            return f"may not contain '{forbidden}'"
    if len(value) > limit:
        return f"must be no more than {limit} characters"
    return None if pattern.fullmatch(value) else rule


def listing_key(namespace: str, name: str) -> str:
    """The order the API server lists objects in, across namespaces too (by their storage key,
    namespace/name), which is the order kubectl prints them in."""
    return f"{namespace}/{name}"


def check_namespace(namespace: str) -> str:
    problem = _name_problem(namespace, _DNS_LABEL_RE, 63, _LABEL_RULE)
    if problem:
        raise UsageError(f"invalid namespace {namespace!r}: {problem}")
    return namespace


def check_name(kind: str, name: str) -> str:
    problem = _name_problem(name, _DNS_SUBDOMAIN_RE, 253, _SUBDOMAIN_RULE)
    if problem:
        raise UsageError(f"invalid {kind.lower()} name {name!r}: {problem}")
    return name


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
        if self.namespace is not None:
            check_namespace(self.namespace)
        for name in self.names:
            check_name("Pod", name)
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
