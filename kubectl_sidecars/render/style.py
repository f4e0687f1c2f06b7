"""Colour only on a terminal, never with NO_COLOR or --no-color; and kubectl's plain table layout."""

import os
from typing import List, Optional, Sequence

import tabulate as tabulate_module
from colorama import Fore, Style
from tabulate import DataRow, TableFormat, tabulate

from kubectl_sidecars.sanitize import clean

# kubectl's tabwriter: no borders, columns three spaces apart, headers in capitals.
KUBECTL_FORMAT = TableFormat(lineabove=None, linebelowheader=None, linebetweenrows=None, linebelow=None,
                             headerrow=DataRow("", "   ", ""), datarow=DataRow("", "   ", ""),
                             padding=0, with_header_hide=None)

SEVERITY_COLOURS = {"error": Fore.RED, "warning": Fore.YELLOW, "info": Fore.CYAN}


def use_colour(stream, disabled: bool) -> bool:
    if disabled or "NO_COLOR" in os.environ:
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


def paint(text: str, colour: Optional[str], enabled: bool, bright: bool = False) -> str:
    """text in a colorama colour (a Fore constant or None), and bold when bright."""
    if not enabled or (colour is None and not bright):
        return text
    return f"{Style.BRIGHT if bright else ''}{colour or ''}{text}{Style.RESET_ALL}"


def table(headers: Sequence[str], rows: List[Sequence]) -> str:
    """Cells are sanitised here, so a name from the cluster cannot carry terminal escapes."""
    tabulate_module.MIN_PADDING = 0  # tabulate pads headers by 2 by default; kubectl does not
    safe = [[cell if isinstance(cell, Painted) else clean(cell) for cell in row] for row in rows]
    lines = tabulate(safe, headers=list(headers), tablefmt=KUBECTL_FORMAT, disable_numparse=True,
                     stralign="left").splitlines()
    return "\n".join(line.rstrip() for line in lines)


class Painted(str):
    """A cell already sanitised and coloured by the renderer."""


def painted(text: str, severity: str, enabled: bool) -> Painted:
    return Painted(paint(clean(text), SEVERITY_COLOURS.get(severity), enabled))
