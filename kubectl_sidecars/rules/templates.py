"""Checks of pod templates before anything runs (`lint`): run-to-completion templates that get a helper as a
plain container, restartPolicy where it makes no sidecar, drains longer than the grace period, and native
sidecars on a cluster version that cannot run them."""

import re
from typing import Iterator, Optional, Tuple

from kubectl_sidecars.model import ContainerView
from kubectl_sidecars.model.classify import APP, LEGACY
from kubectl_sidecars.model.manifest import ManifestTemplate, as_manifest
from kubectl_sidecars.model.objects import PodTemplateView
from kubectl_sidecars.rules.catalog import ERROR, POD_TEMPLATE, WARNING, Fix, rule
from kubectl_sidecars.rules.common import container_patch, migration_patch, template_patch
from kubectl_sidecars.rules.init_containers import one_shot
from kubectl_sidecars.rules.migration import INJECTOR_HINTS, migration_remedy, workarounds
from kubectl_sidecars.rules.versions import NATIVE_SIDECARS, assumed_version
from kubectl_sidecars.snapshot import Snapshot

CONTAINER_RESTART_RULES = (1, 34)  # restartPolicy on spec.containers entries: alpha in 1.34, beta in 1.35
# strconv.ParseBool's true values: how the injectors (all in Go) read their boolean annotations.
GO_TRUE = ("1", "t", "T", "TRUE", "true", "True")


def why_it_completes(template: ManifestTemplate) -> str:
    if template.hook is not None:
        return f"a Helm hook ({template.hook}) that Helm waits on until it completes"
    if template.kind in ("Job", "CronJob"):
        return f"the pod template of a {template.kind}"
    return f"a pod with restartPolicy {template.restart_policy}"


# --- job-template-legacy-sidecar --------------------------------------------------------------------------

# Injectors asked, in the pod template, to add a helper as a plain container, and the setting that makes it
# native (or, for Vault, leaves only the init container). Read from each injector's source:
# - Istio (pkg/kube/inject): the sidecar.istio.io/inject label or annotation turns injection on for the pod;
#   sidecar.istio.io/nativeSidecar (Istio >= 1.24) injects istio-proxy as an initContainers entry with
#   restartPolicy: Always, which istiod's ENABLE_NATIVE_SIDECARS otherwise decides for the whole mesh.
# - Linkerd (controller/gen/config: pkg/k8s/labels.go): linkerd.io/inject enabled or ingress injects
#   linkerd-proxy; config.beta.linkerd.io/proxy-enable-native-sidecar (config.alpha... before Linkerd 2.19)
#   makes it a native sidecar.
# - Vault Agent Injector (vault-k8s agent-inject/agent/annotations.go): vault.hashicorp.com/agent-inject adds
#   the vault-agent container; vault.hashicorp.com/agent-pre-populate-only runs the agent as an init
#   container only ("no sidecar container will be injected at runtime of the application").
INJECTORS = (
    # (injector, container it adds, keys that ask for it with their values, keys that make it safe, the hint)
    ("Istio", "istio-proxy", ("sidecar.istio.io/inject", GO_TRUE), ("sidecar.istio.io/nativeSidecar",),
     "Istio"),
    ("Linkerd", "linkerd-proxy", ("linkerd.io/inject", ("enabled", "ingress")),
     ("config.beta.linkerd.io/proxy-enable-native-sidecar", "config.alpha.linkerd.io/proxy-enable-native-sidecar"),
     "Linkerd"),
    ("the Vault Agent Injector", "vault-agent", ("vault.hashicorp.com/agent-inject", GO_TRUE),
     ("vault.hashicorp.com/agent-pre-populate-only",), "Vault"),
)
INJECTOR_SETTINGS = {
    "Istio": ("Istio >= 1.24 reads it; without it istiod's ENABLE_NATIVE_SIDECARS decides for the whole mesh "
              "(Istio >= 1.27 turns it on by itself only where every node's kubelet is >= 1.33)"),
    "Linkerd": ("config.beta.linkerd.io/proxy-enable-native-sidecar from Linkerd 2.19; "
                "config.alpha.linkerd.io/proxy-enable-native-sidecar before"),
    "Vault": "the agent then renders the secrets once, in an init container, and no vault-agent runs beside the app",
}
# A helper's own documented flags that make it exit once its work is done.
EXIT_FLAGS = ("-exit-after-auth", "--exit-after-auth")  # Vault Agent: exit once authenticated and rendered


def _asks(template: ManifestTemplate, key: str, values: Tuple[str, ...]) -> Optional[str]:
    """Where the template asks for injection (`annotation KEY: VALUE` or `label ...`), or None."""
    for where, source in (("label", template.labels), ("annotation", template.annotations)):
        value = source.get(key)
        if isinstance(value, str) and value in values:
            return f"{where} {key}: {value}"
    return None


def told_to_exit(template: ManifestTemplate, helper: ContainerView) -> Optional[str]:
    """How the helper is made to exit when the work is done (a documented flag, or the app telling it), or
    None: then nothing ends it."""
    found = workarounds(helper, ("shutdown",)) + [w for app in template.apps for w in workarounds(app, ("shutdown",))]
    if found:
        return "; ".join(dict.fromkeys(found))
    once = one_shot(helper)
    if once:
        return once
    for part in helper.command_line.split():
        flag, _, value = part.partition("=")
        if flag in EXIT_FLAGS and value.lower() not in ("false", "0"):
            return f"{part} (it exits once it has authenticated and rendered its secrets)"
    return None


def _hint(injector: str) -> dict:
    return next(fragment for name, _, fragment in INJECTOR_HINTS if name == injector)


def _native_unavailable(template: ManifestTemplate) -> bool:
    return template.kube_version is not None and template.kube_version < NATIVE_SIDECARS


def _exit_instead(template: ManifestTemplate, helper: str) -> Fix:
    """The remedy where the target cluster has no native sidecars: the helper has to be told to exit."""
    return Fix(f"{assumed_version(template)} has no native sidecars (beta from 1.29): make {helper} exit when the "
               "work is done, with the helper's own switch (Istio: `pilot-agent request POST quitquitquit` at the "
               "end of the app's command; Cloud SQL Proxy: --quitquitquit and a POST to it; Linkerd: "
               "`linkerd-await --shutdown -- CMD`), or upgrade the cluster and make it a native sidecar.")


@rule("job-template-legacy-sidecar", ERROR, judges=(POD_TEMPLATE,),
      title="A run-to-completion pod template gets a helper as a plain container: its pods will never complete",
      explanation="""
A Job's or CronJob's pod template, a pod with restartPolicy Never or OnFailure, or a Helm hook (which Helm waits
on until it completes) runs a helper (a proxy, an agent, a log shipper) in spec.containers, or asks an injector
to add one there: Istio with sidecar.istio.io/inject and no sidecar.istio.io/nativeSidecar, Linkerd with
linkerd.io/inject: enabled and no proxy-enable-native-sidecar, the Vault Agent Injector without
agent-pre-populate-only. The helper does not exit when the app does, so the pod stays Running with the app
finished, the Job never completes, `helm install --wait` and `helm test` time out (and --atomic rolls back), and
CI waits until its own timeout although the work was done. Not reported when the helper is told to exit (a
documented exit flag, or the app calling the helper's shutdown endpoint).""",
      remedy="""
Make the helper a native sidecar (an initContainers entry with restartPolicy: Always, Kubernetes >= 1.29), or set
the injector's own switch in the pod template: sidecar.istio.io/nativeSidecar: "true",
config.beta.linkerd.io/proxy-enable-native-sidecar: "true", vault.hashicorp.com/agent-pre-populate-only: "true".
On older clusters, make the app tell the helper to exit when it is done.""")
def job_template_legacy_sidecar(rule, template: PodTemplateView, snapshot: Snapshot):
    template = as_manifest(template)
    if not template.runs_to_completion:
        return
    why = why_it_completes(template)
    present = {c.name for c in template.containers}
    for helper in template.legacy_sidecars:
        if told_to_exit(template, helper):
            continue
        message = (f"{template.kind} {template.name} is {why}, but {helper.name} runs as a plain container "
                   f"({helper.evidence}): it does not exit when the app does, so the pod never completes.")
        evidence = [f"{helper.name}: spec.containers[{helper.index}], recognised as a helper: {helper.evidence}",
                    f"restartPolicy {template.restart_policy}; {assumed_version(template)}"]

        def remedy(helper=helper) -> Fix:
            if _native_unavailable(template):
                return _exit_instead(template, helper.name)
            return migration_remedy(helper, template, snapshot)
        yield rule.finding(helper.name, message, remedy, evidence)
    for injector, container, (key, values), safe_keys, hint in INJECTORS:
        asked = _asks(template, key, values)
        if asked is None or container in present:
            continue  # not asked, or already in the spec (judged above as a container)
        if any(template.annotations.get(k) in GO_TRUE for k in safe_keys):
            continue
        message = (f"{template.kind} {template.name} is {why}, and its pod template asks {injector} to add "
                   f"{container} ({asked}) as a plain container: it does not exit when the app does, so the pod "
                   "never completes.")
        evidence = [f"pod template {asked}", f"{safe_keys[0]}: not set",
                    f"restartPolicy {template.restart_policy}; {assumed_version(template)}"]

        def remedy(injector=injector, container=container, safe_keys=safe_keys, hint=hint) -> Fix:
            if _native_unavailable(template) and hint != "Vault":
                return _exit_instead(template, container)
            return Fix(f"Set {safe_keys[0]}: \"true\" in the pod template ({INJECTOR_SETTINGS[hint]}):",
                       (template_patch(template, snapshot, _hint(hint)),))
        yield rule.finding(container, message, remedy, evidence)


# --- restart-policy-on-container --------------------------------------------------------------------------

@rule("restart-policy-on-container", ERROR, judges=(POD_TEMPLATE,),
      title="A spec.containers entry sets restartPolicy, which does not make it a sidecar",
      explanation="""
Only an initContainers entry with restartPolicy: Always is a native sidecar. In spec.containers the field is
rejected by API servers before 1.34 (restartPolicy is only allowed for init containers); from 1.34 (the
ContainerRestartRules feature: alpha in 1.34, beta and on by default from 1.35) it only overrides how that one
container is restarted when it exits. With restartPolicy: Always the container is restarted whenever it ends,
so a Job's pod never completes; it still starts in parallel with the app and is stopped with it.""",
      remedy="""
To make a sidecar, move the container to initContainers (restartPolicy: Always stays). Otherwise remove the
field from the container.""")
def restart_policy_on_container(rule, template: PodTemplateView, snapshot: Snapshot):
    template = as_manifest(template)
    version = template.kube_version
    for container in template.of_type(APP, LEGACY):
        policy = container.spec.get("restartPolicy")
        if policy is None:
            continue
        rejected = version is not None and version < CONTAINER_RESTART_RULES
        if policy != "Always" and not rejected:
            continue  # a per-container restart override, which the target cluster may well support
        if rejected:
            effect = f"{assumed_version(template)} rejects it (only init containers may set restartPolicy)"
        elif template.runs_to_completion:
            effect = ("where the API server takes it (>= 1.34, ContainerRestartRules), the container is restarted "
                      "whenever it exits, so the pod never completes; older API servers reject it")
        else:
            effect = ("it still starts in parallel with the app and is stopped with it; API servers before 1.34 "
                      "reject it")
        message = (f"{container.name} sets restartPolicy: {policy} in spec.containers, which does not make it a "
                   f"sidecar: {effect}.")

        def remedy(container=container) -> Fix:
            if container.type == LEGACY:
                return Fix(f"If {container.name} is meant as a sidecar, make it one: move it to initContainers "
                           "(Kubernetes >= 1.29):", (migration_patch(container, template, snapshot),))
            return Fix(f"Remove restartPolicy from {container.name}:",
                       (container_patch(template, snapshot, container, {"restartPolicy": None},
                                        ("null removes the field in a strategic merge patch",)),))
        yield rule.finding(container.name, message, remedy,
                           [f"spec.containers[{container.index}] {container.name}: restartPolicy {policy}"])


# --- drain-exceeds-grace ------------------------------------------------------------------------------------

ISTIO_PROXY_CONFIG = "proxy.istio.io/config"
# ProxyConfig's terminationDrainDuration (a Go duration, default 5s): how long pilot-agent keeps the proxy
# draining after SIGTERM before it exits (istio pkg/istio-agent, the agent's terminate()).
ISTIO_DRAIN = re.compile(r"""["']?terminationDrainDuration["']?\s*:\s*["']?([0-9.]+[a-zµ]+(?:[0-9.]+[a-zµ]+)*)""")
# Linkerd adds a preStop `sleep N` to the proxy for this annotation (pkg/inject: proxy-wait-before-exit-seconds)
LINKERD_WAIT = "config.alpha.linkerd.io/proxy-wait-before-exit-seconds"
SLEEP = re.compile(r"(?:^|[\s;&|(])sleep\s+([0-9]{1,7})(?:s\b|\b)")
GO_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
GO_DURATION_PART = re.compile(r"([0-9]+(?:\.[0-9]*)?)(ns|us|µs|ms|s|m|h)")
MINIMUM_GRACE = 2  # the kubelet's minimumGracePeriodInSeconds


def go_duration(text: str) -> Optional[float]:
    """Seconds of a Go duration ("1m30s", "45s"); None when it is not one."""
    parts = GO_DURATION_PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    return sum(float(number) * GO_UNITS[unit] for number, unit in parts)


def _pre_stop_wait(container: ContainerView) -> Optional[Tuple[float, str]]:
    """How long the container's preStop hook waits, and how it says so."""
    hook = (container.spec.get("lifecycle") or {}).get("preStop") or {}
    seconds = (hook.get("sleep") or {}).get("seconds")
    if isinstance(seconds, int) and not isinstance(seconds, bool):
        return float(seconds), f"preStop sleep action of {seconds}s"
    command = " ".join(str(part) for part in (hook.get("exec") or {}).get("command") or [])
    match = SLEEP.search(command)
    return (float(match.group(1)), f"preStop hook `{command}`") if match else None


def drains(template: ManifestTemplate) -> Iterator[Tuple[str, float, str, bool]]:
    """(container, seconds, how it is configured, whether it runs after SIGTERM) of every sidecar drain."""
    for container in template.all_sidecars:
        wait = _pre_stop_wait(container)
        if wait:
            yield container.name, wait[0], wait[1], False
    config = template.annotations.get(ISTIO_PROXY_CONFIG)
    match = ISTIO_DRAIN.search(config) if isinstance(config, str) else None
    seconds = go_duration(match.group(1)) if match else None
    if seconds is not None and template.container("istio-proxy") not in template.apps:  # not a gateway's own
        yield "istio-proxy", seconds, f"{ISTIO_PROXY_CONFIG} terminationDrainDuration {match.group(1)}", True
    wait = template.annotations.get(LINKERD_WAIT)
    if isinstance(wait, str) and wait.isascii() and wait.isdigit() and len(wait) < 8:
        yield "linkerd-proxy", float(wait), f"{LINKERD_WAIT}: {wait}", False


@rule("drain-exceeds-grace", WARNING, judges=(POD_TEMPLATE,),
      title="A sidecar's drain or wait-before-exit is at or above terminationGracePeriodSeconds: it is always "
            "SIGKILLed",
      explanation="""
The kubelet stops every container of a pod within terminationGracePeriodSeconds (default 30). It runs each
container's preStop hook first, native sidecars included, all at the start of termination, and deducts the time
the hook took from what is left; a native sidecar then also waits for the app containers to exit before its
SIGTERM (pkg/kubelet/kuberuntime/kuberuntime_container.go, killContainer: executePreStopHook, then
terminationOrdering.waitForTurn, then at least minimumGracePeriodInSeconds = 2 before SIGKILL). A preStop sleep
(Linkerd's config.alpha.linkerd.io/proxy-wait-before-exit-seconds is one) as long as the grace period is cut off
at the deadline and the container gets 2 seconds before SIGKILL; Istio's terminationDrainDuration (in
proxy.istio.io/config) runs after SIGTERM, so a drain as long as the grace period is always ended by SIGKILL
(exit 137) before it finishes.""",
      remedy="""
Raise terminationGracePeriodSeconds above the drain plus the app's own shutdown time, or shorten the drain.""")
def drain_exceeds_grace(rule, template: PodTemplateView, snapshot: Snapshot):
    template = as_manifest(template)
    grace = template.grace_period
    for container, seconds, how, after_sigterm in drains(template):
        if seconds < grace:
            continue
        end = ("SIGKILLed at the deadline (exit 137) before the drain finishes" if after_sigterm else
               f"cut off at the deadline, after which it gets {MINIMUM_GRACE}s before SIGKILL (exit 137)")
        message = (f"{container} waits {seconds:g}s at termination ({how}), at or above the pod's "
                   f"terminationGracePeriodSeconds ({grace}s): it is always {end}.")
        wanted = int(seconds) + 15
        fix = Fix(f"Give the pod more time than the drain (or shorten the drain below {grace}s):",
                  (template_patch(template, snapshot, {"spec": {"terminationGracePeriodSeconds": wanted}},
                                  (f"{wanted}s: the {seconds:g}s drain plus 15s for the app's own shutdown",)),))
        yield rule.finding(container, message, fix,
                           [f"{container}: {how}", f"terminationGracePeriodSeconds: {grace}"])
