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


# Where the views and rules expect objects and lists of objects: the model tolerates missing fields, not
# wrongly typed ones, so those are rejected here as bad input rather than failing later.
_OBJECTS = ("metadata", "spec", "status", "metadata.labels", "metadata.annotations")
_OBJECT_LISTS = ("metadata.ownerReferences", "spec.initContainers", "spec.containers", "spec.ephemeralContainers",
                 "status.conditions", "status.initContainerStatuses", "status.containerStatuses",
                 "status.ephemeralContainerStatuses")
_CONTAINER_OBJECTS = ("startupProbe", "readinessProbe", "livenessProbe", "lifecycle", "resources")
_CONTAINER_LISTS = ("ports", "env", "volumeMounts", "command", "args")
_JOB_NUMBERS = ("spec.completions", "spec.parallelism", "spec.backoffLimit", "status.active", "status.succeeded",
                "status.failed", "status.ready")


def _at(obj, path: str):
    for key in path.split("."):
        obj = obj.get(key) if isinstance(obj, dict) else None
    return obj


def _check_shape(obj: dict, source: str) -> None:
    metadata = obj.get("metadata")
    what = f"{source}: {obj.get('kind')} {_at(obj, 'metadata.name')!r}"
    if not isinstance(metadata, dict) or not isinstance(metadata.get("name"), str) or not metadata["name"]:
        raise InputError(f"{source}: a {obj.get('kind')} without metadata.name")
    for path in _OBJECTS:
        if _at(obj, path) is not None and not isinstance(_at(obj, path), dict):
            raise InputError(f"{what}: {path} is not an object")
    for path in _OBJECT_LISTS:
        value = _at(obj, path)
        if value is not None and not (isinstance(value, list) and all(isinstance(i, dict) for i in value)):
            raise InputError(f"{what}: {path} is not a list of objects")
    for path in _JOB_NUMBERS if obj.get("kind") == "Job" else ():
        value = _at(obj, path)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise InputError(f"{what}: {path} is not a number")
    for container in (_at(obj, "spec.initContainers") or []) + (_at(obj, "spec.containers") or []):
        for key in _CONTAINER_OBJECTS:
            if container.get(key) is not None and not isinstance(container[key], dict):
                raise InputError(f"{what}: container {container.get('name')!r}: {key} is not an object")
        for key in _CONTAINER_LISTS:
            if container.get(key) is not None and not isinstance(container[key], list):
                raise InputError(f"{what}: container {container.get('name')!r}: {key} is not a list")
    for status in (_at(obj, "status.initContainerStatuses") or []) + (_at(obj, "status.containerStatuses") or []):
        for key in ("state", "lastState"):
            value = status.get(key)
            if value is not None and not (isinstance(value, dict)
                                          and all(v is None or isinstance(v, dict) for v in value.values())):
                raise InputError(f"{what}: status of container {status.get('name')!r}: {key} is malformed")
        if not isinstance(status.get("restartCount", 0), int):
            raise InputError(f"{what}: status of container {status.get('name')!r}: restartCount is not a number")


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
        _check_shape(document, source)
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
