"""Offline input (-f): whatever `kubectl get ... -o json|yaml` writes, from files, folders or stdin."""

import json
import os
import sys
from typing import Iterable, Iterator, List, Optional

from kubectl_sidecars.errors import ApiError, InputError
from kubectl_sidecars.model.shape import describe, problem, title
from kubectl_sidecars.selection import Selection, listing_key

EXTENSIONS = (".json", ".yaml", ".yml")


# Bounds on what one input may expand to. kubectl refuses YAML whose aliases expand excessively
# (sigs.k8s.io/yaml -> go-yaml v3's alias ratio check); a small budget of expanded nodes does the same here,
# so a few hundred bytes of nested aliases cannot make the plugin build or walk billions of nodes.
EXPANDED_NODES = 1_000_000
# Integers the API defines are at most int64 (19 digits); longer ones are kept as out-of-range numbers
# instead of being converted (Python refuses to convert more than 4300 digits, and would take long to).
LONGEST_INTEGER = 20


def _integer(text: str):
    return int(text) if len(text) <= LONGEST_INTEGER else float("inf")


def _loader():
    """PyYAML's safe loader, except that timestamps stay strings, as they are in JSON, and integers too long
    for the API become out-of-range numbers."""
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class Loader(base):
        pass

    def construct_int(loader, node):
        digits = str(node.value).lstrip("+-")
        return float("inf") if len(digits) > LONGEST_INTEGER else base.construct_yaml_int(loader, node)

    Loader.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))
    Loader.add_constructor("tag:yaml.org,2002:int", construct_int)
    return Loader


def _expanded_size(root) -> int:
    """How many nodes a YAML document holds once its aliases are expanded; a cycle counts as too many.
    Shared nodes are sized once (the graph is walked iteratively, each node once)."""
    sizes = {}
    stack = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            sizes[key] = min(EXPANDED_NODES + 1, 1 + sum(sizes[id(c)] for c in _children(node)))
            continue
        if key in sizes:
            if sizes[key] is None:  # reached again while its children are being sized: a cycle
                return EXPANDED_NODES + 1
            continue
        sizes[key] = None
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node))
    return sizes[id(root)]


def _children(node) -> list:
    value = node.value
    if isinstance(value, list):
        return [item for pair in value for item in pair] if value and isinstance(value[0], tuple) else value
    return []


def _yaml_documents(text: str) -> Iterator:
    loader = _loader()(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            if _expanded_size(node) > EXPANDED_NODES:
                raise InputError("excessive aliasing")
            yield loader.construct_document(node)
    finally:
        loader.dispose()


def parse_documents(text: str, source: str) -> List[dict]:
    stripped = text.lstrip()
    try:
        if stripped.startswith(("{", "[")):
            try:
                loaded = json.loads(text, parse_int=_integer)
                return loaded if isinstance(loaded, list) else [loaded]
            except ValueError:
                pass  # YAML is a superset of JSON: let the YAML parser say what is wrong.
        return [doc for doc in _yaml_documents(text) if doc is not None]
    except InputError as error:
        raise InputError(f"{source}: not valid YAML: {error}") from None
    except RecursionError:
        raise InputError(f"{source}: nested too deeply to be a Kubernetes object") from None
    except MemoryError:
        raise InputError(f"{source}: too large to read in the memory available") from None
    except Exception as error:  # PyYAML's own errors, and what its constructors raise on odd scalars
        import yaml

        if not isinstance(error, (yaml.YAMLError, ValueError, TypeError)):
            raise
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        problem = getattr(error, "problem", None) or "invalid YAML"
        raise InputError(f"{source}: not valid JSON or YAML{where}: {problem}") from None


def flatten_objects(document, source: str, where: str = "") -> Iterator[dict]:
    """Objects of a document, Lists opened; each object checked against the typed boundary (model.shape)."""
    if not isinstance(document, dict) or "kind" not in document:
        raise InputError(f"{source}: {where}not a Kubernetes object (no 'kind'); expected what "
                         "`kubectl get -o json|yaml` prints")
    kind = document["kind"]
    if kind == "List" or (isinstance(kind, str) and kind.endswith("List") and "items" in document):
        items = document.get("items")
        if items is not None and not isinstance(items, list):
            raise InputError(f"{source}: {where}{kind}: items: expected a list, got {describe(items)}")
        for index, item in enumerate(items or []):
            if isinstance(item, dict) and "kind" not in item and kind != "List":
                item = dict(item, kind=kind[:-len("List")])
            yield from flatten_objects(item, source, f"{where}items[{index}]: ")
        return
    found = problem(document)
    if found is not None:
        raise InputError(f"{source}: {title(document)}: {found}")
    yield document


def read_input(path: str) -> str:
    """The text of one input; bytes that are not UTF-8 decode as U+FFFD, as kubectl's would show."""
    try:
        if path == "-":
            if sys.stdin is None:
                raise InputError("cannot read stdin: it is closed")
            data = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read()
        else:
            with open(path, "rb") as handle:
                data = handle.read()
    except OSError as error:
        raise InputError(f"cannot read {'stdin' if path == '-' else path}: "
                         f"{error.strerror or type(error).__name__}") from None
    except (MemoryError, OverflowError):
        raise InputError(f"cannot read {path}: too large for the memory available") from None
    return data.decode("utf-8", "replace") if isinstance(data, bytes) else data


def expand_paths(paths: Iterable[str]) -> Iterator[str]:
    for path in paths:
        if path != "-" and os.path.isdir(path):
            try:
                # kubectl -f DIR (without -R) reads the files of the folder and passes over its folders.
                names = sorted(n for n in os.listdir(path)
                               if n.endswith(EXTENSIONS) and not os.path.isdir(os.path.join(path, n)))
            except OSError as error:
                raise InputError(f"cannot read {path}: {error.strerror or type(error).__name__}") from None
            if not names:
                raise InputError(f"{path}: folder holds no .json, .yaml or .yml file")
            yield from (os.path.join(path, n) for n in names)
        else:
            yield path


def load_objects(paths: Iterable[str]) -> List[dict]:
    """Every object of every input, lists flattened, in input order."""
    objects: List[dict] = []
    for path in expand_paths(paths):
        source = "stdin" if path == "-" else path
        for document in parse_documents(read_input(path), source):
            objects.extend(flatten_objects(document, source))
    return objects


def _listing_key(obj) -> str:
    """The API server's order, whatever the files' order (fields that are not strings sort as empty)."""
    metadata = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    namespace, name = (value if isinstance(value, str) else "" for value in (metadata.get("namespace"),
                                                                            metadata.get("name")))
    return listing_key(namespace, name)


class FileSource:
    """Objects from -f inputs, answering the same questions as the live cluster."""

    default_namespace: Optional[str] = None  # every object of the input, unless -n narrows it

    def __init__(self, objects: List[dict], checked_at_load: bool = False):
        self.objects = objects
        self.checked_at_load = checked_at_load  # True for what load_objects() read: it refuses bad objects

    def pods(self, selection: Selection) -> Iterator[dict]:
        matches = selection.matcher()
        found = [o for o in self.objects if o.get("kind") == "Pod" and matches(o)]
        missing = set(selection.names) - {(o.get("metadata") or {}).get("name") for o in found}
        if missing:
            raise ApiError(f'pods "{sorted(missing)[0]}" not found in the input files')
        return iter(sorted(found, key=_listing_key))

    def list(self, kind: str, namespace: Optional[str], label_selector: Optional[str] = None) -> Iterator[dict]:
        matches = Selection(namespace, label_selector=label_selector).matcher()
        return (o for o in self.objects if o.get("kind") == kind and matches(o))

    def get(self, kind: str, namespace: Optional[str], name: str) -> dict:
        for candidate in self.list(kind, namespace):
            if (candidate.get("metadata") or {}).get("name") == name:
                return candidate
        raise ApiError(f'{kind.lower()}s "{name}" not found in the input files')
