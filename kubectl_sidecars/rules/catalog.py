"""The catalog of findings: each rule is a small pure function registered with its code, severity,
title, explanation and remedy, what it reads and what it judges, so `explain`, the README table, the
gather step and the JSON all come from one place."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable, Dict, FrozenSet, Iterable, Iterator, Optional, Tuple, Union

from kubectl_sidecars.snapshot import EVENTS, JOBS, NODES, PODS  # noqa: F401 (what rules declare they read)

ERROR, WARNING, INFO = "error", "warning", "info"
SEVERITIES = (ERROR, WARNING, INFO)

# What a rule judges: a live pod (spec and status), a pod template (spec only: a Deployment's or a Job's,
# with no status), or a Job (its spec, its status and the findings of its pods).
LIVE_POD, POD_TEMPLATE, JOB = "live pod", "pod template", "job"

# The catalog in the order the README table and `explain` list it: the only place that order is declared.
ORDER = (
    "job-blocked-by-legacy-sidecar", "app-started-before-sidecar-ready", "sidecar-sigkilled", "sidecar-oomkilled",
    "sidecar-liveness-killed", "sidecar-crashloop", "sidecar-startup-failed", "sidecar-not-ready",
    "no-startup-probe", "init-never-exits", "mesh-init-failed", "native-sidecars-unsupported",
    "pod-failure-policy-matches-sidecar",
    "init-before-sidecar", "stuck-terminating", "legacy-sidecar", "legacy-workaround", "job-failed-by-sidecar",
    "job-template-legacy-sidecar", "restart-policy-on-container", "drain-exceeds-grace",
)


def severity_rank(severity: str) -> int:
    """Higher is worse: error 3, warning 2, info 1."""
    return len(SEVERITIES) - SEVERITIES.index(severity)


@dataclass(frozen=True)
class Target:
    """The object a patch applies to, and where in it: `path` is the field the patch is a fragment of
    ("spec.template" of a Deployment, "spec.jobTemplate.spec.template" of a CronJob, "" for the object)."""
    kind: str
    namespace: str
    name: str
    path: str

    def to_dict(self) -> dict:
        return {"kind": self.kind, "namespace": self.namespace, "name": self.name, "path": self.path}


def _tree_copy(value):
    """A copy of JSON-like data (dicts, lists, scalars): copy.deepcopy's memo is not needed for a tree."""
    kind = type(value)
    if kind is dict:
        return {key: _tree_copy(item) for key, item in value.items()}
    if kind is list:
        return [_tree_copy(item) for item in value]
    return value


@dataclass(frozen=True)
class Patch:
    """A strategic-merge fragment a remedy proposes; `comments` say what the YAML alone cannot."""
    target: Target
    patch: dict = field(compare=False)
    comments: Tuple[str, ...] = ()

    def to_dict(self) -> dict:
        # A copy: a fragment may share lists with the pod it came from, or with another finding's, and a
        # document must be a tree (YAML would otherwise print anchors and aliases: &id001, *id001).
        return {"target": self.target.to_dict(), "patch": _tree_copy(self.patch), "comments": list(self.comments)}


@dataclass(frozen=True)
class Fix:
    """A remedy: prose, and the patches it proposes."""
    text: str
    patches: Tuple[Patch, ...] = ()


RemedySource = Union[str, Fix, Callable[[], Union[str, Fix]]]


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str
    container: Optional[str]
    message: str
    # A Fix, or a function that writes it: remedies with patches are costly to build, and `status` tables
    # over thousands of pods never show them.
    remedy_source: RemedySource = field(compare=False)
    evidence: Tuple[str, ...] = ()
    # The other container involved (the sidecar to blame when `container` is the app), or None.
    related: Optional[str] = None

    @cached_property
    def fix(self) -> Fix:
        source = self.remedy_source() if callable(self.remedy_source) else self.remedy_source
        return source if isinstance(source, Fix) else Fix(source)

    @property
    def remedy(self) -> str:
        return self.fix.text

    @property
    def patches(self) -> Tuple[Patch, ...]:
        return self.fix.patches

    def to_dict(self) -> dict:
        return {"code": self.code, "severity": self.severity, "container": self.container,
                "related": self.related, "message": self.message, "remedy": self.remedy,
                "patches": [p.to_dict() for p in self.patches], "evidence": list(self.evidence)}


@dataclass(frozen=True)
class Rule:
    code: str
    severity: str
    judges: FrozenSet[str]  # LIVE_POD and/or POD_TEMPLATE, or JOB
    reads: FrozenSet[str]   # PODS, JOBS, EVENTS, NODES: what the judgement rests on
    title: str
    explanation: str
    remedy: str
    # POD rules: check(rule, pod view, snapshot); JOB rules: check(rule, job view, snapshot, pod findings)
    check: Callable = field(compare=False)
    # A cheap test of the view that must hold for the check to find anything (None: always run it), so that
    # most pods skip most rules; tests/unit/test_rules_catalog.py holds every rule to its precondition.
    when: Optional[Callable] = field(default=None, compare=False)

    @property
    def about(self) -> str:
        return "a Job" if JOB in self.judges else "a pod"

    def finding(self, container: Optional[str], message: str, remedy: Optional[RemedySource] = None,
                evidence: Iterable[str] = (), severity: Optional[str] = None,
                related: Optional[str] = None) -> Finding:
        """A finding of this rule; severity and remedy default to the catalog's."""
        return Finding(self.code, severity or self.severity, container, message, remedy or self.remedy,
                       tuple(evidence), related)


class Catalog(Mapping):
    """code -> Rule, iterated in ORDER, whatever order the rule families registered in."""

    def __init__(self):
        self._rules: Dict[str, Rule] = {}

    def __getitem__(self, code: str) -> Rule:
        return self._rules[code]

    def __iter__(self) -> Iterator[str]:
        return (code for code in ORDER if code in self._rules)

    def __len__(self) -> int:
        return len(self._rules)

    def add(self, entry: Rule) -> None:
        if entry.code not in ORDER:
            raise ValueError(f"rule {entry.code} is not declared in catalog.ORDER")
        if entry.code in self._rules:
            raise ValueError(f"rule {entry.code} registered twice")
        self._rules[entry.code] = entry


CATALOG = Catalog()


def rule(code: str, severity: str, title: str, explanation: str, remedy: str,
         judges: Iterable[str] = (LIVE_POD,), reads: Iterable[str] = (PODS,), when: Optional[Callable] = None):
    """Register the decorated check; it receives its Rule first, to build findings with."""
    def register(check: Callable) -> Callable:
        CATALOG.add(Rule(code, severity, frozenset(judges), frozenset(reads), title, explanation.strip(),
                         remedy.strip(), check, when))
        return check
    return register


# Preconditions rules declare (`when=`), on a pod's or a pod template's view.
def with_sidecars(view) -> bool:
    return bool(view.all_sidecars)


def with_native_sidecars(view) -> bool:
    return bool(view.sidecars)


def with_legacy_sidecars(view) -> bool:
    return bool(view.legacy_sidecars)


def with_init_containers(view) -> bool:
    return bool(view.inits)


def with_init_containers_and_sidecars(view) -> bool:
    return bool(view.inits) and bool(view.all_sidecars)


def being_deleted(view) -> bool:
    return view.deleted is not None
