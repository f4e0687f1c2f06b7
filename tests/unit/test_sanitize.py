"""Strings from the cluster must not be able to drive the terminal or break a table row."""

import pytest

from kubectl_sidecars.sanitize import clean


@pytest.mark.parametrize("raw, shown", [
    ("web-7d9c6b5f4-x2x9q", "web-7d9c6b5f4-x2x9q"),
    ("café 日本 ✓", "café 日本 ✓"),
    ("evil\x1b[2J\x1b[Hpod", "evil\\x1b[2J\\x1b[Hpod"),
    ("\x1b]0;title\x07", "\\x1b]0;title\\x07"),
    ("line1\nline2", "line1\\nline2"),
    ("back\rover", "back\\rover"),
    ("tab\tbed", "tab\\tbed"),
    ("nul\x00byte", "nul\\x00byte"),
    ("del\x7f", "del\\x7f"),
    ("csi\x9b31m", "csi\\x9b31m"),
    ("nel\x85", "nel\\x85"),
    ("zero\u200bwidth", "zero\\u200bwidth"),
    ("\u202egnp.exe", "\\u202egnp.exe"),
    ("\u2066isolate\u2069", "\\u2066isolate\\u2069"),
    ("already \\x1b escaped", "already \\x1b escaped"),
])
def test_clean(raw, shown):
    assert clean(raw) == shown


@pytest.mark.parametrize("value, shown", [(None, ""), (0, "0"), (17, "17"), (True, "True"), ("", "")])
def test_clean_non_strings(value, shown):
    assert clean(value) == shown


@pytest.mark.parametrize("char", ["\n", "\r", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"])
def test_nothing_that_ends_a_line_survives(char):
    # tables are split into lines after layout: a cell must never add a line of its own
    shown = clean(f"name{char}forged-row")
    assert len(shown.splitlines()) == 1
    assert char not in shown


def test_every_c0_and_c1_control_is_escaped():
    for code in list(range(0x00, 0x20)) + list(range(0x7f, 0xa0)):
        shown = clean(f"a{chr(code)}b")
        assert chr(code) not in shown
        assert shown.startswith("a\\") and shown.endswith("b")
