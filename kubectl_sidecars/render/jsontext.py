"""JSON text as `json.dumps(value, indent=2, ensure_ascii=False)` writes it, then sanitize.escape_json, at a
fraction of the cost: with an indent, the standard library encodes in pure Python through one generator per
container; here one function appends to a list, strings go through the C string encoder, and the sanitiser
only reads the strings that can hold what it escapes."""

import json
from json.encoder import encode_basestring
from typing import Callable, Dict, List

from kubectl_sidecars.sanitize import escape_json, has_control

# Strings seen again (keys, states, images, remedies) are encoded once.
_MEMO_LIMIT = 4096


def _string_encoder() -> Callable[[str], str]:
    memo: Dict[str, str] = {}

    def encoded(text: str) -> str:
        found = memo.get(text)
        if found is None:
            found = encode_basestring(text)
            # ASCII text: the encoder already escaped C0 controls; DEL is the only one left (str.isascii is O(1))
            if has_control(text):
                found = escape_json(found)
            if len(memo) < _MEMO_LIMIT:
                memo[text] = found
        return found
    return encoded


_encoded = _string_encoder()


def _append(value, indent: str, out: List[str]) -> None:
    kind = type(value)
    if kind is str:
        out.append(_encoded(value))
    elif kind is dict and all(type(key) is str for key in value):
        if not value:
            out.append("{}")
            return
        inner = indent + "  "
        separator = "{\n" + inner
        for key, item in value.items():
            out.append(separator)
            out.append(_encoded(key))
            out.append(": ")
            _append(item, inner, out)
            separator = ",\n" + inner
        out.append("\n" + indent + "}")
    elif kind is list:
        if not value:
            out.append("[]")
            return
        inner = indent + "  "
        separator = "[\n" + inner
        for item in value:
            out.append(separator)
            _append(item, inner, out)
            separator = ",\n" + inner
        out.append("\n" + indent + "]")
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif kind is int:
        out.append(int.__repr__(value))
    else:  # floats, keys that are not strings, tuples...: the standard library's spelling, at this depth
        out.append(escape_json(json.dumps(value, indent=2, ensure_ascii=False)).replace("\n", "\n" + indent))


def json_text(value, indent: str = "") -> str:
    """`value` as it appears in an indented document at `indent` (its first line not indented)."""
    out: List[str] = []
    _append(value, indent, out)
    return "".join(out)
