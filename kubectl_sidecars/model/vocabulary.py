"""The words that name helpers, in one place: which names and images are well-known sidecars, which
serve the app (proxies, agents), which ship telemetry, which are network proxies, and the init containers
meshes add. Each word set is matched by one precompiled regex over the container's dash-separated words,
and each (name, image) pair is looked at once, whichever rules ask."""

import functools
import re
from dataclasses import dataclass
from typing import Iterable, Optional

# Helpers that are sidecars wherever they run. Matched as whole dash-separated words of the container
# name or of the image's repository name, so "envoy" matches "envoy" and "istio/proxyv2" but not "envoyer".
WELL_KNOWN_HELPERS = (
    "istio-proxy", "proxyv2", "linkerd-proxy", "envoy", "cloud-sql-proxy", "cloudsql-proxy",
    "vault-agent", "fluent-bit", "fluentbit", "fluentd", "filebeat", "promtail", "otel-collector",
    "opentelemetry-collector", "otelcol", "datadog-agent", "oauth2-proxy", "git-sync", "config-reloader",
    "configmap-reload", "metrics-collector", "jaeger-agent", "consul-dataplane", "daprd", "kuma-dp",
    "log-shipper", "logshipper", "cloud-sql-auth-proxy", "gce-proxy", "alloy-sidecar", "xray-daemon",
)
# Words that make a container name a helper's when they end it: "slow-sidecar", "network-proxy"
# (but not "sidecar-user", the app that talks to one).
HELPER_NAME_ENDINGS = ("sidecar", "proxy")
# Helpers that others talk to over the network (or read files from).
SERVING = ("proxy", "proxyv2", "envoy", "istio-proxy", "linkerd-proxy", "cloud-sql-proxy", "cloudsql-proxy",
           "vault-agent", "pgbouncer", "daprd", "kuma-dp", "consul-dataplane", "oauth2-proxy")
# Helpers that ship the pod's logs, metrics or traces somewhere: an app does not wait for them, and failing
# to reach one is not why an app exits.
TELEMETRY = ("fluent-bit", "fluentbit", "fluentd", "filebeat", "promtail", "vector", "otel", "otelcol",
             "otel-collector", "opentelemetry-collector", "opentelemetry", "datadog", "datadog-agent",
             "dd-agent", "log-shipper", "logshipper", "log-forwarder", "log-agent", "jaeger-agent",
             "xray-daemon", "alloy", "metrics-collector", "telegraf", "statsd", "statsd-exporter",
             "exporter", "splunk", "logrotate", "log", "logs", "logging", "metrics", "telemetry", "tracing")
# Narrower than SERVING: what an init container's traffic would have to go through.
NETWORK_PROXIES = ("proxy", "proxyv2", "envoy", "daprd", "kuma-dp", "consul-dataplane", "linkerd-proxy")
# Init containers a mesh adds itself, by name: the mesh, and what the container does. They never need the
# proxy, and the pod cannot start while one of them fails.
CAPTURE, VALIDATION, REGISTRATION = "capture", "validation", "registration"
MESH_INITS = {
    "istio-init": ("Istio", CAPTURE),                  # iptables redirection (no CNI plugin)
    "istio-validation": ("Istio", VALIDATION),         # checks the istio-cni plugin set the redirection up
    "linkerd-init": ("Linkerd", CAPTURE),              # linkerd2-proxy-init's iptables rules
    "linkerd-network-validator": ("Linkerd", VALIDATION),  # checks the linkerd-cni plugin did it
    "proxy-init": ("Linkerd", CAPTURE),                # the older name of linkerd-init
    "kuma-init": ("Kuma", CAPTURE),
    "consul-connect-inject-init": ("Consul", REGISTRATION),  # registers the service, writes the bootstrap
    "cni-validation": (None, VALIDATION),
}
MESH_INIT_NAMES = frozenset(MESH_INITS)


def words(text: Optional[str]) -> str:
    """Text as dash-separated lowercase words between dashes, for whole-word matching."""
    return "-" + re.sub(r"[^a-z0-9]+", "-", (text or "").lower()) + "-"


def image_repository(image: Optional[str]) -> str:
    """The last path element of an image reference, without tag or digest: istio/proxyv2:1.9 -> proxyv2."""
    repository = (image or "").split("@")[0]
    if ":" in repository.rsplit("/", 1)[-1]:
        repository = repository.rsplit(":", 1)[0]
    return repository.rsplit("/", 1)[-1]


def _whole_words(vocabulary: Iterable[str]) -> "re.Pattern":
    """One regex finding any of the words between dashes; the longest word wins where several start."""
    alternatives = "|".join(re.escape(w) for w in sorted(set(vocabulary), key=len, reverse=True))
    return re.compile(rf"(?<=-)(?:{alternatives})(?=-)")


_HELPER = _whole_words(WELL_KNOWN_HELPERS)
_ENDING = re.compile(rf"-(?P<word>{'|'.join(HELPER_NAME_ENDINGS)})-$")
_SERVING = _whole_words(SERVING)
_TELEMETRY = _whole_words(TELEMETRY)
_NETWORK_PROXY = _whole_words(NETWORK_PROXIES)


@dataclass(frozen=True)
class HelperWords:
    """What a container's name and image say about it."""
    helper_name: Optional[str]    # a well-known helper word in the name
    helper_image: Optional[str]   # the image repository, when it holds a well-known helper word
    name_ending: Optional[str]    # "sidecar" or "proxy" ending the name
    serving: bool                 # a proxy or agent the app talks through
    telemetry: bool               # a log, metrics or trace shipper
    network_proxy: bool           # a proxy an init container's traffic may go through

    @property
    def helper_evidence(self) -> Optional[str]:
        """How the name or image marks the container as a well-known helper, or None."""
        if self.helper_name:
            return f"well-known helper name '{self.helper_name}'"
        if self.helper_image:
            return f"well-known helper image '{self.helper_image}'"
        if self.name_ending:
            return f"helper name ending in '{self.name_ending}'"
        return None


@functools.lru_cache(maxsize=16384)
def helper_words(name: Optional[str], image: Optional[str]) -> HelperWords:
    """The replicas of a workload share their containers' names and images: each pair is read once."""
    name_text, repository = words(name), image_repository(image)
    both = name_text + words(repository)
    named = _HELPER.search(name_text)
    ending = _ENDING.search(name_text)
    return HelperWords(
        helper_name=named.group(0) if named else None,
        helper_image=repository if not named and _HELPER.search(words(repository)) else None,
        name_ending=ending.group("word") if ending else None,
        serving=bool(_SERVING.search(both)),
        telemetry=bool(_TELEMETRY.search(both)),
        network_proxy=bool(_NETWORK_PROXY.search(both)),
    )
