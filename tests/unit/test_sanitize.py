"""Strings from the cluster must not be able to drive the terminal or break a table row."""

import functools
import json
import subprocess
import sys
import unicodedata

import pytest
import yaml

from kubectl_sidecars.render.structured import dump
from kubectl_sidecars.sanitize import CONTROL, clean, clean_keeping_lines, escape_json


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


# ---------------------------------------------------------------- the set of characters, from Unicode itself

# Shown as nothing, yet letters (Lo) or a combining mark (Mn): named one by one.
FILLERS = {0x034F, 0x115F, 0x1160, 0x3164, 0xFFA0}
NEUTRALISED_CATEGORIES = ("Cc", "Cf", "Cs", "Zl", "Zp")


@functools.lru_cache(maxsize=None)
def code_points_of(pattern):
    return frozenset(code for code in range(0x110000) if pattern.match(chr(code)))


def as_ranges(codes):
    """The regex character class that matches codes (printed when the table needs updating)."""
    ranges = []
    for code in sorted(codes):
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    def spell(code):
        return "\\x%02x" % code if code < 0x100 else "\\u%04x" % code if code < 0x10000 else "\\U%08x" % code

    return "".join(spell(a) if a == b else f"{spell(a)}-{spell(b)}" for a, b in ranges)


def test_the_pattern_matches_exactly_the_neutralised_categories_and_fillers():
    expected = {code for code in range(0x110000)
                if unicodedata.category(chr(code)) in NEUTRALISED_CATEGORIES or code in FILLERS}
    matched = code_points_of(CONTROL)
    missing = expected - matched
    assert not missing, f"Unicode {unicodedata.unidata_version}: update sanitize.CONTROL to [{as_ranges(expected)}]"
    # The table may run ahead of this Python's Unicode: format characters a later version assigned are
    # still unassigned (Cn) here, and only those may be extra.
    extra = {code for code in matched - expected if unicodedata.category(chr(code)) != "Cn"}
    assert not extra, [hex(code) for code in sorted(extra)]
    if unicodedata.unidata_version == "15.1.0":  # the version the table follows
        assert matched == expected


def test_the_pattern_is_written_out_not_computed_at_import():
    # `kubectl sidecars --help` imports the sanitiser: it must not look at 1.1 million code points to start
    probe = "import sys, kubectl_sidecars.sanitize; print('unicodedata' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert result.stdout == "False\n", result.stderr
    assert CONTROL.pattern.startswith("[") and CONTROL.pattern.endswith("]") and len(CONTROL.pattern) < 600


@pytest.mark.parametrize("code, shown", [
    (0x061C, "\\u061c"), (0x180E, "\\u180e"), (0x206A, "\\u206a"), (0x206F, "\\u206f"), (0xFFF9, "\\ufff9"),
    (0xFFFB, "\\ufffb"), (0x00AD, "\\xad"), (0x0600, "\\u0600"), (0x06DD, "\\u06dd"), (0x070F, "\\u070f"),
    (0x2061, "\\u2061"), (0xFEFF, "\\ufeff"), (0x110BD, "\\U000110bd"), (0x13430, "\\U00013430"),
    (0x1D173, "\\U0001d173"), (0xE0001, "\\U000e0001"), (0xE0041, "\\U000e0041"), (0xE007F, "\\U000e007f"),
    (0xD800, "\\ud800"), (0xDCFF, "\\udcff"), (0x115F, "\\u115f"), (0x1160, "\\u1160"), (0x3164, "\\u3164"),
    (0xFFA0, "\\uffa0"), (0x034F, "\\u034f"), (0x2028, "\\u2028"), (0x2029, "\\u2029"),
])
def test_invisible_characters_are_shown_as_escapes(code, shown):
    assert clean(f"a{chr(code)}b") == f"a{shown}b"


def test_every_neutralised_character_becomes_printable_ascii():
    for code in code_points_of(CONTROL):
        shown = clean(chr(code))
        assert shown.startswith("\\") and shown.isascii() and shown.isprintable(), hex(code)


@pytest.mark.parametrize("text", [
    "web-7d9c6b5f4-x2x9q", "café naïve Ångström", "日本語のポッド", "한국어", "中文 繁體", "emoji 😀🚀👍🏽",
    "flag 🇩🇪", "Ελληνικά Русский עברית العربية", "ascii !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
    "non-breaking\xa0space", "combining e\u0301", "variation \u2764\ufe0f",
])
def test_ordinary_text_passes_unchanged(text):
    assert clean(text) == text


def test_the_zero_width_joiner_is_shown_even_inside_an_emoji_sequence():
    # U+200D is a format character (Cf) like the other zero-width ones: a family emoji shows its parts
    assert clean("\U0001f468\u200d\U0001f469") == "\U0001f468\\u200d\U0001f469"


def test_clean_keeping_lines_keeps_only_the_line_breaks():
    assert clean_keeping_lines("error: a\x1b[2Jb\r\nnext\u202e\n") == "error: a\\x1b[2Jb\\r\nnext\\u202e\n"


# ---------------------------------------------------------------- documents: escaped, and read back unchanged

EVERY = "".join(chr(code) for code in sorted(code_points_of(CONTROL)) if not 0xD800 <= code <= 0xDBFF)
HOSTILE_DOCUMENT = {
    "every": "<" + EVERY + ">",
    "surrogates": ["\udcff", "\ud800", "x\udc80y"],  # bytes that were not UTF-8, and lone UTF-16 halves
    "tags": "\U000e0001\U000e0065\U000e006e\U000e007f",
    "ordinary": ["日本語", "😀 café", "line\nbreak", "tab\there"],
    "long": "word " * 40 + "\u200b" + "z" * 10,
    "\u202ekey": "value",
}


@pytest.mark.parametrize("output, load", [("json", json.loads), ("yaml", yaml.safe_load)])
def test_documents_escape_every_neutralised_character_and_read_back_unchanged(output, load):
    text = dump(HOSTILE_DOCUMENT, output)
    assert not CONTROL.search(text.replace("\n", ""))
    text.encode("utf-8")  # strict: no lone surrogate left
    assert load(text) == HOSTILE_DOCUMENT


def test_json_spells_characters_beyond_the_bmp_as_surrogate_pairs():
    assert escape_json(json.dumps({"tag": "\U000e0041"}, ensure_ascii=False)) == '{"tag": "\\udb40\\udc41"}'


def test_json_is_valid_for_strict_readers():
    # a lone surrogate is escaped, so the bytes are UTF-8 and the text is JSON (RFC 8259 section 7)
    text = dump({"name": "a\udcffb"}, "json")
    assert json.loads(text.encode("utf-8").decode("utf-8", "strict")) == {"name": "a\udcffb"}
    assert "\\udcff" in text


def test_the_fast_check_agrees_with_the_pattern_on_every_character():
    """has_control() tells printable ASCII apart without the pattern: it must answer as the pattern does."""
    from kubectl_sidecars.sanitize import CONTROL, has_control

    for code in range(0x110000):
        text = "a" + chr(code) + "b"
        assert has_control(text) == (CONTROL.search(text) is not None), hex(code)
