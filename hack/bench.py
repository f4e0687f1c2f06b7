#!/usr/bin/env python3
"""Speed and memory of `kubectl sidecars status` against `kubectl get pods`, on the same real API server.

Starts the end-to-end control plane, fills it with pods of the shapes the plugin classifies (native
sidecars, injected legacy sidecars, Job pods), then runs each command a few times through real kubectl
plugin dispatch and reports the median wall time and the peak memory (max RSS) of each, plus the number
of requests the plugin made (from the audit log). Usage: hack/bench.py [--pods N] [--runs N]
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.e2e.cluster import PLUGIN_USER, ControlPlane, build_binaries  # noqa: E402
from tests.e2e.kubelet import Kube, container, running, sidecar, terminated  # noqa: E402

NAMESPACES = ("bench-a", "bench-b")
ISTIO = {"sidecar.istio.io/status": '{"initContainers":["istio-init"],"containers":["istio-proxy"]}'}


def make_pod(kube: Kube, index: int) -> None:
    """Three shapes in turn, about the size of real pods (several containers, probes, statuses)."""
    ns, name = NAMESPACES[index % 2], f"pod-{index:05d}"
    shape = index % 3
    if shape == 0:
        kube.pod(ns, name, init=[sidecar("proxy", startupProbe={"tcpSocket": {"port": 15021}})],
                 containers=[container("app")], statuses=[running("proxy"), running("app")])
    elif shape == 1:
        kube.pod(ns, name, init=[container("istio-init")], containers=[container("app"), container("istio-proxy")],
                 annotations=ISTIO, statuses=[terminated("istio-init"), running("app"), running("istio-proxy")])
    else:
        kube.pod(ns, name, containers=[container("worker"), container("log-shipper")], restart_policy="Never",
                 statuses=[terminated("worker", 0, "Completed"), running("log-shipper")])


def measure(command, env, runs):
    """Median wall seconds and peak RSS (MiB) of the command, its output discarded."""
    walls, peaks = [], []
    for _ in range(runs):
        started = time.monotonic()
        proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        walls.append(time.monotonic() - started)
        peaks.append(usage.ru_maxrss / 1024)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"{' '.join(command)} failed: {proc.stderr.read().decode()[-500:]}")
    return statistics.median(walls), max(peaks)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    plane = ControlPlane(build_binaries("etcd", "kubernetes")).start()
    try:
        kube = Kube(plane.admin)
        kube.node()
        started = time.monotonic()
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda i: make_pod(kube, i), range(args.pods)))
        print(f"created {args.pods} pods in {time.monotonic() - started:.1f} s")
        env = dict(os.environ, KUBECONFIG=str(plane.plugin_kubeconfig()), NO_COLOR="1",
                   PATH=os.pathsep.join([str(plane.kube_dir), os.path.dirname(sys.executable), os.environ["PATH"]]))
        kubectl = str(plane.kubectl)
        commands = {
            "kubectl get pods -A": [kubectl, "get", "pods", "-A"],
            "kubectl get pods -A -o json": [kubectl, "get", "pods", "-A", "-o", "json"],
            "kubectl sidecars status -A": [kubectl, "sidecars", "status", "-A"],
            "kubectl sidecars status -A -o json": [kubectl, "sidecars", "status", "-A", "-o", "json"],
            "kubectl sidecars diagnose -A": [kubectl, "sidecars", "diagnose", "-A"],
        }
        print(f"{'command':40} {'median s':>9} {'max RSS MiB':>12}")
        for label, command in commands.items():
            before = len(plane.audit_events(PLUGIN_USER))
            wall, peak = measure(command, env, args.runs)
            time.sleep(1)
            requests = (len(plane.audit_events(PLUGIN_USER)) - before) / args.runs
            print(f"{label:40} {wall:9.2f} {peak:12.1f}   ({requests:.0f} requests a run)")
    finally:
        plane.stop()
        plane.cleanup()


if __name__ == "__main__":
    main()
