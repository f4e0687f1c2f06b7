#!/usr/bin/env python3
"""Speed and memory of `kubectl sidecars` against `kubectl get pods`, on the same real API server.

Starts the end-to-end control plane (etcd + kube-apiserver with RBAC and an audit log) and fills it with
pods about the size of real ones: probes, env, volumes, resources, owner references, a status written
through the status subresource, and the managedFields the server records for both writes. Then, at each
--pods size, it runs every command of the table --runs times, the commands alternating within each
round, and reports per command the median wall time, the median CPU time (user + sys of the process),
the median of its own peak RSS, and the requests it made (from the audit log, one user per command).

The floors are what any client must pay for the same paged LISTs (limit 500, like kubectl and the
plugin): the pages fetched and dropped, then fetched and parsed with json.loads.

Peak RSS is each process's own: children run under GNU time (`time -f %M`), started from it rather
than from this large process, whose high-water mark a forked child would inherit. `kubectl sidecars`
is one process that kubectl turns into the plugin with execve, and the kernel's max RSS of a process
covers both programs (kubectl's own is ~45 MiB by then); for the plugin the figure is the Python
image's own VmHWM, read from /proc/self/status at exit by a sitecustomize module that this script puts
on PYTHONPATH for those runs only.

Usage: hack/bench.py [--pods 10000,30000] [--runs 3] [--once-over 120]; prints Markdown tables for the README.
"""

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parents[1]
CHUNK = 500  # kubectl's --chunk-size default, and the plugin's
NAMESPACES = tuple(f"bench-{letter}" for letter in "abcdefghij")
READERS = "bench-readers"  # the RBAC group of every command's user
ISTIO_STATUS = ('{"initContainers":["istio-init"],"containers":["istio-proxy"],"volumes":["istio-envoy",'
                '"istio-data","istio-podinfo","istio-token","istiod-ca-cert"],"imagePullSecrets":null,'
                '"revision":"default"}')
CONTINUE = re.compile(rb'"continue":"([^"]*)"')
RSS_HOOK = '''\
"""Writes this process's own peak RSS (VmHWM, KiB) to $BENCH_RSS_FILE when it exits."""
import atexit
import os


def _record_peak():
    with open("/proc/self/status") as status:
        peak = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    with open(os.environ["BENCH_RSS_FILE"], "w") as out:
        out.write(peak)


if os.environ.get("BENCH_RSS_FILE"):
    atexit.register(_record_peak)
'''


# --- the floors: run in a child process, `hack/bench.py --floor raw|parse` ---------------------------

def floor(mode: str) -> None:
    """Every page of the pods LIST, as the plugin requests them (same connection code, same chunk size);
    `raw` finds the continue token with a regex and drops the page, `parse` json.loads it."""
    sys.path.insert(0, str(REPO))
    from kubectl_sidecars.kube.connection import connect

    connection = connect(None, None, None)
    token = None
    while True:
        query = f"limit={CHUNK}" + (f"&continue={quote(token)}" if token else "")
        body = connection.pool.request("GET", f"{connection.server}/api/v1/pods?{query}",
                                       headers=connection.headers(), retries=False).data
        if mode == "parse":
            token = json.loads(body)["metadata"].get("continue")
        else:
            found = CONTINUE.search(body, 0, 4096)  # the list's metadata comes before its items
            token = found.group(1).decode() if found else None
        if not token:
            return


# --- pods about the size of real ones ------------------------------------------------------------------

def env(prefix: str, count: int) -> list:
    values = [{"name": f"{prefix}_SETTING_{i}", "value": f"value-{i}-of-{prefix.lower()}"} for i in range(count)]
    return values + [{"name": "POD_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1",
                                                                     "fieldPath": "metadata.name"}}}]


def resources(cpu: str, memory: str) -> dict:
    return {"requests": {"cpu": cpu, "memory": memory}, "limits": {"memory": memory}}


def probe(kind: str, port: int, path: str = "/healthz/ready") -> dict:
    action = {"httpGet": {"path": path, "port": port, "scheme": "HTTP"}} if kind == "http" else \
        {"tcpSocket": {"port": port}}
    return {**action, "initialDelaySeconds": 1, "periodSeconds": 5, "timeoutSeconds": 3, "failureThreshold": 30}


def app_container(name: str, image: str) -> dict:
    return {"name": name, "image": image,
            "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
            "env": env(name.upper().replace("-", "_"), 1), "resources": resources("250m", "256Mi"),
            "readinessProbe": probe("http", 8080), "volumeMounts": [{"name": "config", "mountPath": "/etc/app"}]}


def helper_container(name: str, image: str, **fields) -> dict:
    return {"name": name, "image": image, "args": ["proxy"],
            "ports": [{"name": "http-admin", "containerPort": 15021, "protocol": "TCP"}],
            "resources": resources("100m", "128Mi"), **fields}


def pod_body(index: int) -> tuple:
    """(namespace, body, statuses): three shapes in turn, a Deployment pod with a native sidecar, an
    Istio-injected pod (legacy sidecar) and a finished Job pod whose log shipper still runs."""
    from tests.factory import live
    running, terminated = live.running, live.terminated

    namespace, name = NAMESPACES[index % len(NAMESPACES)], f"pod-{index:05d}"
    shape = index % 3
    labels = {"app.kubernetes.io/name": f"service-{index % 40}", "app.kubernetes.io/part-of": "bench",
              "pod-template-hash": "7d9f8b6c5d"}
    annotations = {"prometheus.io/scrape": "true"}
    volumes = [{"name": "config", "configMap": {"name": "app-config", "defaultMode": 420}}]
    init, restart_policy = [], "Always"
    owner = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": f"service-{index % 40}-7d9f8b6c5d",
             "uid": f"00000000-0000-4000-8000-{index % 40:012d}", "controller": True, "blockOwnerDeletion": True}
    if shape == 0:
        init = [helper_container("proxy", "registry.example/envoy:1.31.2", restartPolicy="Always",
                                 startupProbe=probe("tcp", 15021))]
        containers = [app_container("app", "registry.example/shop/app:2.14.1")]
        statuses = [running("proxy"), running("app")]
    elif shape == 1:
        annotations.update({"sidecar.istio.io/status": ISTIO_STATUS, "kubectl.kubernetes.io/default-container": "app"})
        init = [{"name": "istio-init", "image": "docker.io/istio/proxyv2:1.24.0",
                 "args": ["istio-iptables"],
                 "resources": resources("10m", "40Mi")}]
        containers = [app_container("app", "registry.example/shop/app:2.14.1"),
                      helper_container("istio-proxy", "docker.io/istio/proxyv2:1.24.0",
                                       readinessProbe=probe("http", 15021, "/healthz/ready"))]
        statuses = [terminated("istio-init"), running("app"), running("istio-proxy")]
    else:
        restart_policy = "Never"
        owner = {"apiVersion": "batch/v1", "kind": "Job", "name": f"report-{index:05d}",
                 "uid": f"00000000-0000-4000-9000-{index:012d}", "controller": True, "blockOwnerDeletion": True}
        labels = {"batch.kubernetes.io/job-name": f"report-{index:05d}", "job-name": f"report-{index:05d}",
                  "batch.kubernetes.io/controller-uid": owner["uid"], "controller-uid": owner["uid"]}
        containers = [app_container("worker", "registry.example/reports/worker:5.2.0"),
                      helper_container("log-shipper", "docker.io/fluent/fluent-bit:3.1.9")]
        statuses = [terminated("worker", 0, "Completed"), running("log-shipper")]
    body = {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": namespace, "labels": labels, "annotations": annotations,
                         "ownerReferences": [owner]},
            "spec": {"initContainers": init, "containers": containers, "volumes": volumes,
                     "restartPolicy": restart_policy, "nodeName": "bench-node", "serviceAccountName": "default",
                     "terminationGracePeriodSeconds": 30}}
    return namespace, body, statuses


class Writer:
    """Creates pods fast: one keep-alive TLS connection per thread, POST then PATCH of the status
    subresource, with the field managers a ReplicaSet controller and a kubelet would use."""

    def __init__(self, plane, threads: int):
        import urllib3

        cert, key = plane._credentials("admin", ("system:masters",))
        self.pool = urllib3.PoolManager(maxsize=threads, cert_file=str(cert), key_file=str(key),
                                        ca_certs=str(plane.ca.cert))
        self.server = plane.server
        self.threads = threads

    def _send(self, method: str, path: str, body: dict, content_type: str) -> dict:
        response = self.pool.request(method, self.server + path, body=json.dumps(body).encode(),
                                     headers={"Content-Type": content_type, "Accept": "application/json"})
        if response.status >= 300 and response.status != 409:
            raise SystemExit(f"{method} {path}: {response.status} {response.data[:300]!r}")
        return json.loads(response.data)

    def create(self, index: int) -> None:
        from tests.e2e.kubelet import before_now as ago
        from tests.factory import live
        pod_status = live.pod_status

        namespace, body, statuses = pod_body(index)
        base = f"/api/v1/namespaces/{namespace}/pods"
        pod = self._send("POST", f"{base}?fieldManager=kube-controller-manager", body, "application/json")
        if pod.get("kind") == "Status":  # already there (409) from an earlier size
            return
        status = pod_status(pod["spec"], statuses)
        status.update({"startTime": ago(600), "hostIP": "10.1.0.1", "hostIPs": [{"ip": "10.1.0.1"}],
                       "podIP": f"10.2.{index // 250 % 250}.{index % 250 + 1}", "qosClass": "Burstable"})
        status["podIPs"] = [{"ip": status["podIP"]}]
        self._send("PATCH", f"{base}/{body['metadata']['name']}/status?fieldManager=kubelet", {"status": status},
                   "application/merge-patch+json")

    def fill(self, first: int, last: int) -> float:
        started = time.monotonic()
        with ThreadPoolExecutor(self.threads) as pool:
            list(pool.map(self.create, range(first, last)))
        return time.monotonic() - started


# --- running and measuring one command -------------------------------------------------------------------

class Command:
    def __init__(self, label: str, argv: list, plugin: bool):
        self.label, self.argv, self.plugin = label, argv, plugin
        self.walls, self.cpus, self.peaks = [], [], []


def run_once(command: Command, env: dict, user_kubeconfig: Path, scratch: Path) -> None:
    """One run under GNU time, output discarded; appends wall s, CPU s and own peak RSS MiB."""
    measured, peak_file = scratch / "time.out", scratch / "peak.kib"
    peak_file.unlink(missing_ok=True)
    run_env = dict(env, KUBECONFIG=str(user_kubeconfig))
    if command.plugin:
        paths = [str(scratch / "hook"), env.get("PYTHONPATH", "")]  # a PYTHONPATH given picks the plugin's code
        run_env.update(PYTHONPATH=os.pathsep.join(filter(None, paths)), BENCH_RSS_FILE=str(peak_file))
    started = time.monotonic()
    proc = subprocess.run(["/usr/bin/time", "-f", "%U %S %M", "-o", str(measured), *command.argv], env=run_env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.monotonic() - started
    if proc.returncode != 0:
        raise SystemExit(f"{command.label} failed ({proc.returncode}): {proc.stderr.decode()[-800:]}")
    user, system, max_rss = measured.read_text().split()[-3:]
    command.walls.append(wall)
    command.cpus.append(float(user) + float(system))
    command.peaks.append(int(peak_file.read_text() if command.plugin else max_rss) / 1024)


class Audit:
    """Requests per user, read from the audit log as it grows (it holds every write of the fill too)."""

    def __init__(self, path: Path):
        self.path, self.offset = path, 0
        self.requests = {}  # user -> {(verb, resource): count}

    def read(self) -> None:
        with open(self.path, "rb") as log:
            log.seek(self.offset)
            for line in log:
                if not line.endswith(b"\n"):
                    break
                self.offset += len(line)
                if b'"bench-' not in line or b'"ResponseComplete"' not in line:
                    continue
                event = json.loads(line)
                user = event["user"]["username"]
                resource = (event.get("objectRef") or {}).get("resource") or "discovery"
                counts = self.requests.setdefault(user, {})
                counts[(event["verb"], resource)] = counts.get((event["verb"], resource), 0) + 1

    def summary(self, user: str, runs: int) -> str:
        counts = self.requests.get(user, {})
        total = sum(counts.values()) / runs
        lists = ", ".join(f"{resource} {n / runs:g}" for (verb, resource), n in sorted(counts.items())
                          if verb == "list")
        return f"{total:g} (LIST {lists})" if lists else f"{total:g}"


def commands(kubectl: str) -> list:
    floor_argv = [sys.executable, str(Path(__file__).resolve()), "--floor"]
    plugin = [kubectl, "sidecars"]
    return [
        Command("fetch the same pages raw (no parse)", floor_argv + ["raw"], False),
        Command("fetch + `json.loads`", floor_argv + ["parse"], False),
        Command("`kubectl get pods -A`", [kubectl, "get", "pods", "-A"], False),
        Command("`kubectl get pods -A -o json`", [kubectl, "get", "pods", "-A", "-o", "json"], False),
        Command("`kubectl sidecars status -A`", plugin + ["status", "-A"], True),
        Command("`kubectl sidecars status -A -o json`", plugin + ["status", "-A", "-o", "json"], True),
        Command("`kubectl sidecars status -A -o yaml`", plugin + ["status", "-A", "-o", "yaml"], True),
        Command("`kubectl sidecars diagnose -A`", plugin + ["diagnose", "-A"], True),
    ]


def measure_size(plane, env: dict, scratch: Path, audit: Audit, pods: int, args, warm_up: bool) -> dict:
    """Every command args.runs times, alternating; a command whose run took longer than args.once_over
    is not run again at this size. First, when asked, the kubectl commands and one plugin command run
    once uncounted (kubectl's discovery cache, which lasts for the later sizes; files in the page cache)."""
    from tests.e2e.cluster import PLUGIN_USER

    table = commands(str(plane.kubectl))
    users = [(f"bench-{pods}-{i}", plane.user_kubeconfig(f"bench-{pods}-{i}", [READERS])) for i in range(len(table))]
    warm_ups = [c for c in table if not c.plugin] + [next(c for c in table if c.plugin)] if warm_up else []
    for command in warm_ups:
        run_once(command, env, plane.user_kubeconfig(PLUGIN_USER), scratch)
        command.walls, command.cpus, command.peaks = [], [], []
    for round_number in range(args.runs):
        for command, (_, kubeconfig) in zip(table, users):
            if not command.walls or max(command.walls) <= args.once_over:
                run_once(command, env, kubeconfig, scratch)
        print(f"  {pods} pods, round {round_number + 1}/{args.runs} done", file=sys.stderr)
    time.sleep(2)  # the last audit events land just after the responses
    audit.read()
    return {command.label: {"wall": statistics.median(command.walls), "cpu": statistics.median(command.cpus),
                            "rss": statistics.median(command.peaks), "runs": len(command.walls),
                            "requests": audit.summary(user, len(command.walls))}
            for command, (user, _) in zip(table, users)}


def page_bytes(plane) -> int:
    """Bytes of JSON of every pod, as the LIST pages carry them."""
    total, token = 0, None
    while True:
        params = {"limit": CHUNK, **({"continue": token} if token else {})}
        body = plane.admin.get("/api/v1/pods", params=params, raw=True)
        total += len(body.encode())
        token = json.loads(body)["metadata"].get("continue")
        if not token:
            return total


def one_pod_many_containers(scratch: Path, count: int = 10000) -> Path:
    """A pod with `count` app containers, every one running, written as `kubectl get -o json` would."""
    from tests.factory import container, pod_status, running

    spec = {"containers": [container(f"c{i}") for i in range(count)], "restartPolicy": "Always"}
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "wide", "namespace": "bench-a",
                                                           "creationTimestamp": "2026-12-01T00:00:00Z"},
           "spec": spec, "status": pod_status(spec, [running(f"c{i}") for i in range(count)])}
    path = scratch / "one-pod-many-containers.json"
    path.write_text(json.dumps(pod))
    return path


def measure_wide_pod(plane, env: dict, scratch: Path, runs: int) -> dict:
    path = str(one_pod_many_containers(scratch))
    plugin = [str(plane.kubectl), "sidecars"]
    table = [Command("`status -f` (one row per container)", plugin + ["status", "-f", path], True),
             Command("`status -f -o json`", plugin + ["status", "-f", path, "-o", "json"], True),
             Command("`status -f -o yaml`", plugin + ["status", "-f", path, "-o", "yaml"], True),
             Command("`diagnose -f`", plugin + ["diagnose", "-f", path], True)]
    kubeconfig = Path(env["KUBECONFIG"])
    for _ in range(runs):
        for command in table:
            run_once(command, env, kubeconfig, scratch)
    return {c.label: {"wall": statistics.median(c.walls), "cpu": statistics.median(c.cpus),
                      "rss": statistics.median(c.peaks)} for c in table}


def help_times(plane, env: dict, scratch: Path, runs: int) -> dict:
    table = [Command("`kubectl-sidecars --help` (the plugin alone)", ["kubectl-sidecars", "--help"], True),
             Command("`kubectl sidecars --help`", [str(plane.kubectl), "sidecars", "--help"], True)]
    kubeconfig = Path(env["KUBECONFIG"])
    for _ in range(max(runs, 5)):
        for command in table:
            run_once(command, env, kubeconfig, scratch)
    return {c.label: statistics.median(c.walls) for c in table}


# --- the report -------------------------------------------------------------------------------------------

def ratio_rows(results: dict, sizes: list) -> list:
    """(what, {size: value}, target, met) for each target of the issue that one table can show."""
    def wall(size, label):
        return results[size][label]["wall"]

    status, json_, yaml_, diagnose = ("`kubectl sidecars status -A`", "`kubectl sidecars status -A -o json`",
                                      "`kubectl sidecars status -A -o yaml`", "`kubectl sidecars diagnose -A`")
    kubectl, parse = "`kubectl get pods -A`", "fetch + `json.loads`"
    checks = [
        ("`status -A` / `kubectl get pods -A`", status, kubectl, 1.0),
        ("`status -A` / fetch + parse floor", status, parse, 1.3),
        ("`status -A -o json` / `kubectl get pods -A`", json_, kubectl, 1.2),
        ("`diagnose -A` / `kubectl get pods -A`", diagnose, kubectl, 1.2),
        ("`-o yaml` / `-o json`", yaml_, json_, 1.5),
    ]
    rows = []
    for what, numerator, denominator, limit in checks:
        values = {size: wall(size, numerator) / wall(size, denominator) for size in sizes}
        rows.append((what, {s: f"{v:.2f}x" for s, v in values.items()}, f"<= {limit}x",
                     all(v <= limit for v in values.values())))
    for label in (status, diagnose):
        values = {size: results[size][label]["rss"] / results[size][kubectl]["rss"] for size in sizes}
        rows.append((f"peak RSS {label} / `kubectl get pods -A`", {s: f"{v:.2f}x" for s, v in values.items()},
                     "< 1x", all(v < 1 for v in values.values())))
    if len(sizes) > 1:
        small, large = sizes[0], sizes[-1]
        for label, limit in ((status, 15), (diagnose, 15), (json_, 50), (yaml_, 50)):
            growth = results[large][label]["rss"] - results[small][label]["rss"]
            rows.append((f"peak RSS growth of {label}, {small:,} to {large:,} pods", {large: f"{growth:+.1f} MiB"},
                         f"< {limit} MiB", growth < limit))
    return rows


def report(args, results: dict, sizes: list, pod_kib: float, wide: dict, helps: dict) -> str:
    machine = f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}"
    lines = [f"{datetime.now(timezone.utc):%Y-%m-%d}, {machine}: pods of {pod_kib:.1f} KiB of JSON each, "
             f"LISTs of {CHUNK}, median of {args.runs} alternating runs.", ""]
    head, rule = ["command"], ["---"]
    for size in sizes:
        head += [f"{size:,} pods: wall s", "CPU s", "peak RSS MiB", "requests a run"]
        rule += ["---:", "---:", "---:", "---"]
    lines += ["| " + " | ".join(head) + " |", "|" + "|".join(rule) + "|"]
    for label in results[sizes[0]]:
        cells = [label]
        for size in sizes:
            m = results[size][label]
            once = " (1 run)" if m["runs"] == 1 and args.runs > 1 else ""
            cells += [f"{m['wall']:.2f}{once}", f"{m['cpu']:.2f}", f"{m['rss']:.0f}", m["requests"]]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "| ratio | " + " | ".join(f"{s:,} pods" for s in sizes) + " | target | met |",
              "|---|" + "---:|" * len(sizes) + "---|---|"]
    for what, values, target, met in ratio_rows(results, sizes):
        lines.append(f"| {what} | " + " | ".join(values.get(s, "") for s in sizes) +
                     f" | {target} | {'yes' if met else 'no'} |")
    if wide:
        lines += ["", "| one pod with 10,000 containers (`-f`) | wall s | CPU s | peak RSS MiB |",
                  "|---|---:|---:|---:|"]
        lines += [f"| {label} | {m['wall']:.2f} | {m['cpu']:.2f} | {m['rss']:.0f} |" for label, m in wide.items()]
    if helps:
        lines += ["", "| start-up | wall s |", "|---|---:|"]
        lines += [f"| {label} | {wall:.3f} |" for label, wall in helps.items()]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", default="10000,30000", help="pod counts, ascending, comma-separated")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--once-over", type=float, default=120,
                        help="seconds: a command slower than this runs once at that size")
    parser.add_argument("--threads", type=int, default=12, help="concurrent writers while filling")
    parser.add_argument("--floor", choices=("raw", "parse"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.floor:
        return floor(args.floor)
    sizes = sorted(int(size) for size in args.pods.split(","))

    sys.path.insert(0, str(REPO))
    from tests.e2e.cluster import ControlPlane, build_binaries
    from tests.e2e.kubelet import Kube

    plane = ControlPlane(build_binaries("etcd", "kubernetes")).start()
    scratch = Path(tempfile.mkdtemp(prefix="kubectl-sidecars-bench-"))
    try:
        (scratch / "hook").mkdir()
        (scratch / "hook" / "sitecustomize.py").write_text(RSS_HOOK)
        (scratch / "home").mkdir()
        plane.admin.post("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", {
            "metadata": {"name": "bench-readers"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                        "name": "kubectl-sidecars-read"},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": READERS}]})
        kube = Kube(plane.admin)
        kube.node("bench-node")
        for namespace in NAMESPACES:
            kube.namespace(namespace)
        writer = Writer(plane, args.threads)
        env = dict(os.environ, NO_COLOR="1", HOME=str(scratch / "home"), KUBECONFIG=str(plane.plugin_kubeconfig()),
                   PATH=os.pathsep.join([str(plane.kube_dir), os.path.dirname(sys.executable), os.environ["PATH"]]))
        audit = Audit(plane.logs["audit"])
        results, created, pod_kib = {}, 0, 0.0
        for size in sizes:
            seconds = writer.fill(created, size)
            print(f"created {size - created} pods in {seconds:.0f} s", file=sys.stderr)
            created = size
            pod_kib = page_bytes(plane) / size / 1024
            results[size] = measure_size(plane, env, scratch, audit, size, args, warm_up=size == sizes[0])
            print(report(args, results, list(results), pod_kib, {}, {}), file=sys.stderr)
        wide = measure_wide_pod(plane, env, scratch, args.runs)
        helps = help_times(plane, env, scratch, args.runs)
        print(report(args, results, sizes, pod_kib, wide, helps))
    finally:
        plane.stop()
        plane.cleanup()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
