"""Hostile input for the plugin, made in code: the realistic dumps of examples/ as seeds, ways to break
them (wrongly typed fields, dropped fields, strings no terminal should receive), the files that issue
them to the CLI, and the checks every run must pass whatever it was fed.

A run passes when it ends with a documented exit code other than 5 (internal error), never shows a
traceback, fails (if it fails) with exactly one `error: ` line on stderr, writes parseable JSON/YAML when
asked for them, and lets no raw control, bidi, invisible-format, tag or surrogate character out.
"""

import copy
import json
import re
import shlex
import unicodedata
from pathlib import Path
from typing import Any, Iterator, List, Optional, Tuple

import yaml
from click.testing import CliRunner

from kubectl_sidecars.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"

# Exit codes the README documents for a run that read its input: success, findings, usage, API, input.
# 5 (internal error) is what these tests exist to rule out; 130 needs a Ctrl-C nobody presses here.
DOCUMENTED_EXITS = (0, 1, 2, 3, 4)

# Unicode categories that must never reach a terminal raw: controls, format characters (bidi controls,
# zero-width and invisible characters, tags), lone surrogates, line and paragraph separators.
FORBIDDEN_CATEGORIES = ("Cc", "Cf", "Cs", "Zl", "Zp")
LAYOUT = "\n\t"  # the line breaks and tabs the output formats are made of

# Each string below has been seen to, or could, move a cursor, reorder text, hide text, open a link or
# break an encoder.
HOSTILE_STRINGS = (
    "\x1b[2J\x1b[31mred\x1b[0m",                         # clear screen, colours
    "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\",  # OSC 8 hyperlink
    "\x1b]0;title\x07",                                  # OSC window title, BEL
    "admin\u202etxt.exe",                                # RIGHT-TO-LEFT OVERRIDE
    "\u2066isolated\u2069 \u061c arabic mark",           # bidi isolates, ARABIC LETTER MARK
    "mongolian\u180evowel separator",
    "\u206a\u206b\u206c\u206d\u206e\u206f deprecated format",
    "\ufff9annotated\ufffa\ufffb",                       # interlinear annotation
    "\U000e0001\U000e0074\U000e0061\U000e0067\U000e007f",  # language tag and tag characters
    "\ud800",                                            # lone surrogate
    "nul\x00byte",
    "c1\x85\x9b31mcsi",                                  # NEL and C1 CSI
    "zero\u200bwidth\u2060joiner\ufeff",
    "soft\u00adhyphen",
    "line\u2028separator\u2029paragraph",
    "carriage\rreturn\x08\x08back",
    "²",                                                 # a digit str.isdigit() accepts and int() refuses
    "٣٤",                                                # Arabic-Indic digits: int() reads them
    "x" * 10_000,
    "",
    " ",
    "{}",
    "[]",
    "null",
    "-1",
    "99999999999999999999999999999",
)

# Annotations whose values the plugin parses (JSON, names, hashes), with shapes their writers never use.
PARSED_ANNOTATIONS = ("sidecar.istio.io/status", "kruise.io/sidecarset-hash",
                      "kubectl.kubernetes.io/default-container", "linkerd.io/proxy-version",
                      "vault.hashicorp.com/agent-inject-status")
ODD_ANNOTATION_VALUES = (
    '{"containers": 5}', '{"containers": "istio-proxy"}', '{"containers": [5, null, {}]}',
    '{"initContainers": {"a": 1}}', "[1, 2]", '"istio-proxy"', "5", "true", "null", "{", "NaN",
    '{"log-sidecarset": {"sidecarList": 5}}', '{"x": {"sidecarList": ["log-agent", 7]}}', '{"x": "y"}',
    '{"x": {"sidecarList": {"log-agent": true}}}', json.dumps({"containers": ["\x1b[31mistio-proxy"]}),
    "1" * 5000,
)


class HugeInt:
    """An integer with more digits than Python converts by default (sys.get_int_max_str_digits): it goes
    into the file as a bare number, which neither json.dumps nor yaml.safe_dump can write."""

    def __init__(self, digits: int):
        self.digits = digits

    @property
    def literal(self) -> str:
        return "9" * self.digits


def examples() -> List[Tuple[str, dict, List[str]]]:
    """Each example dump: its name, its document, and the `KIND NAME -n NS` its header suggests for diagnose."""
    found = []
    for path in sorted(EXAMPLES.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        suggestion = re.search(r"kubectl sidecars diagnose (.*?) -f ", text)
        found.append((path.name, yaml.safe_load(text), shlex.split(suggestion.group(1)) if suggestion else []))
    return found


# ---------------------------------------------------------------- mutations


def paths(document: Any, prefix: Tuple = ()) -> Iterator[Tuple]:
    """Every path (tuple of keys and indexes) inside a document, parents before children."""
    if isinstance(document, dict):
        for key, value in document.items():
            yield prefix + (key,)
            yield from paths(value, prefix + (key,))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield prefix + (index,)
            yield from paths(value, prefix + (index,))


def _parent(document: Any, path: Tuple) -> Any:
    for step in path[:-1]:
        document = document[step]
    return document


def replaced(document: Any, path: Tuple, value: Any) -> Any:
    """A copy of the document with the value at `path` replaced."""
    result = copy.deepcopy(document)
    _parent(result, path)[path[-1]] = value
    return result


def dropped(document: Any, path: Tuple) -> Any:
    """A copy of the document without the key or item at `path`."""
    result = copy.deepcopy(document)
    del _parent(result, path)[path[-1]]
    return result


def objects_of(document: dict, kind: str) -> List[dict]:
    """The objects of that kind in a dump (a List or a single object), as live references into it."""
    return [item for item in document.get("items", [document]) if isinstance(item, dict) and item.get("kind") == kind]


def deep(depth: int, leaf: Any = 0) -> Any:
    """A list nested `depth` levels deep (built without recursion)."""
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


# ---------------------------------------------------------------- writing the files


def _placeholders(document: Any, found: dict) -> Any:
    """Huge integers replaced by unique marker strings, to be spliced in as text."""
    if isinstance(document, HugeInt):
        marker = f"MARKER{len(found)}Z"
        found[marker] = document
        return marker
    if isinstance(document, dict):
        return {key: _placeholders(value, found) for key, value in document.items()}
    if isinstance(document, list):
        return [_placeholders(value, found) for value in document]
    return document


def serialise(document: Any, language: str) -> str:
    """The document as JSON (ensure_ascii, so lone surrogates survive as \\ud800 escapes; NaN and Infinity
    as Python writes them) or YAML (.nan, .inf)."""
    found: dict = {}
    plain = _placeholders(document, found)
    if language == "json":
        text = json.dumps(plain, indent=1)
    else:
        text = yaml.safe_dump(plain, allow_unicode=False, width=1 << 20, sort_keys=False)
    for marker, value in found.items():
        text = text.replace(f'"{marker}"', value.literal).replace(marker, value.literal)
    return text


# ---------------------------------------------------------------- running and judging


def run_cli(args: List[str], stdin: Optional[bytes] = None):
    """The CLI in this process, the way a shell runs it: exit code, stdout and stderr apart, no cluster."""
    runner = CliRunner()
    return runner.invoke(main, args, input=stdin, env={"KUBECONFIG": "/dev/null", "KUBECTL_SIDECARS_DEBUG": None,
                                                       "NO_COLOR": "1"}, catch_exceptions=True)


def raw_characters(text: str) -> List[str]:
    """The characters of `text` that a terminal must not receive raw, by code point."""
    return sorted({f"U+{ord(ch):04X}" for ch in text
                   if ch not in LAYOUT and unicodedata.category(ch) in FORBIDDEN_CATEGORIES})


def check_outcome(code: int, stdout: str, stderr: str, output: str = "table", *, describe: str = "") -> None:
    """The properties every run has, whatever its input (see the module docstring)."""
    context = f"{describe}\nexit {code}\nstderr: {stderr[:2000]!r}\nstdout: {stdout[:500]!r}"
    assert code in DOCUMENTED_EXITS, context
    assert "Traceback" not in stderr and "Traceback" not in stdout, context
    assert "internal error" not in stderr, context
    assert not raw_characters(stdout), (raw_characters(stdout), context)
    assert not raw_characters(stderr), (raw_characters(stderr), context)
    if code in (0, 1):
        if output == "json":
            json.loads(stdout)
        elif output == "yaml":
            yaml.safe_load(stdout)
    else:
        assert stderr.startswith("error: ") and stderr.endswith("\n") and stderr.count("\n") == 1, context


def check_result(result, output: str = "table", describe: str = "") -> None:
    """check_outcome for an in-process run; an exception other than SystemExit escaped the CLI."""
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"{describe}: {type(result.exception).__name__} escaped") from result.exception
    check_outcome(result.exit_code, result.stdout, result.stderr, output, describe=describe)


# ---------------------------------------------------------------- the corpus: inputs that once broke the plugin


def _pod(**changes) -> dict:
    """A small valid running pod with one app container, changed by dotted path (`spec.containers`=...)."""
    document = {"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": "web", "namespace": "default", "annotations": {}},
                "spec": {"restartPolicy": "Always", "containers": [{"name": "app", "image": "nginx:1.27"}]},
                "status": {"phase": "Running", "containerStatuses": [
                    {"name": "app", "ready": True, "restartCount": 0, "started": True,
                     "state": {"running": {"startedAt": "2026-01-01T00:00:00Z"}}}]}}
    for dotted, value in changes.items():
        document = replaced(document, tuple(int(k) if k.isdigit() else k for k in dotted.split("__")), value)
    return document


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    """The billion-laughs document: each anchor a list of `width` aliases of the one before (~600 bytes)."""
    lines = ["apiVersion: v1", "kind: Pod", "metadata: {name: laughs}", "spec:", "  containers:",
             "  - name: app", "    image: nginx", "    lol: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"    l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * width)}]" for n in range(1, levels)]
    lines.append(f"    args: *l{levels - 1}")
    return "\n".join(lines) + "\n"


def many_containers(count: int) -> dict:
    """A pod with `count` app containers, each with its status."""
    names = [f"c{n}" for n in range(count)]
    return _pod(spec__containers=[{"name": n, "image": "busybox"} for n in names],
                status__containerStatuses=[{"name": n, "ready": True, "restartCount": 0, "started": True,
                                            "state": {"running": {"startedAt": "2026-01-01T00:00:00Z"}}}
                                           for n in names])


def corpus() -> List[Tuple[str, bytes, str, bool]]:
    """(what it is, the file's bytes, the file's extension, whether it is valid input that must be shown): each
    a shape that has ended in an internal error or a hang, or that a careless or hostile writer produces."""
    digits = "9" * 10_000

    def as_json(document) -> bytes:
        return serialise(document, "json").encode()

    return [
        ("items: true", b'{"apiVersion": "v1", "kind": "List", "items": true}', "json", False),
        ("non-object items", b'{"kind": "List", "items": [1, "pod", null, [], true]}', "json", False),
        ("PodList of non-objects", b'{"kind": "PodList", "items": [[], {"metadata": 5}]}', "json", False),
        ("a string where a list is", as_json(_pod(spec__containers="app")), "json", False),
        ("a string where container ports are", as_json(_pod(spec__containers__0__ports="8080")), "json", False),
        ("a list where a mapping is", as_json(_pod(metadata=[])), "json", False),
        ("a list where resources are", as_json(_pod(spec__containers__0__resources=[1])), "json", False),
        ("a list where the state is", as_json(_pod(status__containerStatuses__0__state=["running"])), "json", False),
        ("numbers where strings are", as_json(_pod(metadata__name=5, spec__containers__0__name=7,
                                                    spec__containers__0__image=3.5)), "json", False),
        ("a number as the kind", b'{"kind": 5, "metadata": {"name": "x"}}', "json", False),
        ("a list as an item's kind", b'{"kind": "List", "items": [{"kind": [0], "metadata": {"name": "x"}}]}', "json",
         False),
        ("a mapping as the phase", as_json(_pod(status__phase={"a": 1})), "json", False),
        ("a lone surrogate", as_json(_pod(metadata__name="web\ud800", spec__containers__0__image="\udfff")), "json",
         False),
        ("a lone surrogate in a helper's env", as_json(_pod(spec__containers=[
            {"name": "app", "image": "nginx"},
            {"name": "istio-proxy", "image": "istio/proxyv2", "env": [{"name": "DB_PORT", "value": "\ud800"}]}])),
         "json", True),
        ("a lone surrogate in YAML", b'kind: Pod\nmetadata: {name: "web\\ud800"}\n', "yaml", False),
        ("a 2,000-deep array", b'{"kind": "Pod", "metadata": {"name": "x"}, "spec": {"containers": '
         + b"[" * 2000 + b"]" * 2000 + b"}}", "json", False),
        ("a 2,000-deep YAML flow list", b"kind: Pod\nmetadata: {name: x}\nspec: {containers: "
         + b"[" * 2000 + b"]" * 2000 + b"}\n", "yaml", False),
        ("a 2,000-deep mapping", b'{"kind": "Pod", "metadata": ' + b'{"a": ' * 2000 + b"1" + b"}" * 2000 + b"}",
         "json", False),
        ("a !!binary name", b"kind: Pod\nmetadata:\n  name: !!binary d2Vi\nspec: {containers: []}\n", "yaml", False),
        ("a !!binary kind", b"kind: !!binary UG9k\nmetadata: {name: web}\n", "yaml", False),
        ("a !!set of containers", b"kind: Pod\nmetadata: {name: web}\nspec:\n  containers: !!set {a, b}\n", "yaml",
         False),
        ("a YAML alias bomb", alias_bomb().encode(), "yaml", False),
        ("non-UTF-8 bytes", b'{"kind": "Pod", "metadata": {"name": "web\x9b31m\xff\xfe"}, "spec": {"containers": '
         b'[{"name": "app\x85", "image": "x"}]}}', "json", True),
        ("a UTF-16 file", '{"kind": "Pod", "metadata": {"name": "web"}}'.encode("utf-16"), "json", False),
        ("a NUL byte", b'kind: Pod\nmetadata: {name: "a\x00b"}\n', "yaml", False),
        ("a 10,000-digit restart count", as_json(_pod(status__containerStatuses__0__restartCount=HugeInt(10_000))),
         "json", False),
        ("a 10,000-digit exit code in YAML", serialise(_pod(status__containerStatuses__0__state={
            "terminated": {"exitCode": HugeInt(10_000), "reason": "Error"}}), "yaml").encode(), "yaml", False),
        ("a 10,000-digit grace period", as_json(_pod(spec__terminationGracePeriodSeconds=HugeInt(10_000))), "json",
         False),
        ("a 10,000-digit integer annotation", as_json(_pod(metadata__annotations={"example.com/big": digits})),
         "json", True),
        ("NaN and Infinity", b'{"kind": "Pod", "metadata": {"name": "web"}, "status": {"containerStatuses": '
         b'[{"name": "app", "restartCount": NaN, "state": {"terminated": {"exitCode": Infinity}}}]}}', "json", False),
        ("a malformed istio record", as_json(_pod(metadata__annotations={
            "sidecar.istio.io/status": '{"containers": 5}'})), "json", True),
        ("a malformed kruise hash", as_json(_pod(metadata__annotations={
            "kruise.io/sidecarset-hash": '{"set": {"sidecarList": 5}}'})), "json", True),
        ("DB_PORT=\u00b2", as_json(_pod(spec__containers__0__env=[{"name": "DB_PORT", "value": "\u00b2"}])), "json",
         True),
        ("an empty file", b"", "yaml", False),
        ("only a document separator", b"---\n", "yaml", False),
        ("a scalar document", b"42\n", "yaml", False),
        ("a top-level array of scalars", b"[1, 2, 3]", "json", False),
        ("truncated JSON", b'{"kind": "Pod", "metadata": {"name": ', "json", False),
        ("YAML with a tab indent", b"kind: Pod\nmetadata:\n\tname: web\n", "yaml", False),
        ("a pod with 10,000 containers", as_json(many_containers(10_000)), "json", True),
    ]
