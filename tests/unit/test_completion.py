"""Shell completion: kubectl runs `kubectl_complete-sidecars WORD...` and reads Cobra's __complete output.

The protocol (k8s.io/kubectl pkg/cmd/plugin/plugin_completion.go): the words after the plugin name, the
last one being completed (empty for a new word); stdout holds one candidate per line, `value<TAB>help`
allowed, and a last line `:<directive>`; stderr goes to the user's terminal; a failed run is ignored.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kubectl_sidecars import completion
from kubectl_sidecars.completion import Answer, complete

ROOT = Path(__file__).resolve().parents[2]
REALCASES = ROOT / "tests" / "fixtures" / "realcases"
CRONJOB_CASE = REALCASES / "01-legacy-slow-sidecar-app-crash-cronjob.json"
SCRIPTS = Path(sys.executable).parent
K8S_VERSION = os.environ.get("K8S_VERSION", "v1.36.3")


def values(answer: Answer):
    return [c.value for c in answer.candidates]


KUBECONFIG = """\
apiVersion: v1
kind: Config
current-context: dev
clusters:
- {name: east, cluster: {server: "https://127.0.0.1:1"}}
users:
- {name: me, user: {token: t}}
contexts:
- {name: dev, context: {cluster: east, user: me, namespace: team-a}}
- {name: prod, context: {cluster: east, user: me}}
"""


@pytest.fixture
def kubeconfig(tmp_path):
    path = tmp_path / "config"
    path.write_text(KUBECONFIG)
    return path


class FakeSource:
    """What open_source returns, with the calls recorded."""

    default_namespace = "team-a"

    def __init__(self, objects):
        self.objects = objects
        self.calls = []

    def list(self, kind, namespace, label_selector=None):
        self.calls.append((kind, namespace, label_selector))
        return [{"kind": kind, "metadata": {"name": name, "namespace": ns}}
                for k, ns, name in self.objects if k == kind and (namespace is None or ns == namespace)]


@pytest.fixture
def cluster(monkeypatch):
    """Replaces the cluster with a fake; records what open_source was asked for."""
    source = FakeSource([
        ("Namespace", None, "team-a"), ("Namespace", None, "team-b"), ("Namespace", None, "kube-system"),
        ("Pod", "team-a", "web-1"), ("Pod", "team-a", "web-2"), ("Pod", "team-a", "db-0"),
        ("Pod", "team-b", "batch-x"), ("Job", "team-a", "nightly"), ("Job", "team-a", "hourly"),
        ("CronJob", "team-a", "nightly"),
    ])
    opened = []

    def open_source(files, kubeconfig, context, request_timeout, chunk_size):
        opened.append({"files": files, "kubeconfig": kubeconfig, "context": context, "timeout": request_timeout})
        return source

    import kubectl_sidecars.pipeline

    monkeypatch.setattr(kubectl_sidecars.pipeline, "open_source", open_source)
    source.opened = opened
    return source


# --- subcommands and flags: from the click CLI ------------------------------------------------------------

def test_new_word_lists_the_subcommands_with_their_help():
    answer = complete([""])
    assert {"status", "diagnose", "explain"} <= set(values(answer))
    assert answer.directive == completion.DIRECTIVE_NO_FILE_COMP
    status = next(c for c in answer.candidates if c.value == "status")
    assert status.description.startswith("Classify every container")


def test_subcommand_prefix():
    assert values(complete(["st"])) == ["status"]
    assert values(complete(["nope"])) == []


def test_flags_of_the_group():
    assert set(values(complete(["-"]))) == {"--version", "--help", "-h"}
    assert values(complete(["--v"])) == ["--version"]


def test_flags_of_a_subcommand_long_and_short_forms():
    answer = complete(["status", "-"])
    found = values(answer)
    for flag in ("--namespace", "-n", "--all-namespaces", "-A", "--output", "-o", "--context", "--kubeconfig",
                 "--selector", "-l", "--help"):
        assert flag in found
    assert answer.directive == completion.DIRECTIVE_NO_FILE_COMP
    namespace = next(c for c in answer.candidates if c.value == "--namespace")
    assert "Namespace" in namespace.description
    assert values(complete(["status", "--name"])) == ["--namespace"]


def test_flags_already_given_are_not_offered_again():
    found = values(complete(["status", "-n", "x", "-"]))
    assert "--namespace" not in found and "-n" not in found
    assert "--output" in found


def test_help_or_version_on_the_line_ends_completion():
    assert values(complete(["status", "--help", ""])) == []
    assert values(complete(["--version", ""])) == []


def test_choice_values_for_output():
    assert values(complete(["status", "-o", ""])) == ["table", "wide", "json", "yaml"]
    assert values(complete(["status", "--output", "y"])) == ["yaml"]
    assert values(complete(["diagnose", "-o", ""])) == ["table", "json", "yaml"]
    assert "warning" in values(complete(["diagnose", "--fail-on", ""]))


def test_flag_with_equal_gets_bare_values():
    # bash, zsh and fish keep the "--output=" part themselves, as with Cobra programs.
    assert values(complete(["status", "--output=j"])) == ["json"]
    assert values(complete(["status", "-o=w"])) == ["wide"]


def test_file_flags_fall_back_to_file_completion():
    for words in (["status", "--kubeconfig", ""], ["status", "-f", "tes"], ["diagnose", "--filename=x"]):
        answer = complete(words)
        assert values(answer) == [] and answer.directive == completion.DIRECTIVE_DEFAULT, words


def test_explain_completes_finding_codes_with_their_titles():
    from kubectl_sidecars.rules import CATALOG

    answer = complete(["explain", ""])
    assert values(answer) == list(CATALOG)
    assert all(c.description for c in answer.candidates)
    assert values(complete(["explain", "sidecar-oom"])) == ["sidecar-oomkilled"]
    assert values(complete(["explain", "sidecar-oomkilled", ""])) == []


def test_diagnose_completes_kinds_first():
    assert values(complete(["diagnose", ""])) == list(completion.DIAGNOSE_KINDS)
    assert values(complete(["diagnose", "c"])) == ["cronjob"]


def test_lint_completes_kinds_and_its_outputs():
    assert values(complete(["lint", "d"])) == ["deployment", "daemonset"]
    assert values(complete(["lint", "-o", ""])) == ["table", "json", "yaml", "sarif"]


def test_migrate_completes_kinds_and_its_outputs():
    assert values(complete(["migrate", "c"])) == ["cronjob"]
    assert values(complete(["migrate", "-o", ""])) == ["yaml", "json"]


# --- values from the kubeconfig and the cluster -------------------------------------------------------------

def test_contexts_from_the_kubeconfig_on_the_line(kubeconfig):
    answer = complete(["status", "--kubeconfig", str(kubeconfig), "--context", ""])
    assert values(answer) == ["dev", "prod"]
    assert answer.candidates[0].description == "cluster east"
    assert values(complete(["status", f"--kubeconfig={kubeconfig}", "--context=p"])) == ["prod"]


def test_contexts_from_every_file_of_KUBECONFIG(tmp_path, kubeconfig, monkeypatch):
    other = tmp_path / "other"
    other.write_text("contexts:\n- {name: staging, context: {cluster: west}}\n- {name: dev, context: {}}\n")
    monkeypatch.setenv("KUBECONFIG", os.pathsep.join([str(kubeconfig), str(tmp_path / "missing"), str(other)]))
    assert values(complete(["status", "--context", ""])) == ["dev", "prod", "staging"]


def test_namespaces_from_the_cluster(cluster, kubeconfig):
    answer = complete(["status", "--kubeconfig", str(kubeconfig), "--context", "prod", "-n", "team"])
    assert values(answer) == ["team-a", "team-b"]
    assert cluster.calls == [("Namespace", None, None)]
    assert cluster.opened == [{"files": (), "kubeconfig": str(kubeconfig), "context": "prod",
                               "timeout": completion.DEFAULT_TIMEOUT}]


def test_pods_of_the_context_namespace_for_status(cluster):
    assert values(complete(["status", ""])) == ["db-0", "web-1", "web-2"]
    assert cluster.calls == [("Pod", "team-a", None)]


def test_pods_honour_namespace_selector_and_timeout_typed(cluster):
    assert values(complete(["status", "-nteam-b", "-l", "app=x", "--request-timeout=1s", ""])) == ["batch-x"]
    assert cluster.calls == [("Pod", "team-b", "app=x")]
    assert cluster.opened[0]["timeout"] == "1s"


def test_pods_of_every_namespace_with_A_and_without_those_already_typed(cluster):
    assert values(complete(["status", "-A", "web-1", ""])) == ["batch-x", "db-0", "web-2"]
    assert cluster.calls == [("Pod", None, None)]


def test_diagnose_names_of_the_kind_typed(cluster):
    assert values(complete(["diagnose", "job", ""])) == ["hourly", "nightly"]
    assert values(complete(["diagnose", "-n", "team-a", "cj", "n"])) == ["nightly"]
    assert values(complete(["diagnose", "jobs/n"])) == ["jobs/nightly"]
    assert values(complete(["diagnose", "job", "nightly", ""])) == []
    assert values(complete(["diagnose", "widget", ""])) == []


def test_after_dashdash_words_are_arguments(cluster):
    assert values(complete(["status", "--", "-"])) == []
    assert cluster.calls == [("Pod", "team-a", None)]


def test_pod_names_from_input_files():
    answer = complete(["status", "-f", str(CRONJOB_CASE), ""])
    assert values(answer) == ["sidecar-cronjob-28689938-5n5x9"]
    assert values(complete(["diagnose", "-f", str(CRONJOB_CASE), "job", ""])) == ["sidecar-cronjob-28689938"]


def test_stdin_input_is_never_read():
    assert values(complete(["status", "-f", "-", ""])) == []


def test_a_failing_read_gives_no_candidates_and_no_noise(cluster, monkeypatch, capsys):
    def broken(*args):
        print("noise", file=sys.stderr)
        raise RuntimeError("boom")

    monkeypatch.setattr(FakeSource, "list", broken)
    with pytest.raises(SystemExit) as exit_:
        completion.main(["status", ""])
    assert exit_.value.code == 0
    assert capsys.readouterr() == (":4\n", "")


def test_render_is_cobra_output():
    answer = Answer([completion.Candidate("a", "first\tline\nsecond"), completion.Candidate("b")], 4)
    assert answer.render() == "a\tfirst line second\nb\n:4\n"
    assert Answer().render() == ":4\n"


def test_names_with_invisible_characters_are_never_offered():
    # the shell would insert them into the command line, or the terminal would act on them
    names = ["web", "evil\x1b[2J", "rtl\u202e", "zw\u200b", "tag\U000e0041", "nl\nrow"]
    answer = Answer([completion.Candidate(name, f"cluster {name}") for name in names], 4)
    assert answer.render() == "web\tcluster web\n:4\n"
    described = Answer([completion.Candidate("ctx", "cluster c\x1b]0;t\x07")])
    assert described.render() == "ctx\tcluster c\\x1b]0;t\\x07\n:4\n"


# --- the executable, called the way kubectl calls it --------------------------------------------------------

def run_completion(*words, env=None):
    executable = shutil.which("kubectl_complete-sidecars", path=str(SCRIPTS))
    if executable is None:
        pytest.skip(f"kubectl_complete-sidecars is not installed in {SCRIPTS}: run `pip install -e .`")
    environment = dict(os.environ, KUBECONFIG=os.devnull)
    environment.update(env or {})
    return subprocess.run([executable, *words], capture_output=True, text=True, env=environment, timeout=60,
                          stdin=subprocess.DEVNULL)


def test_executable_completes_subcommands():
    proc = run_completion("")
    assert proc.returncode == 0 and proc.stderr == ""
    lines = proc.stdout.splitlines()
    assert lines[-1] == ":4"
    assert any(line.startswith("status\t") for line in lines)


def test_executable_completes_flags_and_values():
    assert run_completion("status", "--out").stdout.splitlines()[0].startswith("--output\t")
    assert run_completion("status", "-o", "").stdout == "table\nwide\njson\nyaml\n:4\n"


def test_executable_failure_is_silent(tmp_path):
    debug = tmp_path / "debug.log"
    proc = run_completion("status", "-n", "", env={"KUBECONFIG": str(tmp_path / "missing"),
                                                   "BASH_COMP_DEBUG_FILE": str(debug)})
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, ":4\n", "")
    assert "kubectl_complete-sidecars" in debug.read_text()


def built_kubectl():
    cache = os.environ.get("KUBECTL_SIDECARS_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "kubectl-sidecars")
    path = Path(cache) / f"kubernetes-{K8S_VERSION}" / "kubectl"
    if not path.is_file():
        pytest.skip(f"no kubectl built at {path} (hack/build-control-plane.sh kubernetes builds it)")
    return path


@pytest.mark.parametrize("words, expected", [
    (["sidecars", ""], "status"),
    (["sidecars", "status", "--output="], "json"),
    (["sidecars", "explain", "sidecar-oom"], "sidecar-oomkilled"),
])
def test_through_kubectl_plugin_completion(words, expected):
    """kubectl's own `__complete` finds kubectl_complete-sidecars on PATH and relays its answer."""
    if shutil.which("kubectl_complete-sidecars", path=str(SCRIPTS)) is None:
        pytest.skip(f"kubectl_complete-sidecars is not installed in {SCRIPTS}")
    environment = dict(os.environ, PATH=os.pathsep.join([str(SCRIPTS), "/usr/bin", "/bin"]),
                       KUBECONFIG=os.devnull, KUBERC="off")
    proc = subprocess.run([str(built_kubectl()), "__complete", *words], capture_output=True, text=True,
                          env=environment, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert expected in [line.split("\t")[0] for line in lines[:-1]]
    assert lines[-1] == ":4"
