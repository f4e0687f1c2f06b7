"""Strings from the cluster, the kubeconfig or the command line reach a terminal only through here: a pod
name, a termination message or a flag's value must not be able to move the cursor, change colours, reorder
text (bidi controls), hide text (zero-width and tag characters) or rewrite earlier lines.

The characters neutralised are Unicode's general categories Cc (C0, DEL, C1), Cf (formatting: bidi
controls, zero-width characters, the soft hyphen, tag characters...), Cs (lone surrogates: Python's
surrogateescape stand-ins for bytes that are not UTF-8), Zl and Zp (line and paragraph separators), plus
the fillers that display as nothing (Hangul fillers U+115F, U+1160, U+3164, U+FFA0, and the combining
grapheme joiner U+034F). The table follows Unicode 15.1; tests/unit/test_sanitize.py checks it against the
running Python's unicodedata.

Two ways out:
- clean(): for tables, reports and stderr, each character made visible as Python spells it in a string
  literal: C0, DEL and C1 as \\xNN (\\t, \\n, \\r for those three), others as \\uXXXX or \\UXXXXXXXX;
- escape_json() / escape_yaml(): for documents, the same characters as the format's own escapes, so a
  reader gets the original value back.
"""

import re

CONTROL = re.compile(
    "["
    r"\x00-\x1f\x7f-\x9f"  # C0, DEL, C1
    r"\xad\u034f"  # soft hyphen, combining grapheme joiner
    r"\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2"  # Arabic and Syriac format marks, Arabic letter mark
    r"\u115f\u1160\u180e"  # Hangul fillers, Mongolian vowel separator
    r"\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f"  # zero-width, bidi, separators, invisible operators
    r"\u3164\ud800-\udfff\ufeff\uffa0\ufff9-\ufffb"  # filler, surrogates, BOM, halfwidth filler, annotations
    r"\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    r"\U000e0001\U000e0020-\U000e007f"  # language tag, tag characters
    "]")
# The same characters but the line break: a document's own line breaks stay as they are, and matching each
# of them would cost a call per line of output.
_IN_DOCUMENTS = re.compile(CONTROL.pattern.replace(r"\x00-\x1f", r"\x00-\x09\x0b-\x1f", 1))


def _visible(match) -> str:
    return match.group().encode("unicode_escape").decode("ascii")


def has_control(text: str) -> bool:
    """Whether the text holds a character above. Printable ASCII, most text from a cluster, is told at C
    speed (for ASCII, printable means none of C0 and DEL, the only ASCII characters above)."""
    return not (text.isascii() and text.isprintable()) and CONTROL.search(text) is not None


def clean(value) -> str:
    """One cell or one line of text as it may be shown: every character above becomes a visible escape."""
    if value is None:
        return ""
    text = str(value)
    if not has_control(text):
        return text
    return CONTROL.sub(_visible, text)


def clean_keeping_lines(text: str) -> str:
    """Text for stderr: clean() line by line, the line breaks kept."""
    return "\n".join(clean(line) for line in text.split("\n"))


def _json_escape(match) -> str:
    code = ord(match.group())  # never a line break: JSON writes those inside strings as \n itself
    if code > 0xFFFF:  # JSON spells a character beyond the BMP as a UTF-16 surrogate pair
        code -= 0x10000
        return "\\u%04x\\u%04x" % (0xD800 + (code >> 10), 0xDC00 + (code & 0x3FF))
    return "\\u%04x" % code


def _yaml_escape(match) -> str:
    code = ord(match.group())
    return ("\\u%04x" if code <= 0xFFFF else "\\U%08x") % code


def escape_json(document: str) -> str:
    """A JSON text (json.dumps with ensure_ascii=False) with the characters above as \\u escapes."""
    return _IN_DOCUMENTS.sub(_json_escape, document)


def escape_yaml(document: str) -> str:
    """A YAML text whose strings holding such characters are double-quoted, which makes \\u and \\U escapes
    inside them mean the original characters."""
    return _IN_DOCUMENTS.sub(_yaml_escape, document)
