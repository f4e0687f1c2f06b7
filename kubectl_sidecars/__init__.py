"""kubectl-sidecars: live inspection of sidecar containers."""

__version__ = "0.1.0"
