"""render/style.table: kubectl's column layout, every cell shown as the text it is."""

import re

from kubectl_sidecars.render.style import painted, table


def test_columns_are_as_wide_as_their_widest_cell_three_spaces_apart_without_trailing_blanks():
    assert table(["NAME", "STATUS", "X"], [["web", "Running", ""], ["queue-worker-0", "Pending", "y"]]) == (
        "NAME             STATUS    X\n"
        "web              Running\n"
        "queue-worker-0   Pending   y")


def test_cells_are_text_never_numbers():
    """Numbers keep their spelling and align left, as in kubectl's tables; None is an empty cell."""
    lines = table(["RESTARTS", "RATIO", "FLAG", "NOTE"], [["10", "1.50", "True", None], ["9", "12", False, 7]])
    assert lines.splitlines() == ["RESTARTS   RATIO   FLAG    NOTE",
                                  "10         1.50    True",
                                  "9          12      False   7"]


def test_colour_codes_take_no_room():
    plain = table(["ISSUES", "NEXT"], [[painted("sidecar-oomkilled", "error", False), "a"],
                                      [painted("legacy-sidecar", "info", False), "b"]])
    coloured = table(["ISSUES", "NEXT"], [[painted("sidecar-oomkilled", "error", True), "a"],
                                         [painted("legacy-sidecar", "info", True), "b"]])
    assert "\x1b[31msidecar-oomkilled\x1b[0m" in coloured
    assert re.sub("\x1b\\[[0-9;]*m", "", coloured) == plain


def test_cells_are_trimmed_and_controls_neutralised_in_their_own_cell_only():
    rendered = table(["NAME", "IMAGE"], [["  web  ", "app:1"], ["evil\x1b[2J", "app:2\u2028forged"]])
    assert rendered.splitlines() == ["NAME          IMAGE", "web           app:1",
                                     "evil\\x1b[2J   app:2\\u2028forged"]


def test_a_table_without_rows_is_its_header():
    assert table(["NAMESPACE", "NAME"], []) == "NAMESPACE   NAME"
