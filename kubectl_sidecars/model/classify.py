"""Which role each container plays: init, sidecar (native), legacy sidecar, app or ephemeral.

Native sidecars are a fact of the spec. Legacy sidecars are an inference, so each carries the evidence
it rests on, strongest first: what an injector recorded, the default-container annotation, a well-known
helper name or image, and last how the container behaves in a run-to-completion pod.
"""

import json
from typing import Dict, List, Optional, Tuple

from kubectl_sidecars.model.owners import controller_reference
from kubectl_sidecars.model.vocabulary import helper_words, image_repository, words

INIT, SIDECAR, LEGACY, APP, EPHEMERAL = "init", "sidecar", "legacy-sidecar", "app", "ephemeral"
TYPES = (INIT, SIDECAR, LEGACY, APP, EPHEMERAL)

ISTIO_STATUS = "sidecar.istio.io/status"
LINKERD_VERSION = "linkerd.io/proxy-version"
VAULT_STATUS = "vault.hashicorp.com/agent-inject-status"
KRUISE_HASH = "kruise.io/sidecarset-hash"
DEFAULT_CONTAINER = "kubectl.kubernetes.io/default-container"

Classification = Tuple[str, Optional[str]]

# Every evidence string starts with one of these, strongest first.
EVIDENCE_KINDS = ("injected", "not the pod's main", "well-known", "helper name", "still running")


def evidence_rank(evidence: Optional[str]) -> int:
    """0 for the strongest evidence; len(EVIDENCE_KINDS) for none."""
    return next((rank for rank, kind in enumerate(EVIDENCE_KINDS) if (evidence or "").startswith(kind)),
                len(EVIDENCE_KINDS))


def helper_evidence(container: dict) -> Optional[str]:
    """How a container's name or image marks it as a well-known helper, or None."""
    return helper_words(container.get("name"), container.get("image")).helper_evidence


def json_annotation(annotations: dict, key: str):
    """An annotation holding JSON (injectors record what they added that way); None if absent or bad.
    Anyone who can create a pod writes these, so a value that is not JSON, nests absurdly deep or holds
    a number too long to convert is evidence ignored, never an error."""
    try:
        return json.loads(annotations.get(key) or "null")
    except (ValueError, RecursionError):
        return None


def names_in(value) -> List[str]:
    """The container names of an injector's record: strings in a list; anything else records nothing."""
    return [name for name in value if isinstance(name, str)] if isinstance(value, list) else []


def _injected(annotations: dict, containers: List[dict]) -> Dict[str, str]:
    """Containers an injector says it added, with the annotation that says so."""
    found: Dict[str, str] = {}
    istio = json_annotation(annotations, ISTIO_STATUS)
    if isinstance(istio, dict):
        for name in names_in(istio.get("containers")):
            found[name] = f"injected by Istio ({ISTIO_STATUS})"
    kruise = json_annotation(annotations, KRUISE_HASH)
    if isinstance(kruise, dict):
        for sidecarset, upgrade in kruise.items():
            for name in names_in(upgrade.get("sidecarList")) if isinstance(upgrade, dict) else ():
                found[name] = f"injected by OpenKruise SidecarSet '{sidecarset}' ({KRUISE_HASH})"
    names = {c.get("name") for c in containers}
    if LINKERD_VERSION in annotations and "linkerd-proxy" in names:
        found["linkerd-proxy"] = f"injected by Linkerd ({LINKERD_VERSION})"
    if annotations.get(VAULT_STATUS) == "injected" and "vault-agent" in names:
        found["vault-agent"] = f"injected by Vault Agent Injector ({VAULT_STATUS})"
    for container in containers:
        if any(e.get("name") == "IS_INJECTED" and e.get("value") == "true" for e in container.get("env") or []):
            found.setdefault(container.get("name"), "injected by OpenKruise SidecarSet (IS_INJECTED)")
    return found


# Controllers that run their pods' containers in sequences of their own and end the pods themselves: a
# container still running after another ended is normal there, and nothing stays stuck.
SELF_ENDING_OWNERS = ("Workflow", "TaskRun", "EphemeralRunner", "Runner")


def _outlived_the_app(pod: dict, candidates: List[str]) -> Optional[str]:
    """In a pod meant to finish, the one container still running after every other app container ended;
    not in pods of controllers that sequence their containers themselves (Tekton steps, Argo, CI runners)."""
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    if (spec.get("restartPolicy") or "Always") == "Always" or len(candidates) < 2:
        return None
    if (controller_reference(pod.get("metadata") or {}) or {}).get("kind") in SELF_ENDING_OWNERS:
        return None
    states = {s.get("name"): s.get("state") or {} for s in status.get("containerStatuses") or []}
    running = [c for c in candidates if "running" in states.get(c, {})]
    if len(running) == 1 and all("terminated" in states.get(c, {}) for c in candidates if c != running[0]):
        return running[0]
    return None


def _workload_names(pod: dict) -> set:
    """Names the pod's workload goes by: its app labels and its owner (a ReplicaSet without its hash)."""
    metadata = pod.get("metadata") or {}
    labels = metadata.get("labels") or {}
    names = {labels.get("app.kubernetes.io/name"), labels.get("app")}
    refs = metadata.get("ownerReferences") or []
    for ref in refs:
        owner = ref.get("name") or ""
        names.add(owner)
        if ref.get("kind") == "ReplicaSet" and "-" in owner:
            names.add(owner.rsplit("-", 1)[0])
    return {n for n in names if n}


# A pod whose proxy is the workload: a mesh's gateway (ingress, egress, east-west, waypoint, mesh gateways of
# Consul, Linkerd's multicluster gateway) or an envoy-based ingress controller. Gateway API implementations
# label the pods they deploy for a Gateway (gateway.networking.k8s.io/gateway-name: Istio, Envoy Gateway,
# Kuma...), Istio's own charts label theirs `istio: ingressgateway` and inject them with the gateway template
# (inject.istio.io/templates: gateway), and Consul's and Linkerd's charts label theirs `component: ...gateway`.
GATEWAY_LABEL_KEYS = ("gateway.networking.k8s.io/gateway-name", "istio.io/gateway-name", "gateway.istio.io/managed",
                      "gateway.envoyproxy.io/owning-gateway-name")
GATEWAY_VALUE_LABELS = ("istio", "component", "app.kubernetes.io/component")
GATEWAY_TEMPLATE = "inject.istio.io/templates"
# A mesh's own proxy in a pod where that mesh's injection is off was not injected: someone deployed the proxy
# itself, as a gateway (Istio's ingress gateways are deployed with sidecar.istio.io/inject: "false").
INJECTION_OFF = {"istio-proxy": ("sidecar.istio.io/inject", ("false",)),
                 "linkerd-proxy": ("linkerd.io/inject", ("disabled",)),
                 "consul-dataplane": ("consul.hashicorp.com/connect-inject", ("false",)),
                 "kuma-dp": ("kuma.io/sidecar-injection", ("disabled", "false"))}


def gateway(metadata: dict) -> Optional[str]:
    """Why the pod is a gateway whose proxy is the workload, or None."""
    labels, annotations = metadata.get("labels") or {}, metadata.get("annotations") or {}
    for key in GATEWAY_LABEL_KEYS:
        if key in labels:
            return f"label {key}"
    for key in GATEWAY_VALUE_LABELS:
        value = labels.get(key)
        if isinstance(value, str) and value.lower().endswith("gateway"):
            return f"label {key}: {value}"
    template = annotations.get(GATEWAY_TEMPLATE)
    if isinstance(template, str) and "gateway" in template:
        return f"annotation {GATEWAY_TEMPLATE}: {template}"
    return None


def _deployed_by_hand(metadata: dict, container: dict) -> bool:
    """A mesh's proxy in a pod where that mesh's injection is turned off (annotation or label)."""
    names = words(container.get("name")) + words(image_repository(container.get("image")))
    for proxy, (key, values) in INJECTION_OFF.items():
        if f"-{proxy}-" in names:
            for source in (metadata.get("annotations") or {}, metadata.get("labels") or {}):
                value = source.get(key)
                if isinstance(value, str) and value.lower() in values:
                    return True
    return False


def classify(pod: dict) -> Dict[str, Classification]:
    """Map container name -> (type, evidence). Evidence is set for legacy sidecars only."""
    spec = pod.get("spec") or {}
    annotations = (pod.get("metadata") or {}).get("annotations") or {}
    result: Dict[str, Classification] = {}
    for container in spec.get("initContainers") or []:
        result[container.get("name")] = (SIDECAR if container.get("restartPolicy") == "Always" else INIT, None)
    for container in spec.get("ephemeralContainers") or []:
        result[container.get("name")] = (EPHEMERAL, None)

    containers = spec.get("containers") or []
    injected = _injected(annotations, containers)
    default = annotations.get(DEFAULT_CONTAINER)
    names = [c.get("name") for c in containers]
    named = set(names)
    workload = _workload_names(pod)
    metadata = pod.get("metadata") or {}
    gateway_pod = gateway(metadata) is not None
    evidence: Dict[str, str] = {}
    for container in containers:
        name = container.get("name")
        found = injected.get(name)
        if helper_words(name, container.get("image")).network_proxy and (
                gateway_pod or (not found and _deployed_by_hand(metadata, container))):
            continue  # the proxy is the gateway itself
        if not found and default in named:
            if name == default:
                continue  # the annotation names the workload itself
            found = f"not the pod's main container ({DEFAULT_CONTAINER}: {default})"
        if not found and name in workload:
            continue  # named like its workload: the envoy of an envoy Deployment is the app
        found = found or helper_evidence(container)
        if found:
            evidence[name] = found
    apps = [n for n in names if n not in evidence]
    if not apps:
        # Some container must be the workload: a pod made only of "helpers" is an envoy gateway or a
        # fluentd daemon; only what an injector recorded stays a sidecar then...
        evidence = {n: e for n, e in evidence.items() if n in injected}
        apps = [n for n in names if n not in evidence]
    if not apps:
        # ...unless the injector made the whole pod: an Istio gateway is an injected istio-proxy alone.
        evidence, apps = {}, names
    outlived = _outlived_the_app(pod, apps)
    if outlived:
        evidence[outlived] = "still running after the other containers of this run-to-completion pod finished"
    for name in names:
        result[name] = (LEGACY, evidence[name]) if name in evidence else (APP, None)
    return result
