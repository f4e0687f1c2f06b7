"""The click front end: parse kubectl-style flags, run read -> view -> judge -> show, and turn every
failure into one line on stderr with a documented exit code."""

import dataclasses
import functools
import sys

import click

from kubectl_sidecars import __version__
from kubectl_sidecars.errors import EXIT_FINDINGS, EXIT_INTERNAL, EXIT_OK, SidecarsError, UsageError, debugging, warn
from kubectl_sidecars.kinds import diagnose_kind

SOURCE_OPTIONS = ("files", "kubeconfig", "context", "request_timeout", "chunk_size")


def _source_options(command):
    """The selection and connection flags every command shares, in kubectl's spelling."""
    options = [
        click.option("-n", "--namespace", help="Namespace to read (default: the context's namespace)."),
        click.option("-A", "--all-namespaces", is_flag=True, help="Read every namespace."),
        click.option("-l", "--selector", "label_selector", help="Label selector, e.g. app=web,tier!=db."),
        click.option("--field-selector", help="Field selector, e.g. status.phase=Running."),
        click.option("-f", "--filename", "files", multiple=True, type=str,
                     help="Read objects from files instead of the cluster: `kubectl get -o json|yaml` output, or "
                          "manifests (lint, migrate); a file, a folder or - for stdin."),
        click.option("--kubeconfig", help="Path to the kubeconfig file (default: $KUBECONFIG, ~/.kube/config)."),
        click.option("--context", help="The kubeconfig context to use."),
        click.option("--request-timeout", default="0", show_default=True,
                     help="How long one request may take, to its last byte (e.g. 10s, 1m); "
                          "0: no limit (connecting still gives up after 30 s)."),
        click.option("--chunk-size", default=500, show_default=True, type=click.IntRange(0),
                     help="Items per page of a LIST; 0 reads all at once."),
        click.option("--no-color", is_flag=True, help="Never colour the output (NO_COLOR works too)."),
    ]
    return functools.reduce(lambda cmd, option: option(cmd), reversed(options), command)


def _open(params: dict):
    from kubectl_sidecars.pipeline import open_source

    _check_namespace_flags(params)
    source = open_source(*(params[name] for name in SOURCE_OPTIONS))
    return source, _selection(params, source)


def _check_namespace_flags(params: dict) -> None:
    if params["namespace"] is not None and params["all_namespaces"]:
        raise UsageError("-n/--namespace and -A/--all-namespaces cannot be used together")


def _selection(params: dict, source):
    from kubectl_sidecars.pipeline import resolve_namespace
    from kubectl_sidecars.selection import Selection

    namespace = resolve_namespace(source, params["namespace"], params["all_namespaces"])
    return Selection(namespace, (), params["label_selector"], params["field_selector"]).validate()


def _guarded(command):
    """SidecarsError -> its exit code and one sanitised line; nothing reaches the user as a traceback.
    (Ctrl-C and a closed stdout are the entry module's: see kubectl_sidecars/entry.py.)"""
    @functools.wraps(command)
    def run(*args, **kwargs):
        from kubectl_sidecars.sanitize import clean

        try:
            return command(*args, **kwargs)
        except SidecarsError as error:
            click.echo(f"error: {clean(str(error))}", err=True)
            sys.exit(error.exit_code)
        except (click.exceptions.Exit, click.exceptions.ClickException, SystemExit):
            raise
        except Exception as error:  # a bug: still one line, with a way to see the details
            if debugging():
                raise
            click.echo(f"error: internal error ({type(error).__name__}: {clean(str(error))}); "
                       "set KUBECTL_SIDECARS_DEBUG=1 for details", err=True)
            sys.exit(EXIT_INTERNAL)
    return run


def _colour(no_color: bool) -> bool:
    from kubectl_sidecars.render.style import use_colour

    return use_colour(sys.stdout, no_color)


class OneLineErrors(click.Group):
    """click's own usage errors (unknown flag, bad choice) as one line too, like every other error."""

    def main(self, args=None, **kwargs):
        args = list(sys.argv[1:] if args is None else args) or ["--help"]  # bare `kubectl sidecars` helps
        try:
            kwargs.setdefault("prog_name", "kubectl sidecars")  # how users call it, through kubectl
            code = super().main(args, standalone_mode=False, **kwargs)
        except click.ClickException as error:
            from kubectl_sidecars.sanitize import clean

            click.echo(f"error: {clean(error.format_message()).rstrip('.')}; see --help", err=True)
            sys.exit(error.exit_code)
        sys.exit(code if isinstance(code, int) else EXIT_OK)


@click.group(cls=OneLineErrors, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.version_option(__version__, "--version", prog_name="kubectl-sidecars", message="%(prog)s %(version)s")
def main():
    """Show sidecar containers of live pods and explain what holds Jobs and pods back.

    \b
    Exit codes: 0 success; 1 findings at or above --fail-on; 2 usage error;
    3 Kubernetes API error (unreachable, auth, forbidden, not found, timeout);
    4 unreadable or invalid input file; 5 internal error; 130 interrupted.
    """


@main.command()
@click.argument("pods", nargs=-1)
@_source_options
@click.option("-o", "--output", type=click.Choice(["table", "wide", "json", "yaml"]), default="table",
              show_default=True, help="Output format.")
@click.option("--containers", is_flag=True, help="One row per container instead of one per pod.")
@_guarded
def status(pods, output, containers, **params):
    """Classify every container of the selected pods: init, sidecar, legacy-sidecar, app.

    READY and STATUS are what `kubectl get pods` shows for the same pod.
    """
    from kubectl_sidecars.engine import Judgement
    from kubectl_sidecars.pipeline import gather
    from kubectl_sidecars.render.structured import write_status
    from kubectl_sidecars.render.tables import ContainersTable, PodsTable

    if pods and params["all_namespaces"] and not params["files"]:
        raise UsageError("a pod cannot be retrieved by name across all namespaces: use -n")
    source, selection = _open(params)
    snapshot, stream = gather(source, dataclasses.replace(selection, names=tuple(pods)))
    judgement = Judgement(snapshot)
    rows = judgement.pods(stream)
    if output in ("json", "yaml"):
        write_status(output, _write, rows, judgement.verdicts, judgement.notes)
    else:
        every_namespace = selection.namespace is None
        if containers or len(pods) == 1:
            table = ContainersTable(snapshot.now, every_namespace, with_pod=len(snapshot.pods) != 1)
        else:
            table = PodsTable(snapshot.now, every_namespace, output == "wide", _colour(params["no_color"]))
        for pod, findings in rows:
            table.add(pod, findings, later=judgement.kept(pod))
        if len(table):
            _write_lines(table.lines(judgement.job_findings_of))
        else:
            where = "any namespace" if every_namespace else f"{selection.namespace} namespace"
            click.echo(f"No resources found in {where}.", err=True)
    for note in judgement.notes:  # what could not be read or checked; the JSON/YAML documents carry them too
        warn(note)


def _write(text: str) -> None:
    sys.stdout.write(text)


def _write_lines(lines, batch: int = 1000) -> None:
    """Lines to stdout, a batch at a time: a table of many thousand rows is never one string."""
    chunk = []
    for line in lines:
        chunk.append(line)
        if len(chunk) == batch:
            _write("\n".join(chunk) + "\n")
            chunk = []
    if chunk:
        _write("\n".join(chunk) + "\n")


FAIL_ON = ("error", "warning", "info", "never")


def _target(words) -> tuple:
    """`KIND NAME` or kubectl's `KIND/NAME`; nothing means every pod of the selection."""
    if len(words) == 1 and "/" in words[0]:
        words = tuple(words[0].split("/", 1))
    if not words:
        return None, None
    kind = diagnose_kind(words[0])
    if kind is None:
        raise UsageError(f"unknown kind {words[0]!r}: use one of pod, job, cronjob, deployment, "
                               "statefulset, daemonset, replicaset")
    if len(words) != 2 or not words[1]:
        raise UsageError(f"diagnose {words[0]} needs exactly one NAME")
    return kind, words[1]


@main.command()
@click.argument("target", nargs=-1, metavar="[KIND NAME]")
@_source_options
@click.option("-o", "--output", type=click.Choice(["table", "json", "yaml"]), default="table", show_default=True,
              help="Output format.")
@click.option("--fail-on", type=click.Choice(FAIL_ON), default="never", show_default=True,
              help="Exit with 1 when a finding of this severity or worse exists (for CI).")
@click.option("--jobs", "recent_jobs", default=3, show_default=True, type=click.IntRange(1),
              help="With cronjob: how many of its most recent Jobs to diagnose.")
@_guarded
def diagnose(target, output, fail_on, recent_jobs, **params):
    """Say what holds a Job or pod back, why, and how to fix it.

    \b
    KIND is pod, job, cronjob, deployment, statefulset, daemonset or replicaset;
    without KIND NAME every selected pod is diagnosed.
    """
    from kubectl_sidecars.engine import Judgement
    from kubectl_sidecars.pipeline import gather
    from kubectl_sidecars.render.report import write_report
    from kubectl_sidecars.render.structured import write_diagnosis
    from kubectl_sidecars.rules.catalog import severity_rank

    kind, name = _target(target)
    source, selection = _open(params)
    if kind is not None and selection.namespace is None:
        hint = "drop -A" if params["all_namespaces"] else "add -n NAMESPACE"
        raise UsageError(f"diagnose {kind} NAME needs one namespace: {hint}")
    snapshot, stream = gather(source, selection, kind, name, recent_jobs)
    judgement = Judgement(snapshot)
    rows = judgement.pods(stream)
    if output == "table":
        write_report(_write, rows, judgement.verdicts, judgement.notes, snapshot.now, _colour(params["no_color"]))
    else:
        write_diagnosis(output, _write, rows, judgement.verdicts, judgement.notes)
    worst = judgement.worst()
    if fail_on != "never" and worst and severity_rank(worst) >= severity_rank(fail_on):
        sys.exit(EXIT_FINDINGS)


@main.command()
@click.argument("code", required=False)
@_guarded
def explain(code):
    """Print a finding's full explanation; without CODE, list the catalog."""
    from kubectl_sidecars.rules import CATALOG
    from kubectl_sidecars.rules import explain as explanation

    if code is None:
        from kubectl_sidecars.render.style import table

        click.echo(table(["CODE", "SEVERITY", "TITLE"], [[r.code, r.severity, r.title] for r in CATALOG.values()]))
        return
    try:
        click.echo(explanation(code))
    except KeyError:
        raise UsageError(f"unknown finding code {code!r}; `kubectl sidecars explain` lists them") from None



@main.command()
@click.argument("target", nargs=-1, metavar="[KIND NAME]")
@_source_options
@click.option("-o", "--output", type=click.Choice(["table", "json", "yaml", "sarif"]), default="table",
              show_default=True, help="Output format (sarif: SARIF 2.1.0, for code scanning).")
@click.option("--fail-on", type=click.Choice(FAIL_ON), default="never", show_default=True,
              help="Exit with 1 when a finding of this severity or worse exists (for CI).")
@click.option("--kube-version", help="Judge against this Kubernetes version (e.g. 1.28); "
                                     "default: a version with native sidecars (>= 1.29) is assumed.")
@_guarded
def lint(target, output, fail_on, kube_version, **params):
    """Check pod templates for sidecar problems before they run.

    \b
    -f reads manifests (files, folders, - for stdin): `helm template . | kubectl sidecars lint -f -`.
    Without -f, the workloads of the cluster are read: Deployments, StatefulSets, DaemonSets,
    ReplicaSets, Jobs, CronJobs and Pods without an owner (KIND NAME: one of them).
    """
    from kubectl_sidecars.lint import lint_manifests
    from kubectl_sidecars.render.lint import lint_document, lint_table, sarif_document
    from kubectl_sidecars.render.structured import dump
    from kubectl_sidecars.rules.catalog import severity_rank

    version = _kube_version(kube_version)
    notes = []
    result = lint_manifests(_manifests(params, *_target(target), notes), version, notes)
    if output == "table":
        if result.findings():
            click.echo(lint_table(result, _colour(params["no_color"])))
        else:
            click.echo(f"No sidecar problems found in {len(result.objects)} pod template(s).", err=True)
    else:
        click.echo(dump(sarif_document(result) if output == "sarif" else lint_document(result),
                        "json" if output == "sarif" else output))
    if version is None and output == "table":
        warn("no --kube-version: judged as for Kubernetes >= 1.29, where native sidecars are on by default")
    for note in result.notes:
        warn(note)
    worst = result.worst
    if fail_on != "never" and worst and severity_rank(worst) >= severity_rank(fail_on):
        sys.exit(EXIT_FINDINGS)


def _kube_version(text):
    from kubectl_sidecars.model.manifest import parse_kube_version

    if text is None:
        return None
    version = parse_kube_version(text)
    if version is None:
        raise UsageError(f"invalid --kube-version {text!r}: expected MAJOR.MINOR, e.g. 1.28")
    return version


def _manifests(params: dict, kind, name, notes: list):
    """What lint judges: the -f inputs (read once, by lint's reader, which keeps where each document was
    written), the one workload named, or every workload of the selection."""
    from kubectl_sidecars.lint import read_manifests

    if params["files"]:
        return _file_manifests(params, list(read_manifests(params["files"])), kind, name)
    source, selection = _open(params)
    return _cluster_manifests(source, selection, kind, name, notes)


def _file_manifests(params: dict, read: list, kind, name):
    """The objects of the -f inputs the selection names, those a controller made from another left out."""
    from kubectl_sidecars.files import FileSource
    from kubectl_sidecars.kinds import DIAGNOSE_KINDS
    from kubectl_sidecars.lint import in_namespace, without_owned

    _check_namespace_flags(params)
    selection = _selection(params, FileSource([]))
    manifests = in_namespace(without_owned(read), selection, files=True)
    return manifests if kind is None else [
        m for m in manifests if m.obj.get("kind") == DIAGNOSE_KINDS[kind] and m.obj["metadata"]["name"] == name]


def _cluster_manifests(source, selection, kind, name, notes: list):
    """The one workload named, or every workload of the selection."""
    from kubectl_sidecars.kinds import DIAGNOSE_KINDS
    from kubectl_sidecars.lint import Manifest, cluster_manifests, in_namespace

    if kind is None:
        return in_namespace(cluster_manifests(source, selection.namespace, selection.label_selector, notes),
                            selection, files=False)
    if selection.namespace is None:
        raise UsageError(f"{click.get_current_context().info_name} {kind} NAME needs one namespace: drop -A")
    return [Manifest(dict(source.get(DIAGNOSE_KINDS[kind], selection.namespace, name), kind=DIAGNOSE_KINDS[kind]))]


@main.command()
@click.argument("target", nargs=-1, metavar="[KIND NAME]")
@_source_options
@click.option("-o", "--output", type=click.Choice(["yaml", "json"]), default="yaml", show_default=True,
              help="Format of the migrated objects.")
@click.option("--patch", "as_patch", is_flag=True, help="Print one strategic-merge patch per object instead.")
@click.option("--diff", "as_diff", is_flag=True, help="Print a unified diff against the input instead.")
@click.option("--kube-version", help="Check the plan against this Kubernetes version (e.g. 1.28); live, the API "
                                     "server's version and the nodes' kubelets are read.")
@_guarded
def migrate(target, output, as_patch, as_diff, kube_version, **params):
    """Print workloads with legacy sidecars as they should be: native sidecars.

    \b
    -f reads manifests (files, folders, - for stdin); without -f, the workloads of the cluster
    (KIND NAME: one of them). Helpers written into the manifest move to initContainers with
    restartPolicy: Always; helpers an injector adds get the injector's own switch. Nothing is
    applied: the summary and the pre-flight list go to stderr.
    """
    from kubectl_sidecars.lint import Manifest, read_manifests
    from kubectl_sidecars.migrate import cluster_namespaces, cluster_versions, plan_migrations
    from kubectl_sidecars.render.migrate import diff_text, objects_text, patches_text, summary_lines

    if as_patch and as_diff:
        raise UsageError("--patch and --diff cannot be used together")
    version = _kube_version(kube_version)
    kind, name = _target(target)
    notes, nodes, evidence = [], [], []
    if params["files"]:
        evidence = list(read_manifests(params["files"]))
        manifests = _file_manifests(params, evidence, kind, name)
    else:
        source, selection = _open(params)
        manifests = list(_cluster_manifests(source, selection, kind, name, notes))
        evidence = [Manifest(dict(n, kind="Namespace")) for n in cluster_namespaces(source, selection.namespace, notes)]
        if version is None:
            version, nodes = cluster_versions(source, notes)
    plan = plan_migrations(manifests, [m.obj for m in evidence], version, nodes, notes)
    _write(diff_text(plan) if as_diff else patches_text(plan) if as_patch else objects_text(plan, output))
    for line in summary_lines(plan):
        click.echo(line, err=True)
    for note in plan.notes:
        warn(note)
