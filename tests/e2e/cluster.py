"""A throwaway Kubernetes control plane (etcd + kube-apiserver) for the end-to-end tests.

It runs the way envtest does: no kubelet, no scheduler, no controllers, so the tests write every
status themselves (see kubelet.py). Clients authenticate with certificates from a CA made per run, and
RBAC is on, so the read-only promise of the plugin is checked by the API server itself.
"""

import base64
import ctypes
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = REPO / "hack" / "build-control-plane.sh"
K8S_VERSION = os.environ.get("K8S_VERSION", "v1.36.3")

PLUGIN_USER = "kubectl-sidecars-e2e"
# Everything the plugin may read; it must never need more than this.
PLUGIN_READS = [
    ("", ["pods", "events", "nodes", "namespaces"]),
    ("batch", ["jobs", "cronjobs"]),
    ("apps", ["deployments", "replicasets", "statefulsets", "daemonsets"]),
]
READ_VERBS = ["get", "list", "watch"]

AUDIT_POLICY = {
    "apiVersion": "audit.k8s.io/v1",
    "kind": "Policy",
    "omitStages": ["RequestReceived"],
    "rules": [{"level": "Metadata"}],
}


class BinariesUnavailable(Exception):
    """The control plane binaries could not be built (typically: no Go toolchain)."""


class ApiError(Exception):
    def __init__(self, status, body):
        super().__init__(f"HTTP {status}: {body}")
        self.status = status
        self.body = body


def build_binaries(*components):
    """Runs hack/build-control-plane.sh and returns {component: directory}."""
    proc = subprocess.run(
        ["bash", str(BUILD_SCRIPT), *components],
        capture_output=True, text=True, env={**os.environ, "K8S_VERSION": K8S_VERSION},
    )
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise BinariesUnavailable(f"{BUILD_SCRIPT.name} exited {proc.returncode}: {last}")
    return dict(line.split("=", 1) for line in proc.stdout.split() if "=" in line)


def free_port():
    """A port that was free a moment ago; the race with other processes is acceptable for tests."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def host_address():
    """A non-loopback IPv4 address of this machine: kube-apiserver will not advertise 127.0.0.1."""
    try:
        out = subprocess.run(["hostname", "-I"], capture_output=True, text=True).stdout.split()
    except OSError:
        return None
    return next((a for a in out if "." in a and not a.startswith("127.")), None)


def _b64(path):
    return base64.b64encode(Path(path).read_bytes()).decode()


def _die_with_parent():
    """Children get SIGKILL if pytest dies, so a crashed run leaves no servers behind. Not SIGTERM:
    etcd and kube-apiserver then wait on each other in their graceful shutdown and never exit."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class CertificateAuthority:
    """A CA made with the openssl CLI; it signs the API server's serving cert and every client cert."""

    def __init__(self, directory):
        self.dir = Path(directory)
        self.cert, self.key = self.dir / "ca.crt", self.dir / "ca.key"
        self._openssl("req", "-x509", *self._new_key(self.key), "-subj", "/CN=kubectl-sidecars-e2e-ca",
                      "-days", "2", "-out", self.cert)

    @staticmethod
    def _new_key(path):
        return ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", path]

    @staticmethod
    def _openssl(*args):
        subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True)

    def issue(self, name, subject, extensions):
        """Signs a new key; returns (cert path, key path)."""
        cert, key = self.dir / f"{name}.crt", self.dir / f"{name}.key"
        extensions = ["basicConstraints=critical,CA:FALSE", *extensions]
        ext_args = [arg for ext in extensions for arg in ("-addext", ext)]
        self._openssl("req", "-x509", "-CA", self.cert, "-CAkey", self.key, *self._new_key(key),
                      "-subj", subject, "-days", "2", *ext_args, "-out", cert)
        return cert, key

    def serving_cert(self):
        return self.issue("apiserver", "/CN=kube-apiserver", [
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "extendedKeyUsage=serverAuth", "keyUsage=critical,digitalSignature,keyEncipherment",
        ])

    def client_cert(self, user, groups=()):
        """Kubernetes reads the user from CN and the groups from the O entries."""
        subject = f"/CN={user}" + "".join(f"/O={group}" for group in groups)
        file_name = "user-" + "-".join([user, *groups]).replace(":", "_").replace("/", "_")
        return self.issue(file_name, subject, ["extendedKeyUsage=clientAuth",
                                               "keyUsage=critical,digitalSignature,keyEncipherment"])


class Api:
    """A minimal JSON client for the API server: the tests need raw objects, not client models."""

    def __init__(self, server, ca, cert, key):
        self.server = server
        self.context = ssl.create_default_context(cafile=str(ca))
        self.context.load_cert_chain(str(cert), str(key))

    def request(self, method, path, body=None, params=None, content_type="application/json",
                accept="application/json", raw=False):
        url = self.server + path + ("?" + urllib.parse.urlencode(params) if params else "")
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": content_type, "Accept": accept})
        try:
            with urllib.request.urlopen(req, context=self.context, timeout=30) as resp:
                payload = resp.read().decode()
        except urllib.error.HTTPError as err:
            raise ApiError(err.code, err.read().decode()) from None
        return payload if raw else json.loads(payload)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body):
        return self.request("POST", path, body)

    def put(self, path, body):
        return self.request("PUT", path, body)

    def patch(self, path, body):
        """A JSON merge patch: maps merge, lists are replaced whole."""
        return self.request("PATCH", path, body, content_type="application/merge-patch+json")

    def delete(self, path, **params):
        return self.request("DELETE", path, params=params)


class ControlPlane:
    """etcd and kube-apiserver on free loopback ports, with kubeconfigs for the users the tests need."""

    def __init__(self, binaries, apiserver_flags=()):
        self.apiserver_flags = list(apiserver_flags)  # added to the kube-apiserver command line
        self.etcd_bin = Path(binaries["etcd"]) / "etcd"
        self.kube_dir = Path(binaries["kubernetes"])
        self.kubectl = self.kube_dir / "kubectl"
        self.dir = Path(tempfile.mkdtemp(prefix="kubectl-sidecars-e2e-"))
        self.logs = {name: self.dir / f"{name}.log" for name in ("etcd", "kube-apiserver", "audit")}
        self.procs = []
        self.port = free_port()
        self.server = f"https://127.0.0.1:{self.port}"
        self.ca = None
        self.admin = None
        self._users = {}
        self._kubeconfig_users = {}
        self.plugin_runs = 0  # runs as PLUGIN_USER that should reach the API server (see conftest)

    # --- life cycle -------------------------------------------------------------------------------

    def start(self, timeout=90):
        started = time.monotonic()
        try:
            self.ca = CertificateAuthority(self.dir)
            etcd_url = self._start_etcd()
            self._start_apiserver(etcd_url)
            self.admin = self.api_as("admin", ["system:masters"])
            self._wait_ready(deadline=started + timeout)
            self.admin_kubeconfig = self.user_kubeconfig("admin", ["system:masters"])
            self._grant_plugin_reads()
        except BaseException:
            self.stop()
            raise
        self.start_seconds = time.monotonic() - started
        return self

    def _spawn(self, name, args):
        log = open(self.logs[name], "wb")
        proc = subprocess.Popen([str(a) for a in args], stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)
        log.close()
        self.procs.append((name, proc))
        return proc

    def _start_etcd(self):
        client_url = f"http://127.0.0.1:{free_port()}"
        self._spawn("etcd", [
            self.etcd_bin, "--data-dir", self.dir / "etcd-data", "--unsafe-no-fsync",
            "--listen-client-urls", client_url, "--advertise-client-urls", client_url,
            "--listen-peer-urls", f"http://127.0.0.1:{free_port()}", "--log-level", "warn",
        ])
        return client_url

    def _start_apiserver(self, etcd_url):
        serving_cert, serving_key = self.ca.serving_cert()
        sa_key = self.dir / "service-account.key"
        subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", sa_key],
                       check=True, capture_output=True)
        policy = self.dir / "audit-policy.yaml"
        policy.write_text(yaml.safe_dump(AUDIT_POLICY))
        args = [
            self.kube_dir / "kube-apiserver",
            f"--etcd-servers={etcd_url}", "--bind-address=127.0.0.1", f"--secure-port={self.port}",
            f"--tls-cert-file={serving_cert}", f"--tls-private-key-file={serving_key}",
            f"--client-ca-file={self.ca.cert}", "--authorization-mode=RBAC",
            "--service-cluster-ip-range=10.0.0.0/24", "--allow-privileged=true",
            # No controller creates each namespace's "default" ServiceAccount, which this admission
            # plugin would demand of every pod.
            "--disable-admission-plugins=ServiceAccount",
            f"--service-account-issuer=https://127.0.0.1:{self.port}/",
            f"--service-account-key-file={sa_key}", f"--service-account-signing-key-file={sa_key}",
            f"--audit-policy-file={policy}", f"--audit-log-path={self.logs['audit']}",
            *self.apiserver_flags,
        ]
        address = host_address()
        if address:
            args.append(f"--advertise-address={address}")
        self._spawn("kube-apiserver", args)

    def _wait_ready(self, deadline):
        """Polls /readyz, which turns 200 once etcd answers and the RBAC bootstrap roles exist."""
        last = None
        while time.monotonic() < deadline:
            for name, proc in self.procs:
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited with {proc.returncode}:\n{self.log_tail(name)}")
            try:
                if self.admin.get("/readyz", raw=True, accept="text/plain").strip() == "ok":
                    return
            except (ApiError, OSError) as err:
                last = err
            time.sleep(0.2)
        raise TimeoutError(f"kube-apiserver not ready: {last}\n{self.log_tail('kube-apiserver')}")

    def stop(self):
        """Stops the API server first, so it flushes the audit log, then etcd."""
        for _, proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        self.procs = []

    def cleanup(self, keep_logs_in=None):
        """Deletes the run folder; copies the logs to keep_logs_in first, when given."""
        if keep_logs_in:
            keep = Path(keep_logs_in)
            keep.mkdir(parents=True, exist_ok=True)
            for path in self.logs.values():
                if path.exists():
                    shutil.copy(path, keep / path.name)
        shutil.rmtree(self.dir, ignore_errors=True)

    def log_tail(self, name, lines=20):
        path = self.logs[name]
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    # --- users ------------------------------------------------------------------------------------

    def _credentials(self, user, groups):
        key = (user, tuple(groups))
        if key not in self._users:
            self._users[key] = self.ca.client_cert(user, groups)
        return self._users[key]

    def api_as(self, user, groups=()):
        """An Api client authenticated as user (a client certificate: CN=user, O=each group)."""
        return Api(self.server, self.ca.cert, *self._credentials(user, groups))

    def user_kubeconfig(self, user, groups=(), namespace=None):
        """Writes a kubeconfig for user; namespace becomes the context's default namespace."""
        cert, key = self._credentials(user, groups)
        context = {"cluster": "e2e", "user": user}
        if namespace:
            context["namespace"] = namespace
        config = {
            "apiVersion": "v1", "kind": "Config", "current-context": "e2e", "preferences": {},
            "clusters": [{"name": "e2e", "cluster": {
                "server": self.server, "certificate-authority-data": _b64(self.ca.cert)}}],
            "users": [{"name": user, "user": {
                "client-certificate-data": _b64(cert), "client-key-data": _b64(key)}}],
            "contexts": [{"name": "e2e", "context": context}],
        }
        suffix = "-".join([user, *groups, namespace or ""]).replace(":", "_").replace("/", "_")
        path = self.dir / f"kubeconfig-{suffix}.yaml"
        path.write_text(yaml.safe_dump(config))
        self._kubeconfig_users[path] = user
        return path

    def kubeconfig_user(self, path):
        """The user a kubeconfig written by user_kubeconfig authenticates as (None for others)."""
        return self._kubeconfig_users.get(Path(path))

    def plugin_kubeconfig(self, namespace=None):
        """The read-only user the plugin runs as."""
        return self.user_kubeconfig(PLUGIN_USER, namespace=namespace)

    def bind_role(self, user, namespace, rules):
        """Gives user a namespace-scoped Role with these RBAC rules."""
        name = f"{user}-role"
        self.admin.post(f"/apis/rbac.authorization.k8s.io/v1/namespaces/{namespace}/roles", {
            "metadata": {"name": name}, "rules": rules})
        self.admin.post(f"/apis/rbac.authorization.k8s.io/v1/namespaces/{namespace}/rolebindings", {
            "metadata": {"name": name},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": user}],
        })

    def _grant_plugin_reads(self):
        rules = [{"apiGroups": [group], "resources": resources, "verbs": READ_VERBS}
                 for group, resources in PLUGIN_READS]
        self.admin.post("/apis/rbac.authorization.k8s.io/v1/clusterroles", {
            "metadata": {"name": "kubectl-sidecars-read"}, "rules": rules})
        self.admin.post("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", {
            "metadata": {"name": "kubectl-sidecars-read"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                        "name": "kubectl-sidecars-read"},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": PLUGIN_USER}],
        })

    # --- audit ------------------------------------------------------------------------------------

    def audit_events(self, username):
        """The ResponseComplete audit events of username, oldest first (one JSON object per line)."""
        path = self.logs["audit"]
        if not path.exists():
            return []
        events = []
        for line in path.read_text().splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue  # a line being written right now
            if event.get("stage") == "ResponseComplete" and event["user"].get("username") == username:
                events.append(event)
        return events

    def wait_for_audit(self, username, predicate=lambda event: True, timeout=10):
        """Audit events land just after the response: poll until one matches predicate."""
        deadline = time.monotonic() + timeout
        while True:
            matches = [e for e in self.audit_events(username) if predicate(e)]
            if matches or time.monotonic() > deadline:
                return matches
            time.sleep(0.1)
