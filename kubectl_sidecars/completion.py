"""Shell completion for `kubectl sidecars`, through kubectl's plugin completion (kubectl 1.26+).

kubectl completes `kubectl sidecars ...` by running `kubectl_complete-sidecars` from PATH with the words
typed after the plugin name, the last one being the word under the cursor (empty for a new word). It reads
Cobra's `__complete` output from stdout: one candidate per line, optionally followed by a tab and a
description, then a last line `:<directive>` (a bit set: 1 error, 2 no space, 4 no file completion, ...).
kubectl passes our stderr straight to the terminal and ignores the output of a failed run, so this module
never writes to stderr, exits 0 (130, silently, when interrupted), and answers "no candidates" when
anything goes wrong. Candidates holding control or invisible characters (sanitize.CONTROL) are left out:
they could only be typed wrong.

Subcommands and flags come from the click CLI itself; values come from the kubeconfig (contexts) or from
the cluster (namespaces, pods, Jobs, ...), honouring --kubeconfig, --context, -n and -A typed on the line.
The Kubernetes client is imported only when a cluster read is needed.
"""

import os
import sys
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Tuple

from kubectl_sidecars.kinds import DIAGNOSE_KINDS, diagnose_kind
from kubectl_sidecars.sanitize import CONTROL, clean

# Cobra's ShellCompDirective bits (github.com/spf13/cobra, completions.go).
DIRECTIVE_NO_FILE_COMP = 4
DIRECTIVE_DEFAULT = 0  # let the shell complete file names

# Option values that are file names: let the shell complete them.
FILE_OPTIONS = ("kubeconfig", "files")
# Completion must answer quickly: a cluster read gives up after this unless --request-timeout is typed.
DEFAULT_TIMEOUT = "5s"


@dataclass
class Candidate:
    value: str
    description: str = ""

    def line(self) -> str:
        description = clean(" ".join(self.description.split()))
        return f"{self.value}\t{description}" if description else self.value


@dataclass
class Answer:
    candidates: List[Candidate] = field(default_factory=list)
    directive: int = DIRECTIVE_NO_FILE_COMP

    def render(self) -> str:
        lines = [c.line() for c in self.candidates if c.value and not CONTROL.search(c.value)]
        return "".join(f"{line}\n" for line in lines) + f":{self.directive}\n"


@dataclass
class Line:
    """What the words before the cursor say: the subcommand, its positional arguments and its options."""
    command: Optional[str] = None
    args: List[str] = field(default_factory=list)
    options: Dict[str, List[str]] = field(default_factory=dict)  # click parameter name -> values typed
    pending: Optional[object] = None  # the click option whose value is the word under the cursor

    def value(self, name: str) -> Optional[str]:
        values = self.options.get(name)
        return values[-1] if values else None


# --- the click CLI as data -----------------------------------------------------------------------------

def _cli():
    from kubectl_sidecars.cli import main

    return main


def _params(command, parent_ctx=None):
    """The command's options, the help option included (it needs a click context to exist)."""
    import click

    ctx = click.Context(command, info_name=command.name, parent=parent_ctx,
                        **(getattr(command, "context_settings", None) or {}))
    return ctx, [p for p in command.get_params(ctx) if isinstance(p, click.Option)]


def _takes_value(option) -> bool:
    return not option.is_flag and not option.count


def _option_names(option) -> List[str]:
    return list(option.opts) + list(option.secondary_opts)


def _find_option(options, word: str):
    for option in options:
        if word in _option_names(option):
            return option
    return None


def _subcommands(group, ctx) -> Dict[str, object]:
    commands = {}
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if command is not None and not getattr(command, "hidden", False):
            commands[name] = command
    return commands


# --- parsing the words before the cursor ----------------------------------------------------------------

def parse(words: List[str], options) -> Tuple[Line, bool]:
    """Reads the subcommand's words as click would; returns the Line and whether `--` was seen."""
    line = Line()
    after_dashdash = False
    index = 0
    while index < len(words):
        word = words[index]
        index += 1
        if after_dashdash or word == "-" or not word.startswith("-"):
            line.args.append(word)
            continue
        if word == "--":
            after_dashdash = True
            continue
        name, has_equal, value = word.partition("=")
        option = _find_option(options, name)
        if option is None and not word.startswith("--") and len(word) > 2:
            # -nNAMESPACE: a short option with its value attached
            option = _find_option(options, word[:2])
            if option is not None and _takes_value(option):
                line.options.setdefault(option.name, []).append(word[2:])
                continue
            option = None
        if option is None:
            continue  # unknown: click will say so when the command runs
        if not _takes_value(option):
            line.options.setdefault(option.name, []).append(name)
        elif has_equal:
            line.options.setdefault(option.name, []).append(value)
        elif index < len(words):
            line.options.setdefault(option.name, []).append(words[index])
            index += 1
        else:
            line.pending = option  # its value is the word being completed
    return line, after_dashdash


# --- value sources ---------------------------------------------------------------------------------------

def kubeconfig_contexts(kubeconfig: Optional[str]) -> List[Candidate]:
    """Context names of the kubeconfig files kubectl would read (--kubeconfig, else $KUBECONFIG's list)."""
    import yaml

    if kubeconfig:
        paths = [kubeconfig]
    elif os.environ.get("KUBECONFIG"):
        paths = [p for p in os.environ["KUBECONFIG"].split(os.pathsep) if p]
    else:
        paths = [os.path.join(os.path.expanduser("~"), ".kube", "config")]
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    seen: Dict[str, Candidate] = {}
    for path in paths:
        try:
            with open(os.path.expanduser(path), encoding="utf-8") as handle:
                config = yaml.load(handle, Loader=loader) or {}
        except (OSError, ValueError, yaml.YAMLError):
            continue
        contexts = config.get("contexts") if isinstance(config, dict) else None
        for entry in contexts if isinstance(contexts, list) else []:
            if isinstance(entry, dict) and isinstance(entry.get("name"), str) and entry["name"] not in seen:
                context = entry.get("context") if isinstance(entry.get("context"), dict) else {}
                cluster = context.get("cluster")
                seen[entry["name"]] = Candidate(entry["name"], f"cluster {cluster}" if cluster else "")
    return sorted(seen.values(), key=lambda c: c.value)


class Cluster:
    """Names read from the cluster (or from -f files) for the flags typed on the line."""

    def __init__(self, line: Line):
        self.line = line
        self._source = None

    def source(self):
        if self._source is None:
            from kubectl_sidecars.pipeline import open_source

            files = tuple(f for f in self.line.options.get("files", ()) if f != "-")  # never read stdin here
            timeout = self.line.value("request_timeout") or DEFAULT_TIMEOUT
            chunk = self.line.value("chunk_size")
            self._source = open_source(files, self.line.value("kubeconfig"), self.line.value("context"),
                                       timeout, int(chunk) if chunk and chunk.isdigit() else 500)
        return self._source

    def namespace(self) -> Optional[str]:
        if self.line.options.get("all_namespaces"):
            return None
        return self.line.value("namespace") or self.source().default_namespace

    def names(self, kind: str, label_selector: Optional[str] = None) -> List[str]:
        if self.line.options.get("files") and all(f == "-" for f in self.line.options["files"]):
            return []  # the input is stdin, which belongs to the shell here
        namespace = None if kind == "Namespace" else self.namespace()
        items = self.source().list(kind, namespace, label_selector)
        return sorted({(item.get("metadata") or {}).get("name") or "" for item in items} - {""})


def finding_codes() -> List[Candidate]:
    from kubectl_sidecars.rules import CATALOG

    return [Candidate(code, f"{rule.severity}: {rule.title}") for code, rule in CATALOG.items()]


# --- completion ------------------------------------------------------------------------------------------

def _matching(candidates: Iterable[Candidate], prefix: str) -> List[Candidate]:
    return [c for c in candidates if c.value.startswith(prefix)]


def _names(names: Iterable[str], prefix: str, exclude: Iterable[str] = ()) -> List[Candidate]:
    skip = set(exclude)
    return [Candidate(n) for n in names if n.startswith(prefix) and n not in skip]


def _flag_names(options, line: Line, prefix: str) -> Answer:
    """Cobra's flag name completion: --long and -s forms, minus the flags already given once."""
    candidates = []
    for option in options:
        if getattr(option, "hidden", False):
            continue
        if option.name in line.options and not option.multiple:
            continue
        description = option.help or ""
        for name in sorted(_option_names(option), key=lambda n: (not n.startswith("--"), n)):
            if name.startswith(prefix):
                candidates.append(Candidate(name, description))
    return Answer(candidates)


def _option_values(option, line: Line, prefix: str) -> Answer:
    import click

    if option.name in FILE_OPTIONS:
        return Answer([], DIRECTIVE_DEFAULT)
    if isinstance(option.type, click.Choice):
        return Answer(_names([str(c) for c in option.type.choices], prefix))
    if option.name == "context":
        return Answer(_matching(kubeconfig_contexts(line.value("kubeconfig")), prefix))
    if option.name == "namespace":
        return Answer(_names(Cluster(line).names("Namespace"), prefix))
    return Answer()


def _arguments(command: str, line: Line, prefix: str) -> Answer:
    args = line.args
    if command == "status":
        pods = Cluster(line).names("Pod", line.value("label_selector"))
        return Answer(_names(pods, prefix, exclude=args))
    if command in ("diagnose", "lint", "migrate"):  # all take KIND NAME
        if not args and "/" in prefix:  # kubectl's KIND/NAME spelling
            typed_kind, _, partial = prefix.partition("/")
            kind = diagnose_kind(typed_kind)
            if kind is None:
                return Answer()
            names = Cluster(line).names(DIAGNOSE_KINDS[kind])
            return Answer([Candidate(f"{typed_kind}/{n}") for n in names if n.startswith(partial)])
        if not args:
            return Answer(_names(DIAGNOSE_KINDS, prefix))
        if len(args) == 1 and "/" not in args[0] and diagnose_kind(args[0]) is not None:
            return Answer(_names(Cluster(line).names(DIAGNOSE_KINDS[diagnose_kind(args[0])]), prefix))
        return Answer()
    if command == "explain" and not args:
        return Answer(_matching(finding_codes(), prefix))
    return Answer()


def complete(words: List[str]) -> Answer:
    """The answer for `kubectl sidecars WORDS...`, the last word being completed (possibly '')."""
    words = list(words) or [""]
    before, current = words[:-1], words[-1]
    group = _cli()
    group_ctx, group_options = _params(group)

    # Words before the subcommand are options of the group itself (--version, --help).
    index = 0
    while index < len(before) and before[index].startswith("-"):
        index += 1
    if any(w in ("-h", "--help", "--version") for w in before[:index]):  # the group's own flags
        return Answer()
    commands = _subcommands(group, group_ctx)
    if index == len(before):
        if current.startswith("-"):
            return _flag_names(group_options, Line(), current)
        return Answer([Candidate(name, cmd.get_short_help_str(limit=80))
                       for name, cmd in sorted(commands.items()) if name.startswith(current)])

    name = before[index]
    command = commands.get(name)
    options = _params(command, group_ctx)[1] if command is not None else []
    line, after_dashdash = parse(before[index + 1:], options)
    line.command = name
    help_names = set(group_ctx.help_option_names)
    if any(option.name in line.options for option in options if help_names & set(option.opts)):
        return Answer()  # like Cobra: nothing follows --help
    if line.pending is not None:
        return _option_values(line.pending, line, current)
    if current.startswith("-") and not after_dashdash:
        flag, has_equal, value = current.partition("=")
        if has_equal:
            # --flag=VALUE: shells keep the "--flag=" part themselves and expect bare values (Cobra does so too)
            option = _find_option(options, flag)
            return _option_values(option, line, value) if option is not None and _takes_value(option) else Answer()
        return _flag_names(options, line, current)
    return _arguments(name, line, current)


def _debug(text: str) -> None:
    """Cobra's convention: BASH_COMP_DEBUG_FILE names a file that collects completion debug output."""
    path = os.environ.get("BASH_COMP_DEBUG_FILE")
    if path:
        try:
            with open(path, "a", encoding="utf-8") as handle:
                handle.write(f"kubectl_complete-sidecars: {text}\n")
        except OSError:
            pass


def main(argv: Optional[List[str]] = None) -> None:
    """The `kubectl_complete-sidecars` executable."""
    import warnings

    words = list(sys.argv[1:] if argv is None else argv)
    warnings.simplefilter("ignore")
    stderr, sys.stderr = sys.stderr, open(os.devnull, "w")  # kubectl shows our stderr on the terminal
    try:
        answer = complete(words)
    except BaseException as error:  # noqa: B902 - completion must never fail loudly
        import traceback

        _debug(f"words {words!r}: " + "".join(traceback.format_exception_only(type(error), error)).strip())
        answer = Answer()
    finally:
        sys.stderr.close()
        sys.stderr = stderr
    try:
        sys.stdout.write(answer.render())
        sys.stdout.flush()
    except OSError:  # a reader that went away is the entry's; any other write error leaves nothing to say
        pass
    sys.exit(0)


if __name__ == "__main__":
    main()
