"""Strings from the cluster reach a terminal only through here: a pod name or a termination message
must not be able to move the cursor, change colours or rewrite earlier lines."""

import re

CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


def escape_unicode(text: str) -> str:
    """For JSON and YAML documents: the same characters as \\uXXXX escapes, which both formats read back as the
    original value (a YAML string holding one must be double-quoted). Line breaks are the documents' own."""
    return CONTROL.sub(lambda m: m.group() if m.group() == "\n" else "\\u%04x" % ord(m.group()), text)


def clean(value) -> str:
    """Render one cell: control characters become visible escapes (\\x1b, \\n, ...)."""
    if value is None:
        return ""
    text = str(value)
    if not CONTROL.search(text):
        return text
    return CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)
