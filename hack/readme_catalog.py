#!/usr/bin/env python3
"""Writes the findings catalog into README.md between its markers, from the code (so it cannot drift).
With --check, only says whether README.md is up to date (exit 1 if not)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kubectl_sidecars.rules import catalog_markdown  # noqa: E402

README = Path(__file__).resolve().parents[1] / "README.md"
BEGIN, END = "<!-- catalog:begin -->", "<!-- catalog:end -->"


def with_catalog(text: str) -> str:
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{catalog_markdown().strip()}\n{END}{tail}"


if __name__ == "__main__":
    current = README.read_text()
    wanted = with_catalog(current)
    if "--check" in sys.argv[1:]:
        sys.exit(0 if wanted == current else "README.md's catalog is out of date: run hack/readme_catalog.py")
    README.write_text(wanted)
