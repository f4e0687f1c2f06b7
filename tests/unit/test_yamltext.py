"""render/yamltext.py writes the bytes PyYAML's dumper writes: for the documents of every example, and for
random documents of hostile strings, odd keys, floats, nesting, empty and shared containers.

Runs are reproducible (derandomised) and sized for CI; `KUBECTL_SIDECARS_HYPOTHESIS=hunt` runs many more
random examples for a local search."""

import copy
import string
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubectl_sidecars.engine import judge
from kubectl_sidecars.files import load_objects
from kubectl_sidecars.model.timeutil import parse_time
from kubectl_sidecars.render.structured import diagnosis_document, status_document
from kubectl_sidecars.render.yamltext import Anchors, document, pyyaml_dump, sequence_item
from kubectl_sidecars.snapshot import Snapshot
from tests.unit.hostile import HOSTILE_STRINGS
from tests.unit.hunting import profile

PROFILE = profile(100)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
AFTER_EVERY_EXAMPLE = parse_time("2026-11-21T00:00:00Z")

# ---------------------------------------------------------------- strategies

# strings PyYAML does not write plain: resolved as another type, indicators, quotes, breaks, escapes
TRICKY = ("", " ", "~", "null", "Null", "yes", "No", "on", "OFF", "true", "=", "<<", "!", "&", "*", "0x1f", "0o17",
          "017", "0b101", "1e3", "1.0e+3", "1_000", "1:20", "190:20:30", ".inf", "-.Inf", ".NaN", "+1", "-1", "0",
          "2026-01-01", "2026-01-01T10:00:00Z", "2026-1-1 10:00:00", "a: b", "a:", ":a", "# c", "a #c", "a#c",
          "-", "- a", "-a", "--- a", "...", "? a", "?a", "'", "''", '"', "'a'", '"a"', "a'b", "%a", "@a", "`a", "|",
          ">", "{a}", "[a]", "a,b", "a, b", "a\nb", "a\n\nb\n", "\n", "a\n", " a", "a ", "a\tb", "\t", "\\",
          "é", "日本語", "\U0001f600", "\U0010ffff", "\ufffe", "\x85", "\xa0", "\ud800", "registry.example:5000/a:1.0",
          "app.kubernetes.io/name", "k" * 130, "x" * 300)
WORDS = st.sampled_from(("a", "bb", "word", "longer-word", "x" * 30, "", ":", "#", "-", "'", '"', "\\", "é"))
ALPHABET = st.one_of(st.sampled_from(string.ascii_letters + string.digits + " :#-?'\"\\,[]{}!&*|>%@`.\n\t"),
                     st.sampled_from(sorted({ch for text in HOSTILE_STRINGS for ch in text})),
                     st.characters(exclude_categories=()))

text = st.one_of(
    st.sampled_from(TRICKY + tuple(h for h in HOSTILE_STRINGS if len(h) < 1000)),
    st.text(ALPHABET, max_size=30),
    # long strings with spaces, which PyYAML folds at column 80 wherever they start
    st.lists(WORDS, min_size=5, max_size=40).map(" ".join),
    st.lists(st.one_of(WORDS, st.text(ALPHABET, max_size=4)), min_size=5, max_size=40).map(" ".join),
)
names = st.one_of(st.sampled_from(("name", "image", "a", "startedAt", "app.kubernetes.io/name", "k" * 100)), text)
odd_keys = st.one_of(names, st.integers(-3, 3), st.none(), st.booleans(), st.floats())
# what the documents hold; floats only in the odd values (PyYAML writes them, see yamltext._scalar)
scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-2 ** 70, max_value=2 ** 70), text)
odd_scalars = st.one_of(scalars, st.floats(allow_nan=True, allow_infinity=True))


class Slot:
    """A place in a drawn tree for one of the shared containers."""

    def __init__(self, number: int):
        self.number = number


def filled(value, shared: list):
    """The tree with each Slot replaced by a shared container itself (not a copy)."""
    if isinstance(value, Slot):
        return shared[value.number % len(shared)] if shared else None
    if isinstance(value, dict):
        return {key: filled(item, shared) for key, item in value.items()}
    if isinstance(value, list):
        return [filled(item, shared) for item in value]
    return value


def sharing(keys=names, leaves=scalars):
    """Values whose leaves may be the same few containers, several times over (PyYAML anchors them)."""
    pools = st.lists(st.one_of(st.lists(leaves, max_size=3), st.dictionaries(keys, leaves, max_size=3)), max_size=3)
    tree = st.recursive(st.one_of(leaves, st.integers(0, 2).map(Slot)),
                        lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
                        max_leaves=20)
    return st.tuples(tree, pools).map(lambda drawn: filled(*drawn))


# ---------------------------------------------------------------- properties


@PROFILE
@given(st.dictionaries(names, sharing(), min_size=1, max_size=6))
def test_a_document_is_pyyamls_text(mapping):
    assert document(mapping) == pyyaml_dump(mapping)


@PROFILE
@given(st.dictionaries(odd_keys, sharing(odd_keys, odd_scalars), min_size=1, max_size=6))
def test_odd_keys_and_values_are_pyyamls_text(mapping):
    assert document(mapping) == pyyaml_dump(mapping)


@PROFILE
@given(st.lists(sharing(), min_size=1, max_size=5))
def test_items_written_one_by_one_make_pyyamls_sequence(items):
    anchors = Anchors()
    assert "pods:\n" + "".join(sequence_item(item, anchors) for item in items) == pyyaml_dump({"pods": items})


def test_an_item_left_to_pyyaml_keeps_the_numbering_of_the_anchors_before_it():
    shared_list, shared_mapping = [], {"": None}  # an empty key is written `? ''`: PyYAML writes that item
    items = [[shared_list, shared_list], [shared_mapping, shared_mapping]]
    anchors = Anchors()
    assert "pods:\n" + "".join(sequence_item(item, anchors) for item in items) == pyyaml_dump({"pods": items})


@PROFILE
@given(st.lists(text, min_size=1, max_size=4), st.integers(0, 6), st.integers(1, 90))
def test_strings_fold_as_pyyaml_folds_them_at_any_depth_and_column(values, depth, key_length):
    """The same strings at many columns and indents: a string remembered from one place is not reused where
    PyYAML would fold it differently."""
    for value in values:
        nested = {"k" * key_length: value, "items": [value, [value]]}
        for _ in range(depth):
            nested = {"a": nested, "b": [copy.deepcopy(nested)]}
        assert document(nested) == pyyaml_dump(nested)


EDGES = TRICKY + (" a b", "a b ", "' a", "a '", "  a", "a  b", "a\x01 b", "\x01 a", " \x01", "a \x01", "\x01\x02",
                  "x" * 70 + " " + "y" * 20, "x" * 70 + "  " + "y" * 20, "\x01" * 30 + " a")


@pytest.mark.parametrize("key_length", [1, 40, 60, 76, 77, 78, 79, 80, 81, 100, 118])
def test_strings_starting_around_the_fold_column(key_length):
    """Every tricky string as a value starting on both sides of column 80, in a mapping and in a sequence."""
    for value in EDGES:
        for nested in ({"k" * key_length: value}, {"a": {"k" * key_length: [value, [value]]}}):
            assert document(nested) == pyyaml_dump(nested), value


# ---------------------------------------------------------------- examples


def diagnosis_of(path: Path):
    objects = load_objects([str(path)])
    kinds = {"Pod": [], "Job": [], "Event": [], "Node": []}
    workloads = []
    for entry in objects:
        kinds.get(entry.get("kind"), workloads).append(entry)
    snapshot = Snapshot.of(AFTER_EVERY_EXAMPLE, pods=kinds["Pod"], jobs=kinds["Job"], events=kinds["Event"],
                           nodes=kinds["Node"], workloads=workloads)
    return judge(snapshot, strict=True)


EXAMPLE_DOCUMENTS = {f"{path.name}:{build.__name__}": build(diagnosis_of(path))
                     for path in sorted(EXAMPLES.glob("*.yaml")) for build in (status_document, diagnosis_document)}


@pytest.mark.parametrize("name", sorted(EXAMPLE_DOCUMENTS))
def test_every_example_document_is_pyyamls_text(name):
    mapping = EXAMPLE_DOCUMENTS[name]
    assert document(mapping) == pyyaml_dump(mapping)
    anchors = Anchors()
    assert "pods:\n" + "".join(sequence_item(pod, anchors) for pod in mapping["pods"]) == \
        pyyaml_dump({"pods": mapping["pods"]})


def test_an_example_pod_and_its_objects_as_read():
    for path in sorted(EXAMPLES.glob("*.yaml")):
        for entry in load_objects([str(path)]):
            assert document(entry) == pyyaml_dump(entry), path.name
