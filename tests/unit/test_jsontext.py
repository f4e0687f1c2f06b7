"""The JSON writer gives the bytes of json.dumps(indent=2, ensure_ascii=False) + escape_json, on any value."""

import json

from hypothesis import given
from hypothesis import strategies as st

from kubectl_sidecars.render.jsontext import json_text
from kubectl_sidecars.sanitize import escape_json
from tests.unit.hunting import profile

PROFILE = profile(40)

TEXT = st.text(st.characters(codec="utf-8") | st.sampled_from("\x00\x1b\x7f\x85\u200e\u2028\ufeff\U000e0041\n\"\\"))
SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | TEXT
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
    TEXT | st.integers(), inner, max_size=4), max_leaves=30)


def reference(value, indent: str = "") -> str:
    return escape_json(json.dumps(value, indent=2, ensure_ascii=False)).replace("\n", "\n" + indent)


@PROFILE
@given(VALUES)
def test_same_text_as_the_standard_library(value):
    assert json_text(value) == reference(value)


@PROFILE
@given(VALUES, st.sampled_from(["", "  ", "    "]))
def test_same_text_at_any_depth(value, indent):
    assert json_text(value, indent) == reference(value, indent)


def test_a_string_seen_again_is_encoded_the_same_way():
    hostile = "log\u202eshipper\x7f"
    assert json_text([hostile, hostile, "plain"]) == reference([hostile, hostile, "plain"])
    assert "\\u202e" in json_text(hostile) and "\\u007f" in json_text(hostile)
