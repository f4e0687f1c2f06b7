"""-o yaml text with the bytes of PyYAML's pure-Python dumper, written without its event-by-event emitter.

PyYAML writes the block style by rules simple enough to follow here (yaml/emitter.py): a nested mapping is
indented by 2, a sequence that is a mapping's value is not indented (`key:` then `- item` at the key's
column), a mapping or a sequence that is an item starts on the `- ` line, empty collections are `[]` and
`{}`, a container met twice gets an anchor `&idNNN` and is an alias `*idNNN` after (yaml/serializer.py
numbers anchors in the order the second meetings come). The one hard part is the text of a string: its
style (plain, quoted) and where a long one is folded depend on the string and on the column and indent it
starts at. A string is written here only where its style is sure (the conservative patterns below: a
string with a character of sanitize.CONTROL, printable ASCII), folded by PyYAML's rules; any other as PyYAML
wrote it in the same place (asked through a tiny document that puts it there). Strings repeat (names,
images, states, messages): each is remembered with its text. Anything else (a key that is not a simple
string key, a type the documents do not hold) is PyYAML's own text for the whole top-level item.
"""

import re
from functools import lru_cache
from typing import Callable, Dict, List, Optional, Set, Tuple

from kubectl_sidecars.sanitize import has_control

# Printable ASCII without spaces, quotes, flow brackets, '#', ',' or a first character PyYAML reads as an
# indicator ('-', '.', '?', ':', '!', '&', '*', '@', ...) and without a ':' at the end (a ':' then a space
# or the end is a block indicator): such a string can never be folded, has no character PyYAML escapes,
# and its analysis (emitter.py analyze_scalar) allows the block plain style and single quotes. So it is
# written plain when the resolvers read it back as a string, else single-quoted, at any column.
SIMPLE = re.compile(r"[A-Za-z0-9_/][A-Za-z0-9_./@+=:-]*(?<!:)")
# A plain or single-quoted string with none of these is one piece of text wherever it starts: PyYAML
# folds only at spaces and breaks (write_plain, write_single_quoted); double quotes also fold at escapes.
FOLDS_AT = re.compile("[ \n\x85\u2028\u2029]")
# Printable ASCII prose, whose style is sure: single quotes where the plain style is not allowed for sure
# (a leading or trailing space, ': ' or a final ':', ' #': analyze_scalar's block indicators) or where the
# resolvers read it as another type; plain where it starts with a character that is no indicator.
PROSE = re.compile(r"[ -~]*")
NOT_PLAIN = re.compile(r"^ | $|: |:$| #")
PLAIN_PROSE = re.compile(r"[A-Za-z0-9_/(][ -~]*(?<! )")
# What write_double_quoted escapes (with allow_unicode): '"', '\\', breaks, the BOM, and all that is not
# printable ASCII or in the ranges below.
ESCAPED = re.compile(r'["\\\x85\u2028\u2029\ufeff]|[^\x20-\x7e\xa0-\ud7ff\ue000-\ufffd]')
SPACE_RUNS = re.compile(" +|[^ ]+")
BEST_WIDTH = 80  # the emitter's default width: past this column a space (or an escape) becomes a line break
STR_TAG = "tag:yaml.org,2002:str"
MEMO_LIMIT = 4096  # strings remembered at most (a few MB): the memo starts again past that


@lru_cache(maxsize=None)
def dumper_class():
    """PyYAML's SafeDumper, with strings holding a character of sanitize.CONTROL double-quoted (the only
    style whose escapes escape_yaml can extend to those characters)."""
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    Dumper.add_representer(str, lambda dumper, text: dumper.represent_scalar(
        STR_TAG, text, style='"' if has_control(text) else None))
    return Dumper


def pyyaml_dump(value) -> str:
    """PyYAML's text of a value. The pure-Python dumper even where libyaml exists: the two wrap long strings
    differently, and the krew archive (pure Python only) must print what the pip install prints."""
    import yaml

    return yaml.dump(value, Dumper=dumper_class(), sort_keys=False, default_flow_style=False,
                     allow_unicode=True)


class _Unusual(Exception):
    """Something this writer leaves to PyYAML."""


class Anchors:
    """How many anchors a document has named so far: items written one by one carry the count over."""

    def __init__(self) -> None:
        self.named = 0


class Memo:
    """The strings already written: {text: its text at any column} for those that do not fold, {(text,
    column, indent): its text there} for those that may, {key: its text, or None if not a simple key}."""

    def __init__(self) -> None:
        self.anywhere: Dict[str, str] = {}
        self.placed: Dict[Tuple[str, int, int], str] = {}
        self.keys: Dict[str, Optional[str]] = {}


MEMO = Memo()


@lru_cache(maxsize=None)
def _resolver():
    import io

    return dumper_class()(io.StringIO())


def _reads_as_string(text: str) -> bool:
    from yaml.nodes import ScalarNode

    return _resolver().resolve(ScalarNode, text, (True, False)) == STR_TAG


def _remember(table: dict, key, text):
    if len(table) >= MEMO_LIMIT:
        table.clear()
    table[key] = text
    return text


def _placed(text: str, column: int, indent: int) -> str:
    """PyYAML's text of a string value starting at `column` (just after `key:` or `-`), folded lines at
    `indent`: read from a document that puts the same string in the same place."""
    mapping_indent = indent - 2
    key = "k" * (column - mapping_indent - 1)
    if key:
        value, line = {key: text}, key + ":"
    else:  # an item of a sequence, its `-` at the mapping's indent
        value, line = {"a": [text]}, "a:\n" + " " * mapping_indent + "-"
    for _ in range(0, mapping_indent, 2):
        value = {"a": value}
    prefix = "".join(" " * level + "a:\n" for level in range(0, mapping_indent, 2)) + " " * mapping_indent + line
    written = pyyaml_dump(value)
    if not written.startswith(prefix):  # a key of 123 characters or more is written `? key` (check_simple_key)
        raise _Unusual
    return written[len(prefix):-1]


def _folded(text: str, column: int, indent: int) -> Optional[str]:
    """A string value written as PyYAML writes it, where its style is sure: double quotes for a string
    holding a character of sanitize.CONTROL (dumper_class), plain or single quotes for printable ASCII
    (PROSE); None for the others."""
    if has_control(text):
        return _double_quoted(text, column, indent)
    if not PROSE.fullmatch(text):
        return None
    if NOT_PLAIN.search(text) or not _reads_as_string(text):
        return _spaced(text, column + 2, indent, " '", "'", quoted=True)
    if PLAIN_PROSE.fullmatch(text):
        return _spaced(text, column + 1, indent, " ", "", quoted=False)
    return None


def _spaced(text: str, column: int, indent: int, opening: str, closing: str, quoted: bool) -> str:
    """Plain or single-quoted text (write_plain, write_single_quoted): a lone space met past BEST_WIDTH
    becomes a line break and the indent (in quotes, not the first or last character); longer runs of
    spaces stay. `column`: where the text itself starts."""
    parts = [opening]
    position = 0
    for run in SPACE_RUNS.findall(text):
        end = position + len(run)
        if len(run) == 1 and run == " " and column > BEST_WIDTH and (not quoted or 0 < position and end < len(text)):
            parts.append("\n" + " " * indent)
            column = indent
        else:
            run = run.replace("'", "''") if quoted else run
            parts.append(run)
            column += len(run)
        position = end
    parts.append(closing)
    return "".join(parts)


def _double_quoted(text: str, column: int, indent: int) -> str:
    """Double-quoted text (write_double_quoted): the characters of ESCAPED escaped; past BEST_WIDTH, at a
    space or an escape (or just after one), the line ends with a backslash and goes on at the indent, a
    leading space there escaped."""
    from yaml.emitter import Emitter

    escapes = {match.start() for match in ESCAPED.finditer(text)}
    places = sorted(escapes | {at + 1 for at in escapes} | {match.start() for match in re.finditer(" ", text)})
    parts = [' "']
    column += 2
    start = 0
    last = len(text) - 1
    for at in places:
        if at in escapes:
            character = text[at]
            replacement = Emitter.ESCAPE_REPLACEMENTS.get(character)
            code = ord(character)
            escape = "\\" + replacement if replacement else (
                "\\x%02X" if code <= 0xFF else "\\u%04X" if code <= 0xFFFF else "\\U%08X") % code
            parts += [text[start:at], escape]
            column += at - start + len(escape)
            start = at + 1
        if 0 < at < last and (text[at] == " " or start >= at) and column + at - start > BEST_WIDTH:
            parts += [text[start:at], "\\\n", " " * indent]
            start = max(start, at)
            column = indent
            if text[start] == " ":
                parts.append("\\")
                column += 1
    parts += [text[start:], '"']
    return "".join(parts)


def _string(text: str, column: int, indent: int) -> str:
    """A string value as PyYAML writes it after `key:` or `-` (with its leading space)."""
    found = MEMO.anywhere.get(text)
    if found is not None:
        return found
    if SIMPLE.fullmatch(text):
        return _remember(MEMO.anywhere, text, " " + text if _reads_as_string(text) else " '" + text + "'")
    place = (text, column, indent)
    found = MEMO.placed.get(place)
    if found is not None:
        return found
    written = _folded(text, column, indent) or _placed(text, column, indent)
    if written[1:2] != '"' and not FOLDS_AT.search(text):
        return _remember(MEMO.anywhere, text, written)
    return _remember(MEMO.placed, place, written)


def _key(key) -> str:
    """A mapping key as PyYAML writes it, when it is a simple key (`key:`) PyYAML writes the same at any
    column: a string of one line (keys are never folded), shorter than 128 characters."""
    if type(key) is not str:
        raise _Unusual
    found = MEMO.keys.get(key, "")
    if found == "":
        written = pyyaml_dump({key: None})
        found = None if written.startswith("? ") else written[:-len(": null\n")]
        _remember(MEMO.keys, key, found)
    if found is None:
        raise _Unusual
    return found


def _scalar(value, column: int, indent: int) -> str:
    kind = type(value)
    if kind is str:
        return _string(value, column, indent)
    if value is None:
        return " null"
    if kind is bool:
        return " true" if value else " false"
    if kind is int:
        return " " + str(value)  # an int's digits read back as that int: plain (SafeRepresenter.represent_int)
    raise _Unusual  # floats (.nan, 1.0e+20...), int subclasses, other types: PyYAML's text


def _walk(value, enter: Callable[[object], bool]) -> None:
    """Shows `enter` the dicts and lists of a value depth first, as yaml/serializer.py anchor_node meets
    them, and goes into those it answers True for."""
    stack = [value]
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind is dict or kind is list:
            if enter(node):
                stack.extend(reversed(node.values() if kind is dict else node))
        elif not (node is None or isinstance(node, (str, bytes, bool, int, float)) or node == ()):
            raise _Unusual  # PyYAML represents it (and may alias it) in ways not followed here


class _Writer:
    """One document, or one item of a top-level sequence: anchors named first, then the text."""

    def __init__(self, root, anchors: Anchors) -> None:
        self.anchor_of: Dict[int, str] = {}
        self.written: Set[int] = set()
        self.parts: List[str] = []
        # _walk with the meeting inlined (every item of a long document is walked): a container met a
        # second time is named, in the order of the second meetings, and not entered again.
        met: Set[int] = set()
        stack = [root]
        while stack:
            node = stack.pop()
            kind = type(node)
            if kind is dict or kind is list:
                identity = id(node)
                if identity not in met:
                    met.add(identity)
                    stack.extend(reversed(node.values() if kind is dict else node))
                elif identity not in self.anchor_of:
                    anchors.named += 1
                    self.anchor_of[identity] = "id%03d" % anchors.named
            elif not (node is None or isinstance(node, (str, bytes, bool, int, float)) or node == ()):
                raise _Unusual

    def holds_anchor(self, value) -> bool:
        """Whether `value` holds a container with an anchor (so PyYAML alone cannot write it apart)."""
        anchored: List[bool] = []

        def enter(node) -> bool:
            anchored.append(id(node) in self.anchor_of)
            return True

        _walk(value, enter)
        return any(anchored)

    def _on_this_line(self, value, column: int, indent: int) -> Optional[str]:
        """Writes a scalar (starting at `column`, folded at `indent`), an alias or an empty collection, all
        ending the current line, and returns None; for a collection with entries or items, returns the
        anchor (' &idNNN' or '') its caller writes before them."""
        kind = type(value)
        if kind is not dict and kind is not list:
            self.parts.append(_scalar(value, column, indent) + "\n")
            return None
        if not self.anchor_of:  # the usual case: a tree
            if not value:
                self.parts.append(" {}\n" if kind is dict else " []\n")
                return None
            return ""
        name = self.anchor_of.get(id(value))
        if name is not None and id(value) in self.written:
            self.parts.append(" *" + name + "\n")
            return None
        anchor = ""
        if name is not None:
            self.written.add(id(value))
            anchor = " &" + name
        if not value:
            self.parts.append(anchor + (" {}\n" if kind is dict else " []\n"))
            return None
        return anchor

    def mapping_value(self, value, indent: int, column: int) -> None:
        """A value after `key:` (the key at `indent`, the colon ending at `column`)."""
        anchor = self._on_this_line(value, column, indent + 2)
        if anchor is None:
            return
        self.parts.append(anchor + "\n")
        if type(value) is dict:
            self.entries(value, indent + 2, inline=False)
            return
        for item in value:  # a mapping's sequence is not indented (emitter.py: indentless)
            self.parts.append(" " * indent + "-")
            self.sequence_item(item, indent)

    def entries(self, mapping: dict, indent: int, inline: bool) -> None:
        """A mapping's entries at `indent`; `inline`: the first one goes on the current line (after `- `)."""
        margin = " " * indent
        for key, value in mapping.items():
            text = _key(key)
            self.parts.append(text + ":" if inline else margin + text + ":")
            inline = False
            self.mapping_value(value, indent, indent + len(text) + 1)

    def sequence_item(self, value, indent: int) -> None:
        """An item after its `-` (written at `indent`)."""
        inner = indent + 2
        anchor = self._on_this_line(value, indent + 1, inner)
        if anchor is None:
            return
        self.parts.append(anchor + "\n" if anchor else " ")  # without an anchor, the first entry or item is here
        if type(value) is dict:
            self.entries(value, inner, inline=not anchor)
            return
        for position, item in enumerate(value):
            self.parts.append("-" if position == 0 and not anchor else " " * inner + "-")
            self.sequence_item(item, inner)

    def text(self) -> str:
        return "".join(self.parts)


def document(mapping: dict) -> str:
    """yaml.dump(mapping) with pyyaml_dump's settings, the same text."""
    if type(mapping) is not dict or not mapping:
        return pyyaml_dump(mapping)
    try:
        writer = _Writer(mapping, Anchors())
        for key, value in mapping.items():
            if type(value) is list and value and id(value) not in writer.anchor_of:
                writer.parts.append(_key(key) + ":\n")
                for item in value:
                    _item(writer, item)
                continue
            start = len(writer.parts)
            try:
                text = _key(key)
                writer.parts.append(text + ":")
                writer.mapping_value(value, 0, len(text) + 1)
            except _Unusual:
                del writer.parts[start:]
                writer.parts.append(_fallback(writer, value, {key: value}))
        return writer.text()
    except _Unusual:
        return pyyaml_dump(mapping)


def _fallback(writer: _Writer, value, wrapped) -> str:
    """PyYAML's text for a value the writer left, when it shares no container with the rest (else the
    whole document is PyYAML's)."""
    if writer.holds_anchor(value):
        raise _Unusual
    return pyyaml_dump(wrapped)


def _item(writer: _Writer, item) -> None:
    """One item of a top-level sequence, with its `-`."""
    start = len(writer.parts)
    try:
        writer.parts.append("-")
        writer.sequence_item(item, 0)
    except _Unusual:
        del writer.parts[start:]
        writer.parts.append(_fallback(writer, item, {"a": [item]})[len("a:\n"):])


def sequence_item(value, anchors: Optional[Anchors] = None) -> str:
    """The text of `value` as one item of a block sequence that is a top-level key's value (`- ...`), so
    that "key:\\n" + the items' texts is pyyaml_dump({"key": items}). Anchors are numbered on from
    `anchors` (one per sequence, shared by its items); no container may be shared between two items (the
    first would need an anchor before the second is known)."""
    anchors = anchors or Anchors()
    named_before = anchors.named
    try:
        writer = _Writer(value, anchors)
        _item(writer, value)
    except _Unusual:
        return _numbered_after(value, named_before)
    return writer.text()


def _numbered_after(value, named_before: int) -> str:
    """PyYAML's text of `value` as an item of a top-level sequence, its anchors numbered after
    `named_before` others: that many shared empty lists go first (`- - &idNNN []` then `  - *idNNN`), and
    their text is cut off."""
    shared = [[] for _ in range(named_before)]
    written = pyyaml_dump({"a": [[empty, empty] for empty in shared] + [value]})
    return written[len("a:\n") + sum(len("- - &id%03d []\n  - *id%03d\n" % (number, number))
                                      for number in range(1, named_before + 1)):]
