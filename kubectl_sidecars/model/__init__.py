"""The pure core: pod dicts in, views out. No I/O happens below this package."""

from kubectl_sidecars.model.view import ContainerView, PodView, build_pod_view, unreadable_pod_view

__all__ = ["ContainerView", "PodView", "build_pod_view", "unreadable_pod_view"]
