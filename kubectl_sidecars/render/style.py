"""Colour only on a terminal, never with NO_COLOR or --no-color; and kubectl's plain table layout."""

import os
import re
from typing import List, Optional, Sequence, Tuple

from colorama import Fore, Style

from kubectl_sidecars.sanitize import CONTROL, clean

SEVERITY_COLOURS = {"error": Fore.RED, "warning": Fore.YELLOW, "info": Fore.CYAN}
# What paint() adds around a cell: SGR sequences, which take no room on the screen.
_COLOUR_CODES = re.compile("\x1b\\[[0-9;]*m")
_GAP = "   "  # kubectl's tabwriter: columns three spaces apart (printers.GetNewTabWriter, padding 3)


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
    """kubectl's layout: no borders, every column as wide as its widest cell, three spaces between
    columns, no spaces at the end of a line. Every cell is text, shown as it is: nothing is parsed as a
    number or aligned as one. Cells are sanitised here, so a name from the cluster cannot carry terminal
    escapes, and trimmed of surrounding blanks."""
    widths = [len(header) for header in headers]
    columns = []
    for index, values in enumerate(zip(*rows)):
        if index == len(widths):
            widths.append(0)
        widths[index], padded = _padded(_cells(values), widths[index])
        columns.append(padded)
    lines = [_GAP.join(header.ljust(width) for header, width in zip(headers, widths)).rstrip()]
    lines += [_GAP.join(cells).rstrip() for cells in zip(*columns)]
    return "\n".join(lines)


def _cells(values: Sequence) -> List[str]:
    """One column's cells, sanitised and trimmed; a column of plain text is searched for characters to
    neutralise in one pass (a space between cells cannot be one), cell by cell only when it has some."""
    if all(type(value) is str for value in values) and not CONTROL.search(" ".join(values)):
        return [value.strip() for value in values]
    return [Painted(value.strip()) if isinstance(value, Painted) else clean(value).strip() for value in values]


def _padded(cells: Sequence[str], floor: int) -> Tuple[int, List[str]]:
    """The width of a column's widest cell (at least floor), and its cells padded to it; a painted
    cell's colour codes take no room on the screen."""
    if not any(type(cell) is Painted for cell in cells):
        width = max(floor, max(map(len, cells)))
        return width, [cell.ljust(width) for cell in cells]
    visible = [len(_COLOUR_CODES.sub("", cell)) for cell in cells]
    width = max(floor, max(visible))
    return width, [cell + " " * (width - shown) for cell, shown in zip(cells, visible)]


class Painted(str):
    """A cell already sanitised and coloured by the renderer."""


def painted(text: str, severity: str, enabled: bool) -> Painted:
    return Painted(paint(clean(text), SEVERITY_COLOURS.get(severity), enabled))
