"""`migrate`: the whole move of a workload to native sidecars, as the manifest it should be. A helper written
into the manifest moves to initContainers with restartPolicy: Always; a helper an injector adds is left to the
injector, whose own switch is set on the pod template; the app's legacy workarounds go where the rewrite is
unambiguous. What the plan cannot settle is said, never guessed. Pure: the objects come in, the plan goes out."""

import copy
import dataclasses
import re
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Tuple

from kubectl_sidecars.errors import ApiError
from kubectl_sidecars.lint import Manifest, _status_of, checked_template, job_spec, pod_template
from kubectl_sidecars.model.classify import EVIDENCE_KINDS, INJECTION_OFF, classify
from kubectl_sidecars.model.manifest import HELM_HOOK, ManifestTemplate, build_manifest_template, parse_kube_version
from kubectl_sidecars.model.objects import NodeView, build_node_view
from kubectl_sidecars.model.owners import controller_reference
from kubectl_sidecars.model.view import container_view
from kubectl_sidecars.model.vocabulary import MESH_INIT_NAMES, helper_words, image_repository
from kubectl_sidecars.rules.common import END_OF_POD_EXIT_CODES, SERVICE_ACCOUNT_MOUNT, startup_probe_for
from kubectl_sidecars.rules.migration import _workarounds_in, command_texts
from kubectl_sidecars.rules.templates import GO_TRUE, INJECTORS, _asks
from kubectl_sidecars.rules.versions import NATIVE_SIDECARS

# What the API server sets on an object and `kubectl get -o yaml` prints: dropped, so the output can be applied
# (or created again) as users write their manifests.
SERVER_SET_METADATA = ("managedFields", "resourceVersion", "uid", "creationTimestamp", "generation", "selfLink")
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
# The Job controller's selector and the labels the API server adds to a Job and its template when it generates
# that selector (pkg/registry/batch/job/strategy.go, generateSelector): a Job created again with them is
# refused (`selector` not auto-generated), so a Job whose selector names its own uid gets them dropped.
JOB_SELECTOR_LABELS = ("controller-uid", "batch.kubernetes.io/controller-uid", "job-name",
                       "batch.kubernetes.io/job-name")
INJECTED = EVIDENCE_KINDS[0]
# A helper is moved when its name or image says what it is; the default-container annotation alone (any other
# container of the pod) or how it behaved is not enough to take an app container out of the app's lifecycle.
NAMED_HELPER = EVIDENCE_KINDS[2:4]

MOVED, SWITCHED, REWRITTEN, FLAGGED, PERSON = "moved", "switched", "rewritten", "flag added", "needs a person"


@dataclass(frozen=True)
class Injector:
    """A webhook that adds a helper to pods, and its own switch to native sidecars."""
    name: str                      # as classify's evidence and templates.INJECTORS name it
    container: str                 # the container it adds
    switch: Optional[Tuple[str, str]]  # the pod-template annotation asking for a native sidecar, or None
    reads_it: str                  # which injector versions read the switch
    minimum: Optional[Tuple[int, int]] = None  # the first version reading it, when a version can be seen


# Each injector's switch, from its own docs and source:
# - Istio: the sidecar.istio.io/nativeSidecar annotation (pkg/kube/inject, Istio >= 1.24) injects istio-proxy as
#   an initContainers entry with restartPolicy: Always; without it istiod's ENABLE_NATIVE_SIDECARS decides.
# - Linkerd: config.beta.linkerd.io/proxy-enable-native-sidecar (Linkerd 2.19; the config.alpha... spelling
#   before, pkg/k8s/labels.go) injects linkerd-proxy as a native sidecar.
# - Dapr: dapr.io/enable-native-sidecar injects daprd as an initContainers entry with restartPolicy: Always and
#   overrides the chart-wide dapr_sidecar_injector.nativeSidecar (Dapr's annotation reference; dapr/dapr#9422).
# - Vault Agent Injector: no native-sidecar switch (hashicorp/vault-k8s#620 is open; #659 is an unmerged
#   proof of concept); vault.hashicorp.com/agent-pre-populate-only runs the agent as an init container only,
#   which is right for a run-to-completion pod that reads its secrets at start.
# - OpenKruise SidecarSet: the switch is in the SidecarSet, not the pod: its initContainers take
#   restartPolicy: Always (openkruise/kruise#1540).
ISTIO = Injector("Istio", "istio-proxy", ("sidecar.istio.io/nativeSidecar", "true"), "Istio >= 1.24", (1, 24))
LINKERD = Injector("Linkerd", "linkerd-proxy", ("config.beta.linkerd.io/proxy-enable-native-sidecar", "true"),
                   "Linkerd >= 2.19 (before 2.19: config.alpha.linkerd.io/proxy-enable-native-sidecar)", (2, 19))
LINKERD_ALPHA = ("config.alpha.linkerd.io/proxy-enable-native-sidecar", "true")
DAPR = Injector("Dapr", "daprd", ("dapr.io/enable-native-sidecar", "true"),
                "a Dapr release whose annotation reference lists dapr.io/enable-native-sidecar")
VAULT = Injector("Vault", "vault-agent", ("vault.hashicorp.com/agent-pre-populate-only", "true"),
                 "every Vault Agent Injector release")
KRUISE = Injector("OpenKruise", "", None, "OpenKruise with native sidecars in SidecarSets (openkruise/kruise#1540)")
BY_NAME = {i.name: i for i in (ISTIO, LINKERD, DAPR, VAULT, KRUISE)}
DAPR_ASK = ("dapr.io/enabled", GO_TRUE)
LINKERD_VERSION = re.compile(r"^(?:stable-|enterprise-|v)?(\d+)\.(\d+)")
IMAGE_VERSION = re.compile(r":v?(\d+)\.(\d+)")

# Cloud SQL Auth Proxy v2 exits 143 on SIGTERM unless told otherwise (`cloud-sql-proxy --help`:
# "--exit-zero-on-sigterm  Exit with 0 exit code when Sigterm received (default is 143)"). As a native sidecar
# it always gets that SIGTERM when the app is done; v1 (gce-proxy, cloudsql-proxy) has no such flag.
EXIT_ZERO = {"cloud-sql-proxy": "--exit-zero-on-sigterm"}

# The app's legacy workarounds this plan can remove with certainty: the whole script is the app's command
# followed by a call telling the helper to exit (or a trap doing it), or prefixed by linkerd-await.
QUIT = (r"(?:(?:curl|wget)\b[^;&|'\"]*?(?:/quitquitquit|:4191/shutdown)\b[^;&|'\"]*"
        r"|pilot-agent\s+request\s+POST\s+/?quitquitquit)(?:\s*\|\|\s*true)?")
SCRIPT_REWRITES = (
    re.compile(rf"^(?P<cmd>.+?)\s*&&\s*{QUIT}$", re.S),
    re.compile(rf"^(?P<cmd>.+?)\s*;\s*(?P<rc>\w+)=\$\?\s*;\s*{QUIT}\s*;\s*exit\s+\$(?P=rc)$", re.S),
    re.compile(rf"^trap\s+(?P<q>['\"]){QUIT}(?P=q)\s+EXIT\s*(?:;|\n)\s*(?P<cmd>.+)$", re.S),
    re.compile(r"^linkerd-await\b[^;&|\n]*?\s--\s+(?P<cmd>.+)$", re.S),
)
SHELLS = ("sh", "bash", "ash", "dash", "zsh")


@dataclass
class Step:
    what: str  # MOVED, SWITCHED, REWRITTEN, FLAGGED or PERSON
    text: str


@dataclass
class Migration:
    """One object: as read (server-set fields dropped), as it should be, and what changed and why."""
    kind: str
    namespace: str
    name: str
    source: Optional[str]
    path: str            # where the pod template sits: spec.template, spec.jobTemplate.spec.template, "" (Pod)
    before: dict
    after: dict
    steps: List[Step] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace else f"{self.kind} {self.name}"

    @property
    def changed(self) -> bool:
        """False when every legacy sidecar it has needs a person: then nothing is printed for it."""
        return self.before != self.after

    def of(self, what: str) -> List[str]:
        return [s.text for s in self.steps if s.what == what]


@dataclass
class Plan:
    migrations: List[Migration]
    unchanged: List[str]           # objects with a pod template and nothing legacy in it
    preflight: List[str]
    notes: List[str] = field(default_factory=list)


# --- cleaning ----------------------------------------------------------------------------------------------

def cleaned(obj: dict) -> dict:
    """The object without status and the metadata the API server sets, as it can be applied or created."""
    obj = copy.deepcopy(obj)
    obj.pop("status", None)
    metadata = obj.get("metadata")
    if isinstance(metadata, dict):
        for key in SERVER_SET_METADATA:
            metadata.pop(key, None)
        _drop(metadata, "annotations", LAST_APPLIED)
    held = pod_template(obj)
    if held is not None and isinstance(held[0].get("metadata"), dict) and held[1]:
        held[0]["metadata"].pop("creationTimestamp", None)
    job_template = (obj.get("spec") or {}).get("jobTemplate") if isinstance(obj.get("spec"), dict) else None
    if isinstance(job_template, dict) and isinstance(job_template.get("metadata"), dict):
        job_template["metadata"].pop("creationTimestamp", None)
    if obj.get("kind") == "Job":
        _drop_generated_selector(obj)
    return obj


def _drop(holder: dict, key: str, *entries: str) -> None:
    """Entries out of a map field, and the field too when nothing is left."""
    values = holder.get(key)
    if isinstance(values, dict):
        for entry in entries:
            values.pop(entry, None)
        if not values:
            holder.pop(key)


def _drop_generated_selector(job: dict) -> None:
    spec = job.get("spec") or {}
    selector = (spec.get("selector") or {}).get("matchLabels") or {}
    if spec.get("manualSelector") or not any(key in selector for key in JOB_SELECTOR_LABELS[:2]):
        return
    spec.pop("selector")
    _drop(job.get("metadata") or {}, "labels", *JOB_SELECTOR_LABELS)
    _drop((spec.get("template") or {}).get("metadata") or {}, "labels", *JOB_SELECTOR_LABELS)


# --- what the input says about injectors -----------------------------------------------------------------

@dataclass
class Injection:
    """An injector seen at work on a workload: in its template, or in the pods the input holds of it."""
    injector: Injector
    how: str
    version: Optional[Tuple[int, int]] = None
    version_text: str = ""
    written_in: bool = False  # the injected container is in the manifest itself (an injected pod, kube-inject)


def workload_of(pod: dict, owners: Dict[Tuple[str, str, str], dict]) -> Optional[Tuple[str, str, str]]:
    """(kind, namespace, name) of the object a pod was made from: its Job's CronJob, its ReplicaSet's
    Deployment (by the ReplicaSet's owner, or its name without the pod-template-hash), or its controller."""
    metadata = pod.get("metadata") or {}
    namespace = metadata.get("namespace") or ""
    owner = controller_reference(metadata)
    if not owner:
        return None
    key = (owner["kind"], namespace, owner["name"])
    above = controller_reference((owners.get(key) or {}).get("metadata") or {})
    if above and above["kind"] in ("CronJob", "Deployment"):
        return above["kind"], namespace, above["name"]
    if owner["kind"] == "ReplicaSet" and "-" in owner["name"]:
        return "Deployment", namespace, owner["name"].rsplit("-", 1)[0]
    return key


def _version(injector: Injector, metadata: dict, container: dict) -> Tuple[Optional[Tuple[int, int]], str]:
    if injector is LINKERD:
        text = ((metadata.get("annotations") or {}).get("linkerd.io/proxy-version")) or ""
        match = LINKERD_VERSION.match(text)
    else:
        text = container.get("image") or ""
        match = IMAGE_VERSION.search(text.split("@")[0].rsplit("/", 1)[-1])
    return ((int(match.group(1)), int(match.group(2))) if match else None), text


def injections_in_pod(pod: dict) -> List[Injection]:
    """The injectors that added containers to a pod, by their own records (classify's evidence)."""
    found = []
    metadata, spec = pod.get("metadata") or {}, pod.get("spec") or {}
    containers = {c.get("name"): c for c in spec.get("containers") or []}
    for name, (_, evidence) in classify(pod).items():
        if not (evidence or "").startswith(INJECTED):
            continue
        injector = next((i for i in BY_NAME.values() if i.name in evidence), None)
        if injector is None:
            continue
        version, text = _version(injector, metadata, containers.get(name) or {})
        found.append(Injection(injector, f"{name} {evidence}", version, text))
    return found


# Namespaces whose pods an injector fills: Istio's webhooks select namespaces labelled istio-injection=enabled or
# istio.io/rev=REVISION (manifests/charts/istio-control/istio-discovery: the namespaceSelector of the sidecar
# injector), Linkerd's proxy injector reads the namespace's linkerd.io/inject annotation (pkg/inject); a pod
# template turns it off with the keys classify.INJECTION_OFF names.
NAMESPACE_INJECTION = ((ISTIO, "labels", "istio-injection", ("enabled",)), (ISTIO, "labels", "istio.io/rev", None),
                       (LINKERD, "annotations", "linkerd.io/inject", ("enabled", "ingress")))


def injections_by_namespace(namespace: dict, template: ManifestTemplate) -> List[Injection]:
    """The injectors the pod template's namespace asks for, unless the template turns them off."""
    found = []
    metadata = namespace.get("metadata") or {}
    for injector, where, key, values in NAMESPACE_INJECTION:
        value = (metadata.get(where) or {}).get(key)
        if not isinstance(value, str) or (values is not None and value not in values):
            continue
        off_key, off_values = INJECTION_OFF[injector.container]
        if any(str(source.get(off_key)).lower() in off_values for source in (template.labels, template.annotations)):
            continue
        if injector.container not in {c.name for c in template.containers}:
            found.append(Injection(injector, f"namespace {metadata.get('name')} asks for it ({where[:-1]} "
                                             f"{key}: {value})"))
    return found


def injections_asked(template: ManifestTemplate) -> List[Injection]:
    """Injection the pod template asks for (label or annotation), for an injector whose container is not there."""
    present = {c.name for c in template.containers}
    asks = [(name, container, key, values) for name, container, (key, values), _, _ in INJECTORS]
    asks.append((DAPR.name, DAPR.container, *DAPR_ASK))
    found = []
    for name, container, key, values in asks:
        asked = _asks(template, key, values)
        if asked and container not in present:
            found.append(Injection(BY_NAME["Vault" if name.endswith("Vault Agent Injector") else name],
                                   f"the pod template asks for it ({asked})"))
    return found


# --- the plan ----------------------------------------------------------------------------------------------

def serves(spec: dict) -> bool:
    """A helper others talk to or wait for at start: a proxy or agent, or one that listens or has readiness."""
    words = helper_words(spec.get("name"), spec.get("image"))
    if words.telemetry and not words.serving:
        return False
    return words.serving or bool(spec.get("ports")) or bool(spec.get("readinessProbe"))


def _mounts(spec: dict) -> set:
    return {m.get("name") for m in spec.get("volumeMounts") or [] if m.get("mountPath") != SERVICE_ACCOUNT_MOUNT}


def _runs_before(init: dict, helper: dict) -> Optional[str]:
    """Why an init container must still run before the helper, or None. As a legacy sidecar the helper started
    after every init container, so keeping it after one is never worse than before; only what cannot need it
    goes after it."""
    if init.get("restartPolicy") == "Always":
        return "a native sidecar already"
    name = init.get("name") or ""
    if name in MESH_INIT_NAMES:
        return "the mesh's own init container"
    if name.startswith(f"{helper.get('name')}-") or image_repository(init.get("image")) == image_repository(
            helper.get("image")):
        return f"{helper.get('name')}'s own init step"
    shared = _mounts(init) & _mounts(helper)
    if shared:
        return f"it prepares {', '.join(sorted(shared))}, which {helper.get('name')} mounts"
    return None


def placement(inits: List[dict], helper: dict) -> Tuple[int, List[str], List[str]]:
    """Where the helper goes in initContainers: after the init containers that must run before it; a helper
    that serves (a proxy, one that listens) right there, before the init containers that may need it (what
    init-before-sidecar asks for), and any other helper last. With the names it comes after and before."""
    last = max((i for i, init in enumerate(inits) if _runs_before(init, helper)), default=-1)
    position = last + 1 if serves(helper) else len(inits)
    return position, [i.get("name") for i in inits[:position]], [i.get("name") for i in inits[position:]]


def native(spec: dict) -> Tuple[dict, Optional[str]]:
    """The container as a native sidecar, every field kept: restartPolicy Always and, where it has none, a
    startupProbe derived from its readinessProbe or its first port (and what was derived, or why not)."""
    moved = copy.deepcopy(spec)
    moved["restartPolicy"] = "Always"
    if spec.get("startupProbe"):
        return moved, None
    probe = startup_probe_for(spec)
    if probe is None:
        return moved, None
    moved["startupProbe"] = copy.deepcopy(probe)
    source = ("its readinessProbe" if spec.get("readinessProbe") else
              f"a TCP check of its port {probe['tcpSocket']['port']}")
    return moved, f"startupProbe derived from {source} (periodSeconds 1, failureThreshold 30)"


def exit_zero(spec: dict) -> Tuple[Optional[str], Optional[str]]:
    """The flag added to a helper that exits non-zero on SIGTERM without it ((flag, None)), or why it could not
    be added where it is needed ((None, reason)); (None, None) when none is needed."""
    flag = EXIT_ZERO.get(image_repository(spec.get("image")))
    command, args = spec.get("command"), spec.get("args")
    if flag is None or flag in (command or []) + (args or []):
        return None, None
    program = str((command or [""])[0]).rsplit("/", 1)[-1]
    if args is not None and (command is None or program == "cloud-sql-proxy"):
        spec["args"] = list(args) + [flag]
    elif command is not None and program == "cloud-sql-proxy":
        spec["command"] = list(command) + [flag]
    else:
        shown = " ".join(map(str, command or []))
        return None, f"{spec.get('name')} exits 143 on SIGTERM: add {flag} to its command ({shown} is not the proxy)"
    return flag, None


def rewrite_command(spec: dict) -> Optional[str]:
    """The app's command without its legacy workaround, rewritten in place, and what went; None when nothing
    could be rewritten with certainty."""
    command = [str(part) for part in spec.get("command") or []]
    if command and command[0].rsplit("/", 1)[-1] == "linkerd-await" and "--" in command[:-1]:
        spec["command"] = command[command.index("--") + 1:]
        return f"`{' '.join(command[:command.index('--') + 1])}` before its command"
    script_at = _script(spec)
    if script_at is None:
        return None
    holder, index = script_at
    script = str(spec[holder][index]).strip()
    for pattern in SCRIPT_REWRITES:
        match = pattern.match(script)
        if match:
            spec[holder] = list(spec[holder])
            spec[holder][index] = match.group("cmd").strip()
            return f"`{script}` became `{match.group('cmd').strip()}`"
    return None


def _script(spec: dict) -> Optional[Tuple[str, int]]:
    """Where the shell script of `sh -c SCRIPT` is: ("command", 2), or ("args", 0) after command [sh, -c]."""
    command, args = spec.get("command") or [], spec.get("args") or []
    if len(command) >= 1 and str(command[0]).rsplit("/", 1)[-1] in SHELLS:
        if len(command) == 3 and command[1] == "-c" and not args:
            return "command", 2
        if len(command) == 2 and command[1] == "-c" and len(args) == 1:
            return "args", 0
    return None


def workarounds_left(spec: dict) -> List[str]:
    view = container_view(spec, None, "app", 0, None)
    return list(_workarounds_in("\n".join(command_texts(view)), frozenset(("shutdown", "startup"))))


class Planner:
    """Migrates objects one by one against what the whole input says (pods of the workloads, versions)."""

    def __init__(self, kube_version: Optional[Tuple[int, int]] = None, nodes: Iterable[NodeView] = (),
                 evidence: Iterable[dict] = ()):
        self.kube_version = kube_version
        self.nodes = list(nodes)
        evidence = [o for o in evidence if isinstance(o, dict)]
        owners = {(o.get("kind") or "", (o.get("metadata") or {}).get("namespace") or "",
                   (o.get("metadata") or {}).get("name") or ""): o for o in evidence}
        self.injected: Dict[Tuple[str, str, str], List[Injection]] = {}
        self.namespaces = {(o.get("metadata") or {}).get("name"): o for o in evidence if o.get("kind") == "Namespace"}
        for obj in evidence:
            if obj.get("kind") == "Pod":
                home = workload_of(obj, owners)
                if home:
                    self.injected.setdefault(home, []).extend(injections_in_pod(obj))
        self.preflight: List[str] = []

    def plan(self, manifests: Iterable[Manifest], notes: Optional[List[str]] = None) -> Plan:
        notes = [] if notes is None else notes  # the reader adds notes as it goes
        migrations, unchanged = [], []
        for manifest in manifests:
            if checked_template(manifest, notes) is None:
                continue
            migration = self.migrate(manifest)
            if migration is None:
                continue
            if migration.before == migration.after and not migration.steps:
                unchanged.append(migration.title)
            else:
                migrations.append(migration)
        self.preflight[:0] = self._versions(migrations)
        return Plan(migrations, unchanged, list(dict.fromkeys(self.preflight)), notes)

    def migrate(self, manifest: Manifest) -> Optional[Migration]:
        before = cleaned(manifest.obj)
        if pod_template(before) is None:
            return None
        after = copy.deepcopy(before)
        template, path = pod_template(after)
        metadata = after.get("metadata") or {}
        kind, namespace, name = after.get("kind") or "", metadata.get("namespace") or "", metadata.get("name") or ""
        migration = Migration(kind, namespace, name, manifest.source, path, before, after)
        view = build_manifest_template(kind, namespace, name, template, path,
                                       (metadata.get("annotations") or {}).get(HELM_HOOK), self.kube_version)
        injections = self._injections(view, (kind, namespace, name))
        migrated = self._switch(migration, view, template, injections)
        migrated += self._move(migration, view, template, {i.injector.container for i in injections})
        if migrated:
            maker = controller_reference(metadata)
            if maker:
                migration.steps.append(Step(PERSON, f"{kind} {name} is made by {maker['kind']} {maker['name']}: "
                                                    "make the same change in the template it is made from"))
            self._rewrite_apps(migration, view, template)
            self._failure_policy(migration, view, migrated)
            if kind == "Job":
                self.preflight.append(f"{migration.title}: a Job's pod template cannot be changed: delete the Job "
                                      "and create it from this output (or let the next one be created from it)")
        return migration

    def _injections(self, view: ManifestTemplate, key: Tuple[str, str, str]) -> List[Injection]:
        found = injections_asked(view) + self.injected.get(key, [])
        if key[1] in self.namespaces:
            found += injections_by_namespace(self.namespaces[key[1]], view)
        for container in view.legacy_sidecars:
            if (container.evidence or "").startswith(INJECTED):
                injector = next((i for i in BY_NAME.values() if i.name in container.evidence), KRUISE)
                version, text = _version(injector, {"annotations": view.annotations}, container.spec)
                found.append(Injection(injector, f"{container.name} {container.evidence}", version, text,
                                       written_in=True))
        unique: Dict[str, Injection] = {}
        for injection in found:  # one per injector, with a version if any of them shows one
            kept = unique.setdefault(injection.injector.name, dataclasses.replace(injection))
            if kept.version is None and injection.version is not None:
                kept.version, kept.version_text = injection.version, injection.version_text
            kept.written_in = kept.written_in or injection.written_in
        return list(unique.values())

    def _switch(self, migration: Migration, view: ManifestTemplate, template: dict,
                injections: List[Injection]) -> List[str]:
        """The injectors' own switches on the pod template; the containers they concern."""
        concerned = []
        for injection in injections:
            injector = injection.injector
            if injector.switch is None:
                migration.steps.append(Step(PERSON, f"{injection.how}: make the change in that SidecarSet (its "
                                                    "initContainers take restartPolicy: Always, "
                                                    f"{injector.reads_it}), not in the pod template"))
                continue
            if injector is VAULT and not view.runs_to_completion:
                migration.steps.append(Step(PERSON, f"{injection.how}: the Vault Agent Injector has no native-"
                                                    "sidecar switch (hashicorp/vault-k8s#620), and this pod keeps "
                                                    "running, so the agent must keep renewing: leave it as it is"))
                continue
            key, value = injector.switch
            if injector is LINKERD and injection.version is not None and injection.version < LINKERD.minimum:
                key, value = LINKERD_ALPHA
            annotations = template.setdefault("metadata", {}).setdefault("annotations", {})
            if annotations.get(key) in GO_TRUE:
                continue
            annotations[key] = value
            concerned.append(injector.container)
            what = ("runs the agent as an init container only: it renders the secrets once, before the app"
                    if injector is VAULT else f"{injector.container} injected as a native sidecar")
            migration.steps.append(Step(SWITCHED, f"{key}: \"{value}\" ({injector.name}, {injection.how}): {what}; "
                                                  f"read by {injector.reads_it}"))
            self._injector_version(migration, injection)
            if injection.written_in:
                migration.steps.append(Step(PERSON, f"{injection.how.split(' ', 1)[0]} was written into this "
                                                    f"manifest by an earlier injection: remove what {injector.name} "
                                                    "added and let it inject again with the switch"))
        return concerned

    def _injector_version(self, migration: Migration, injection: Injection) -> None:
        injector = injection.injector
        if injector.minimum is None or injection.version is None:
            if injector is not VAULT:
                self.preflight.append(f"{migration.title}: {injector.name}'s version cannot be seen here; the "
                                      f"switch needs {injector.reads_it}")
            return
        if injection.version < injector.minimum and injector is not LINKERD:
            seen = "{}.{}".format(*injection.version)
            self.preflight.append(f"{migration.title}: {injector.name} {seen} ({injection.version_text}) cannot "
                                  f"switch: the annotation needs {injector.reads_it}; upgrade it first")

    def _move(self, migration: Migration, view: ManifestTemplate, template: dict, injected: set) -> List[str]:
        """Every helper written into the manifest, moved to initContainers as a native sidecar."""
        spec = template.setdefault("spec", {})
        moved = []
        for container in view.legacy_sidecars:
            if container.name in injected or (container.evidence or "").startswith(INJECTED):
                continue
            if not (container.evidence or "").startswith(NAMED_HELPER):
                migration.steps.append(Step(PERSON, f"{container.name} is a helper only by {container.evidence}: "
                                                    "if it is one, move it to initContainers with restartPolicy: "
                                                    "Always yourself"))
                continue
            containers = spec.get("containers") or []
            entry = next(c for c in containers if c.get("name") == container.name)
            spec["containers"] = [c for c in containers if c is not entry]
            helper, probe = native(entry)
            inits = list(spec.get("initContainers") or [])
            position, after, before = placement(inits, helper)
            inits.insert(position, helper)
            if "initContainers" not in spec:  # a new list goes where people write it: before containers
                rest = list(spec.items())
                spec.clear()
                for key, value in rest:
                    if key == "containers":
                        spec["initContainers"] = inits
                    spec[key] = value
            spec["initContainers"] = inits
            where = (f"after {', '.join(after)}" if after else "first") + (f", before {', '.join(before)}"
                                                                           if before else "")
            migration.steps.append(Step(MOVED, f"{container.name}: containers -> initContainers[{position}] ({where}) "
                                               f"with restartPolicy: Always"))
            if probe:
                migration.steps.append(Step(MOVED, f"{container.name}: {probe}"))
            elif not helper.get("startupProbe") and serves(helper):
                migration.steps.append(Step(PERSON, f"{container.name} gets no startupProbe: it declares no port or "
                                                    "readinessProbe to derive one from; add one, or the app may "
                                                    "start before it serves"))
            flag, problem = exit_zero(helper)
            if flag:
                migration.steps.append(Step(FLAGGED, f"{container.name}: {flag} (it exits 143 on SIGTERM without "
                                                     "it, and as a native sidecar it is always stopped that way)"))
            if problem:
                migration.steps.append(Step(PERSON, problem))
            moved.append(container.name)
        return moved

    def _rewrite_apps(self, migration: Migration, view: ManifestTemplate, template: dict) -> None:
        spec = template["spec"]
        for container in view.apps:
            entry = next(c for c in spec.get("containers") or [] if c.get("name") == container.name)
            if not workarounds_left(entry):
                continue
            rewritten = rewrite_command(entry)
            if rewritten:
                migration.steps.append(Step(REWRITTEN, f"{container.name}: {rewritten}"))
            left = workarounds_left(entry)
            if left:
                migration.steps.append(Step(PERSON, f"{container.name} still uses {'; '.join(left)}: remove it by "
                                                    "hand (no rewrite is certain); with native sidecars it is not "
                                                    "needed"))

    def _failure_policy(self, migration: Migration, view: ManifestTemplate, migrated: List[str]) -> None:
        job = job_spec(migration.after)
        if job is None:
            return
        app = next((c.name for c in view.apps), "APP-CONTAINER")
        for rule in job.failure_policy:
            if not rule.on_exit_codes or rule.container_name or rule.action == "Count":
                continue
            codes = [c for c in END_OF_POD_EXIT_CODES if rule.matches(c)]
            if codes:
                self.preflight.append(
                    f"{migration.title}: podFailurePolicy rules[{rule.index}] ({rule.action} on exit codes "
                    f"{rule.operator} {list(rule.values)}) has no containerName, so it also matches "
                    f"{', '.join(migrated)} ending with {' or '.join(map(str, codes))} when the pod stops: scope it "
                    f"with onExitCodes.containerName: {app}")

    def _versions(self, migrations: List[Migration]) -> List[str]:
        if not migrations:
            return []
        found = []
        if self.kube_version is None:
            found.append("no --kube-version: the plan assumes Kubernetes >= 1.29 on the API server and every node")
        elif self.kube_version < NATIVE_SIDECARS:
            version = "{}.{}".format(*self.kube_version)
            found.append(f"Kubernetes {version} cannot run native sidecars (1.28 only behind the SidecarContainers "
                         "gate, off by default; beta from 1.29): upgrade before applying this")
        old = [n for n in self.nodes if n.kubelet_version is not None and n.kubelet_version < NATIVE_SIDECARS]
        if old:
            listed = ", ".join(f"{n.name} ({n.kubelet})" for n in old[:5]) + (
                f" and {len(old) - 5} more" if len(old) > 5 else "")
            found.append(f"{len(old)} node(s) run a kubelet older than 1.29, which cannot run native sidecars: "
                         f"{listed}; upgrade them or keep these pods off them")
        return found


def cluster_namespaces(source, namespace: Optional[str], notes: List[str]) -> List[dict]:
    """The namespace read (or all of them), for the injection they ask for; refused, a note."""
    try:
        return [source.get("Namespace", None, namespace)] if namespace else list(source.list("Namespace", None))
    except ApiError as error:
        if _status_of(error) not in (403, 404):
            raise
        notes.append(f"namespaces could not be read, so injection asked for by a namespace was not seen ({error})")
        return []


def cluster_versions(source, notes: List[str]) -> Tuple[Optional[Tuple[int, int]], List[NodeView]]:
    """The API server's version (GET /version) and the nodes' kubelets (one paged LIST), for the pre-flight
    list; what may not be read is a note, and the plan is made without it."""
    version = None
    try:
        answer = source.reader.version()
        version = parse_kube_version(str(answer.get("gitVersion") or ""))
    except ApiError as error:
        notes.append(f"the API server's version could not be read ({error})")
    nodes = []
    try:
        nodes = [build_node_view(node) for node in source.list("Node", None)]
    except ApiError as error:
        if _status_of(error) not in (403, 404):
            raise
        notes.append(f"nodes could not be listed, so their kubelet versions were not checked ({error})")
    return version, nodes


def plan_migrations(manifests: Iterable[Manifest], evidence: Iterable[dict] = (),
                    kube_version: Optional[Tuple[int, int]] = None, nodes: Iterable[NodeView] = (),
                    notes: Optional[List[str]] = None) -> Plan:
    return Planner(kube_version, nodes, evidence).plan(manifests, notes)
