"""Colour only on a terminal, never with NO_COLOR or --no-color; and kubectl's plain table layout."""

import os
from typing import List, Sequence

import tabulate as tabulate_module
from tabulate import DataRow, TableFormat, tabulate

from kubectl_sidecars.sanitize import clean

# kubectl's tabwriter: no borders, columns three spaces apart, headers in capitals.
KUBECTL_FORMAT = TableFormat(lineabove=None, linebelowheader=None, linebetweenrows=None, linebelow=None,
                             headerrow=DataRow("", "   ", ""), datarow=DataRow("", "   ", ""),
                             padding=0, with_header_hide=None)

SEVERITY_COLOURS = {"error": "\x1b[31m", "warning": "\x1b[33m", "info": "\x1b[36m"}
RESET = "\x1b[0m"


def use_colour(stream, disabled: bool) -> bool:
    if disabled or "NO_COLOR" in os.environ:
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


def paint(text: str, severity: str, colour: bool) -> str:
    return f"{SEVERITY_COLOURS[severity]}{text}{RESET}" if colour and severity in SEVERITY_COLOURS else text


def table(headers: Sequence[str], rows: List[Sequence]) -> str:
    """Cells are sanitised here, so a name from the cluster cannot carry terminal escapes."""
    tabulate_module.MIN_PADDING = 0  # tabulate pads headers by 2 by default; kubectl does not
    safe = [[cell if isinstance(cell, Painted) else clean(cell) for cell in row] for row in rows]
    lines = tabulate(safe, headers=list(headers), tablefmt=KUBECTL_FORMAT, disable_numparse=True,
                     stralign="left").splitlines()
    return "\n".join(line.rstrip() for line in lines)


class Painted(str):
    """A cell already sanitised and coloured by the renderer."""


def painted(text: str, severity: str, colour: bool) -> Painted:
    return Painted(paint(clean(text), severity, colour))
