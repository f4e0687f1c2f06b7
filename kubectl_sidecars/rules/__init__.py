"""The rules: every family registers its checks in the catalog (rules/catalog.py) when imported here, and
the texts of `explain` and of the README's catalog table come from that catalog. The engine
(kubectl_sidecars/engine.py) runs them; no rule imports it."""

# Importing the families registers their rules.
from kubectl_sidecars.rules import (  # noqa: F401
    exits,
    init_containers,
    jobs,
    migration,
    startup,
    templates,
    termination,
    versions,
)
from kubectl_sidecars.rules.catalog import CATALOG, ORDER, Finding, Rule

__all__ = ["CATALOG", "Finding", "Rule", "catalog_markdown", "explain"]

_missing = [code for code in ORDER if code not in CATALOG]
if _missing:
    raise ImportError(f"catalog.ORDER declares rules no family registers: {', '.join(_missing)}")


def explain(code: str) -> str:
    """The full text of one catalog entry; KeyError for an unknown code."""
    rule = CATALOG[code]
    return (f"{rule.code} ({rule.severity}, about {rule.about})\n{rule.title}\n\n"
            f"What it means:\n{rule.explanation}\n\nHow to fix it:\n{rule.remedy}\n")


def catalog_markdown() -> str:
    """The catalog as the README's Markdown table: code | severity | when."""
    lines = ["| code | severity | when |", "|---|---|---|"]
    for rule in CATALOG.values():
        title = rule.title.replace("|", "\\|")
        lines.append(f"| `{rule.code}` | {rule.severity} | {title} |")
    return "\n".join(lines)
