"""Legacy sidecars that could be native ones, and the hacks that only exist because they are not."""

import functools
import re
from typing import FrozenSet, Iterable, List, Optional, Tuple

from kubectl_sidecars.model import ContainerView
from kubectl_sidecars.rules.catalog import INFO, LIVE_POD, POD_TEMPLATE, Fix, rule, with_legacy_sidecars
from kubectl_sidecars.rules.common import AnyPod, migration_patch, named, template_patch
from kubectl_sidecars.snapshot import Snapshot

# (pattern, what it is, what it works around: "shutdown" or "startup")
WORKAROUNDS: Tuple[Tuple[re.Pattern, str, str], ...] = (
    (re.compile(r"pilot-agent\s+request\s+POST\s+/?quitquitquit", re.I),
     "`pilot-agent request POST quitquitquit` (tells the Istio proxy to exit)", "shutdown"),
    (re.compile(r"(localhost|127\.0\.0\.1):15020/quitquitquit", re.I),
     "a POST to localhost:15020/quitquitquit (tells the Istio proxy to exit)", "shutdown"),
    (re.compile(r"--quitquitquit\b", re.I),
     "Cloud SQL Proxy `--quitquitquit` (lets the app tell the proxy to exit)", "shutdown"),
    (re.compile(r"cloud[-_]sql[-_]proxy\s+shutdown\b", re.I),
     "`cloud-sql-proxy shutdown` (tells the Cloud SQL Proxy to exit)", "shutdown"),
    (re.compile(r"/quitquitquit\b", re.I), "a POST to /quitquitquit (tells a proxy to exit)", "shutdown"),
    (re.compile(r"linkerd-await\b[^;&|]*?\s(--shutdown|-S)\b", re.I),
     "`linkerd-await --shutdown` (stops the Linkerd proxy when the command ends; needs the proxy's admin "
     "shutdown endpoint, off by default since Linkerd edge-24.6.2)", "shutdown"),
    (re.compile(r"(localhost|127\.0\.0\.1):4191/shutdown", re.I),
     "a POST to localhost:4191/shutdown (the Linkerd proxy's admin shutdown endpoint)", "shutdown"),
    (re.compile(r"\blinkerd-await\b", re.I),
     "`linkerd-await` (holds the app until the Linkerd proxy is ready)", "startup"),
    (re.compile(r"\b(touch|echo\b[^;&|>]*>|>)\s*['\"]?[\w./$-]*/(done|finished|complete|completed|exit|exited|"
                r"terminate|terminated|stop|shutdown|quit)\b[\w.-]*", re.I),
     "a shared-volume \"done\" file (the app signals the helper to exit)", "shutdown"),
    (re.compile(r"\b(while|until)\b[^;]*?(\[\[?|\btest)\s+(!\s+)?-[ef]\s+['\"]?[\w./$-]*/(done|finished|complete|"
                r"completed|exit|exited|terminate|terminated|stop|shutdown|quit)\b", re.I),
     "a loop waiting for a shared-volume \"done\" file (the helper exits when the app is done)", "shutdown"),
)

INJECTOR_HINTS = (
    ("Istio", "Istio injected it: ask the injector for a native sidecar instead of editing the pod, with this "
              "annotation on the pod template (or ENABLE_NATIVE_SIDECARS=true on istiod for the whole mesh; "
              "Istio >= 1.27 does it by itself where every node's kubelet is >= 1.33):",
     {"metadata": {"annotations": {"sidecar.istio.io/nativeSidecar": "true"}}}),
    ("Linkerd", "Linkerd injected it: ask the injector for a native sidecar (Kubernetes >= 1.29) with this "
                "annotation on the pod template or the namespace:",
     {"metadata": {"annotations": {"config.beta.linkerd.io/proxy-enable-native-sidecar": "true"}}}),
    ("Vault", "The Vault Agent Injector injected it: if the app only reads its secrets at start (typical of a "
              "Job), run the agent as an init container only:",
     {"metadata": {"annotations": {"vault.hashicorp.com/agent-pre-populate-only": "true"}}}),
    ("OpenKruise", "An OpenKruise SidecarSet injected it: the change belongs in that SidecarSet (move the "
                   "container to its initContainers with restartPolicy: Always), not in the pod.", None),
)


def own_hooks(container: ContainerView) -> Tuple[str, ...]:
    """The lifecycle hooks whose commands can hold a workaround. A sidecar's own postStart hook is not one:
    `linkerd-await` or `pilot-agent wait` there is how the injector holds the next containers until the
    proxy is ready (the start-up gate native sidecars use too)."""
    return ("preStop",) if container.is_sidecar else ("postStart", "preStop")


def command_texts(container: ContainerView, hooks: Iterable[str] = ("postStart", "preStop")) -> List[str]:
    """The container's command line and the exec commands of its lifecycle `hooks`."""
    texts = [container.command_line]
    for hook in hooks:
        command = (((container.spec.get("lifecycle") or {}).get(hook) or {}).get("exec") or {}).get("command")
        if command:
            texts.append(" ".join(str(part) for part in command))
    return [t for t in texts if t]


def workarounds(container: ContainerView, kinds: Iterable[str] = ("shutdown", "startup")) -> List[str]:
    """The legacy-sidecar workarounds in the container's command and hooks (not a sidecar's postStart)."""
    return list(_workarounds_in("\n".join(command_texts(container, own_hooks(container))), frozenset(kinds)))


@functools.lru_cache(maxsize=1024)
def _workarounds_in(text: str, kinds: FrozenSet[str]) -> Tuple[str, ...]:
    """Several rules ask, per container, and replicas share their commands: each text is searched once."""
    found: List[str] = []
    covered = set()
    for pattern, what, kind in WORKAROUNDS:
        if kind not in kinds:
            continue
        for match in pattern.finditer(text):
            span = range(match.start(), match.end())
            if any(i in covered for i in span):
                continue
            covered.update(span)
            if what not in found:
                found.append(what)
    return tuple(found)


def injector_hint(container: ContainerView, pod: AnyPod, snapshot: Snapshot) -> Optional[Fix]:
    """The injector's own switch to native sidecars, when an injector added the container."""
    for name, text, fragment in INJECTOR_HINTS:
        if name in (container.evidence or ""):
            return Fix(text, (template_patch(pod, snapshot, fragment),) if fragment else ())
    return None


# Controllers that build their pods themselves (not from a pod template the user writes) and add and stop
# their own helper containers: owner kind -> the controller's name.
POD_BUILDERS = {"Workflow": "Argo Workflows", "TaskRun": "Tekton Pipelines"}


def pod_builder(pod: AnyPod) -> Optional[str]:
    """The controller that generated this pod itself, if it is one of POD_BUILDERS."""
    return POD_BUILDERS.get((pod.owner or {}).get("kind") or "")


def migration_remedy(container: ContainerView, pod: AnyPod, snapshot: Snapshot) -> Fix:
    """How to make this legacy sidecar a native one: the injector's switch, or the moved container."""
    builder = pod_builder(pod)
    if builder:
        owner = pod.owner or {}
        return Fix(f"Nothing to migrate in your YAML: {builder} generates this pod itself (it is owned by "
                   f"{owner.get('kind')} {owner.get('name')}) and injects {container.name}, which it also "
                   "stops when the step ends. How its helper containers are declared is up to the controller's "
                   "version and configuration, not to a pod template.")
    hint = injector_hint(container, pod, snapshot)
    if hint:
        return Fix(hint.text + " (The injector adds the container when the pod is created, so switch the "
                   "injector rather than the pod template.)", hint.patches)
    return Fix(f"Make {container.name} a native sidecar: an initContainers entry with restartPolicy: Always "
               "starts before the app (and, with a startupProbe, only lets the app start once it serves) and is "
               "stopped by the kubelet after the app exits, so the pod can finish:",
               (migration_patch(container, pod, snapshot),))


@rule("legacy-sidecar", INFO,
      title="A helper runs as a plain container (legacy sidecar) and could be a native sidecar",
      explanation="""
A legacy sidecar is a helper (proxy, log shipper, agent) placed in spec.containers. Kubernetes treats it as
an app container: it starts in parallel with the app (no ordering: the app may run before the helper
serves), it must exit for a run-to-completion pod to finish (a Job pod whose helper never exits stays
Running forever), and at pod end it is stopped at the same time as the app (the app may lose its proxy
while still draining). Since Kubernetes 1.29 (beta, on by default; 1.28 behind the SidecarContainers gate)
the same container can be declared as a native sidecar: an initContainers entry with restartPolicy: Always.
It then starts before the app containers, can hold them back with a startupProbe, never blocks pod
completion, and is stopped only after the app containers exited.""",
      remedy="""
Move the container from spec.containers to spec.initContainers and add restartPolicy: Always (plus a
startupProbe if the app needs it ready). For injected sidecars, switch the injector to native mode instead
(Istio: sidecar.istio.io/nativeSidecar: "true"; Linkerd: config.beta.linkerd.io/proxy-enable-native-sidecar:
"true"). Nodes must run kubelet >= 1.29.""", judges=(LIVE_POD, POD_TEMPLATE), when=with_legacy_sidecars)
def legacy_sidecar(rule, pod: AnyPod, snapshot: Snapshot):
    in_apps = [w for app in pod.apps for w in workarounds(app)] if pod.legacy_sidecars else []
    for container in pod.legacy_sidecars:
        evidence = [f"{container.name} is in spec.containers; recognised as a helper: {container.evidence}"]
        found = workarounds(container) + in_apps
        if found:
            evidence.append("workarounds in use: " + "; ".join(found))
        builder = pod_builder(pod)
        if builder:
            message = (f"{container.name} runs as a plain container in a pod that {builder} generates: the "
                       "controller adds it and ends it when the step finishes, so there is nothing to migrate "
                       "in your YAML.")
        else:
            end = ("must exit by itself for the pod to finish" if pod.runs_to_completion else
                   "is stopped together with it, so the app may lose it while still draining")
            message = (f"{container.name} runs as a plain container, so Kubernetes orders nothing around it: "
                       f"it starts in parallel with the app and {end}. As a native sidecar it would start first "
                       "and be stopped after the app.")
        yield rule.finding(container.name, message,
                           lambda sidecar=container: migration_remedy(sidecar, pod, snapshot), evidence)


@rule("legacy-workaround", INFO,
      title="A command uses a legacy-sidecar workaround (quitquitquit, linkerd-await, done files)",
      explanation="""
Before native sidecars, Jobs with a proxy or helper in spec.containers could only finish if something told
the helper to exit: `curl -X POST localhost:15020/quitquitquit` or `pilot-agent request POST quitquitquit`
for Istio, `linkerd-await --shutdown -- cmd` or the admin /shutdown endpoint for Linkerd, Cloud SQL Proxy's
`--quitquitquit` or `cloud-sql-proxy shutdown`, or a "done" file on a shared volume that the helper watches.
`linkerd-await` alone worked around the start-up race. With the helper declared as a native sidecar
(restartPolicy: Always, with a startupProbe) Kubernetes orders start-up and stops the helper after the app,
so these hacks are no longer needed; they also fail in their own ways (the app crashes before reaching the
curl, the admin endpoint is disabled, the done file is never written).""",
      remedy="""
Make the helper a native sidecar (see legacy-sidecar), then drop the workaround from the app's command.""",
      judges=(LIVE_POD, POD_TEMPLATE))
def legacy_workaround(rule, pod: AnyPod, snapshot: Snapshot):
    native = bool(pod.sidecars)
    for container in pod.containers:
        if container.type == "ephemeral":
            continue
        found = workarounds(container)
        if not found:
            continue
        evidence = [f"{container.name} command: {text}" for text in command_texts(container, own_hooks(container))]
        if pod.legacy_sidecars:
            state = (f"this pod still has legacy sidecars ({named(c.name for c in pod.legacy_sidecars)}): "
                     "make them native first, then drop the workaround")
        elif native:
            state = "the pod's helpers are already native sidecars, so the workaround can simply go"
        else:
            state = "with the helper as a native sidecar it is no longer needed"
        message = f"{container.name} uses {'; '.join(found)}: {state}."
        remedy = ("Once the helper is a native sidecar (initContainers entry with restartPolicy: Always and a "
                  "startupProbe), Kubernetes starts it before the app and stops it after the app exits: remove "
                  f"the workaround from {container.name}'s command and run the program directly.")
        yield rule.finding(container.name, message, remedy, evidence)
