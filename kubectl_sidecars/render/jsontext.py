"""JSON text as `json.dumps(value, indent=2, ensure_ascii=False)` writes it, then sanitize.escape_json, at a
fraction of the cost: with an indent, the standard library encodes in pure Python through one generator per
container; here one function appends to a list, strings go through the C string encoder, and the sanitiser
only reads the strings that can hold what it escapes."""

import json
from json.encoder import encode_basestring
from typing import Callable, Dict, List, Optional

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


def _scalar(value) -> Optional[str]:
    """The text of a string, null, boolean or int; None for anything else."""
    kind = type(value)
    if kind is str:
        return _encoded(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if kind is int:
        return int.__repr__(value)
    return None


def _append(value, indent: str, out: List[str]) -> None:
    """Scalars are written in their container's loop (most values are scalars: a call each would cost more
    than writing them)."""
    kind = type(value)
    if kind is dict:
        if not value:
            out.append("{}")
            return
        start, inner = len(out), indent + "  "
        separator = "{\n" + inner
        for key, item in value.items():
            if type(key) is not str:  # the standard library turns such keys into strings its own way
                del out[start:]
                out.append(_standard(value, indent))
                return
            text = _scalar(item)
            if text is not None:
                out.append(separator + _encoded(key) + ": " + text)
            else:
                out.append(separator + _encoded(key) + ": ")
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
            text = _scalar(item)
            if text is not None:
                out.append(separator + text)
            else:
                out.append(separator)
                _append(item, inner, out)
            separator = ",\n" + inner
        out.append("\n" + indent + "]")
    else:
        out.append(_scalar(value) or _standard(value, indent))


def _standard(value, indent: str) -> str:
    """Floats, keys that are not strings, tuples...: the standard library's spelling, at this depth."""
    return escape_json(json.dumps(value, indent=2, ensure_ascii=False)).replace("\n", "\n" + indent)


def json_text(value, indent: str = "") -> str:
    """`value` as it appears in an indented document at `indent` (its first line not indented)."""
    out: List[str] = []
    _append(value, indent, out)
    return "".join(out)
