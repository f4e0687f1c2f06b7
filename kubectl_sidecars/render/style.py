"""Colour only on a terminal, never with NO_COLOR or --no-color; and kubectl's plain table layout."""

import os
import re
from typing import Iterator, List, Optional, Sequence

from colorama import Fore, Style

from kubectl_sidecars.sanitize import clean, has_control

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


class Table:
    """kubectl's layout: no borders, every column as wide as its widest cell, three spaces between columns,
    no spaces at the end of a line. Every cell is text, shown as it is: nothing is parsed as a number or
    aligned as one. Cells are sanitised here, so a name from the cluster cannot carry terminal escapes, and
    trimmed of surrounding blanks.

    Rows are added one by one and each is kept as one string (its cells joined), so that thousands of rows
    cost little memory while the widths are learnt; lines() pads them at the end."""

    _SEPARATOR = "\x00"  # never in a cell: sanitising made every control character an escape

    def __init__(self, headers: Sequence[str]):
        self.headers = list(headers)
        self.widths = [len(header) for header in headers]
        self.rows: List[str] = []

    def add(self, cells: Sequence) -> int:
        """Adds a row; its index, to set a cell later."""
        if all(type(cell) is str for cell in cells) and not has_control(" ".join(cells)):
            cells = [cell.strip() for cell in cells]
        else:
            cells = [Painted(c.strip()) if isinstance(c, Painted) else clean(c).strip() for c in cells]
        self._learn(cells)
        self.rows.append(self._SEPARATOR.join(cells))
        return len(self.rows) - 1

    def set_cell(self, row: int, column: int, cell: str) -> None:
        """Replaces one cell of a row added before (a cell known only once every row was seen)."""
        cells = self.rows[row].split(self._SEPARATOR)
        cells[column] = cell if isinstance(cell, Painted) else clean(cell).strip()
        self._learn(cells)
        self.rows[row] = self._SEPARATOR.join(cells)

    def _learn(self, cells: Sequence[str]) -> None:
        widths = self.widths
        if len(cells) > len(widths):
            widths.extend([0] * (len(cells) - len(widths)))
        for index, cell in enumerate(cells):
            shown = _shown_width(cell)
            if shown > widths[index]:
                widths[index] = shown

    def lines(self) -> Iterator[str]:
        widths = self.widths
        yield _GAP.join(header.ljust(width) for header, width in zip(self.headers, widths)).rstrip()
        for row in self.rows:
            cells = row.split(self._SEPARATOR)
            yield _GAP.join(cell + " " * (width - _shown_width(cell)) for cell, width in zip(cells, widths)).rstrip()


def _shown_width(cell: str) -> int:
    """A painted cell's colour codes take no room on the screen."""
    return len(_COLOUR_CODES.sub("", cell)) if "\x1b" in cell else len(cell)


def table(headers: Sequence[str], rows: List[Sequence]) -> str:
    """A whole table at once."""
    built = Table(headers)
    for row in rows:
        built.add(row)
    return "\n".join(built.lines())


class Painted(str):
    """A cell already sanitised and coloured by the renderer."""


def painted(text: str, severity: str, enabled: bool) -> Painted:
    return Painted(paint(clean(text), SEVERITY_COLOURS.get(severity), enabled))
