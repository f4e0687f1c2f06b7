"""Offline input (-f): whatever `kubectl get ... -o json|yaml` writes, from files, folders or stdin."""

import json
import os
import sys
from typing import Iterable, Iterator, List, Optional

from kubectl_sidecars.errors import ApiError, InputError
from kubectl_sidecars.selection import Selection

EXTENSIONS = (".json", ".yaml", ".yml")


def _loader():
    """PyYAML's safe loader, except that timestamps stay strings, as they are in JSON."""
    import yaml

    class Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
        pass

    Loader.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))
    return Loader


def _documents(text: str, source: str) -> List[dict]:
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            loaded = json.loads(text)
            return loaded if isinstance(loaded, list) else [loaded]
        except ValueError:
            pass  # YAML is a superset of JSON: let the YAML parser say what is wrong.
    import yaml

    try:
        return [doc for doc in yaml.load_all(text, Loader=_loader()) if doc is not None]
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        problem = getattr(error, "problem", None) or "invalid YAML"
        raise InputError(f"{source}: not valid JSON or YAML{where}: {problem}") from None


def _flatten(document, source: str) -> Iterator[dict]:
    if not isinstance(document, dict) or "kind" not in document:
        raise InputError(f"{source}: not a Kubernetes object (no 'kind'); expected what "
                         "`kubectl get -o json|yaml` prints")
    kind = document["kind"]
    if kind == "List" or (isinstance(kind, str) and kind.endswith("List") and "items" in document):
        for item in document.get("items") or []:
            if isinstance(item, dict) and "kind" not in item and kind != "List":
                item = dict(item, kind=kind[:-len("List")])
            yield from _flatten(item, source)
    else:
        yield document


def _read(path: str) -> str:
    try:
        if path == "-":
            return sys.stdin.read()
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"cannot read {path}: {getattr(error, 'strerror', None) or error}") from None


def _expand(paths: Iterable[str]) -> Iterator[str]:
    for path in paths:
        if path != "-" and os.path.isdir(path):
            names = sorted(n for n in os.listdir(path) if n.endswith(EXTENSIONS))
            if not names:
                raise InputError(f"{path}: folder holds no .json, .yaml or .yml file")
            yield from (os.path.join(path, n) for n in names)
        else:
            yield path


def load_objects(paths: Iterable[str]) -> List[dict]:
    """Every object of every input, lists flattened, in input order."""
    objects: List[dict] = []
    for path in _expand(paths):
        source = "stdin" if path == "-" else path
        for document in _documents(_read(path), source):
            objects.extend(_flatten(document, source))
    return objects


class FileSource:
    """Objects from -f inputs, answering the same questions as the live cluster."""

    default_namespace: Optional[str] = None  # every object of the input, unless -n narrows it

    def __init__(self, objects: List[dict]):
        self.objects = objects

    def pods(self, selection: Selection) -> Iterator[dict]:
        matches = selection.matcher()
        found = [o for o in self.objects if o.get("kind") == "Pod" and matches(o)]
        missing = set(selection.names) - {(o.get("metadata") or {}).get("name") for o in found}
        if missing:
            raise ApiError(f'pods "{sorted(missing)[0]}" not found in the input files')
        return iter(found)

    def list(self, kind: str, namespace: Optional[str], label_selector: Optional[str] = None) -> Iterator[dict]:
        matches = Selection(namespace, label_selector=label_selector).matcher()
        return (o for o in self.objects if o.get("kind") == kind and matches(o))

    def get(self, kind: str, namespace: Optional[str], name: str) -> dict:
        for candidate in self.list(kind, namespace):
            if (candidate.get("metadata") or {}).get("name") == name:
                return candidate
        raise ApiError(f'{kind.lower()}s "{name}" not found in the input files')
