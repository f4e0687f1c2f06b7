"""A pod template as `lint` judges it: read from a manifest or from a workload in the cluster, before any pod
exists. Beside the template it carries what only the object around it tells: the labels the pods will have,
whether the object is a Helm hook, and the Kubernetes version it is judged against (--kube-version)."""

import re
from dataclasses import dataclass, field, fields
from typing import Dict, Optional, Tuple

from kubectl_sidecars.model.objects import PodTemplateView, build_template_view

HELM_HOOK = "helm.sh/hook"
KUBE_VERSION = re.compile(r"^v?([0-9]{1,3})\.([0-9]{1,3})(?:\.[0-9]{1,6})?$")


@dataclass
class ManifestTemplate(PodTemplateView):
    labels: Dict[str, str] = field(default_factory=dict)
    hook: Optional[str] = None  # the object's helm.sh/hook annotation (pre-install, test...)
    kube_version: Optional[Tuple[int, int]] = None  # the cluster version it is judged against; None: not given

    @property
    def runs_to_completion(self) -> bool:
        """Job and CronJob templates, pods that are not restarted, and Pods that are Helm hooks: Helm waits
        for a hook Pod to reach Succeeded (pkg/kube/client.go, waitForPodSuccess) as for a hook Job to
        complete, so a helper that never exits holds `helm install` until its --timeout."""
        return super().runs_to_completion or self.kind in ("Job", "CronJob") or (
            self.hook is not None and self.kind == "Pod")


def parse_kube_version(text: str) -> Optional[Tuple[int, int]]:
    """`1.28`, `v1.28.3` -> (1, 28); None when the text is not a version."""
    match = KUBE_VERSION.match(text.strip())
    return (int(match.group(1)), int(match.group(2))) if match else None


def as_manifest(view: PodTemplateView, labels: Optional[Dict[str, str]] = None, hook: Optional[str] = None,
                kube_version: Optional[Tuple[int, int]] = None) -> ManifestTemplate:
    """The template with what lint knows of its object; a bare template (diagnose's) knows none of it."""
    if isinstance(view, ManifestTemplate):
        return view
    return ManifestTemplate(**{f.name: getattr(view, f.name) for f in fields(PodTemplateView)},
                            labels=labels or {}, hook=hook, kube_version=kube_version)


def build_manifest_template(kind: str, namespace: str, name: str, template: dict, path: str,
                            hook: Optional[str] = None,
                            kube_version: Optional[Tuple[int, int]] = None) -> ManifestTemplate:
    return as_manifest(build_template_view(kind, namespace, name, template, path),
                       (template.get("metadata") or {}).get("labels"), hook, kube_version)
