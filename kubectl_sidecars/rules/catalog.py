"""The catalog of findings: each rule is a small pure function registered with its code, severity,
title, explanation and remedy, so `explain`, the README table and the JSON all come from one place."""

from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable, Dict, Iterable, List, Optional, Tuple, Union

ERROR, WARNING, INFO = "error", "warning", "info"
SEVERITIES = (ERROR, WARNING, INFO)
POD, JOB = "pod", "job"


def severity_rank(severity: str) -> int:
    """Higher is worse: error 3, warning 2, info 1."""
    return len(SEVERITIES) - SEVERITIES.index(severity)


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str
    container: Optional[str]
    message: str
    # The text, or a function that writes it: remedies with YAML snippets are costly to build, and `status`
    # tables over thousands of pods never show them.
    remedy_source: Union[str, Callable[[], str]]
    evidence: Tuple[str, ...] = ()

    @cached_property
    def remedy(self) -> str:
        return self.remedy_source() if callable(self.remedy_source) else self.remedy_source

    def to_dict(self) -> dict:
        return {"code": self.code, "severity": self.severity, "container": self.container,
                "message": self.message, "remedy": self.remedy, "evidence": list(self.evidence)}


@dataclass(frozen=True)
class Rule:
    code: str
    severity: str
    scope: str  # POD rules see (PodView, Snapshot); JOB rules see (job dict, Snapshot)
    title: str
    explanation: str
    remedy: str
    check: Callable = field(compare=False)

    def finding(self, container: Optional[str], message: str, remedy: Union[None, str, Callable[[], str]] = None,
                evidence: Iterable[str] = (), severity: Optional[str] = None) -> Finding:
        """A finding of this rule; severity and remedy default to the catalog's."""
        return Finding(self.code, severity or self.severity, container, message, remedy or self.remedy,
                       tuple(evidence))


CATALOG: Dict[str, Rule] = {}


def rule(code: str, severity: str, title: str, explanation: str, remedy: str, scope: str = POD):
    """Register the decorated check; it receives its Rule first, to build findings with."""
    def register(check: Callable) -> Callable:
        if code in CATALOG:
            raise ValueError(f"rule {code} registered twice")
        CATALOG[code] = Rule(code, severity, scope, title, explanation.strip(), remedy.strip(), check)
        return check
    return register


def rules_of(scope: str) -> List[Rule]:
    return [r for r in CATALOG.values() if r.scope == scope]
