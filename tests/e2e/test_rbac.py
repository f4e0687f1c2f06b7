"""A user who may only read pods in one namespace: the plugin works there and fails cleanly elsewhere."""

import pytest

from tests.factory import container, live, sidecar

from .cluster import READ_VERBS

VIEWER = "namespace-viewer"


@pytest.fixture
def viewer(cluster, kube, ns):
    """A kubeconfig for a user with a Role to get/list pods in ns, and nothing else."""
    kube.pod(ns, "web", init=[sidecar("proxy")], containers=[container("app")],
             statuses=[live.running("proxy"), live.running("app")])
    cluster.bind_role(VIEWER, ns, [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}])
    return cluster.user_kubeconfig(VIEWER)


def test_status_in_the_users_namespace(cluster, run_plugin, ns, viewer):
    code, out, err = run_plugin("status", "-n", ns, kubeconfig=viewer)

    assert code == 0, err
    assert "web" in out
    assert {e["verb"] for e in cluster.audit_events(VIEWER)} <= set(READ_VERBS)


def test_status_uses_the_context_namespace(cluster, run_plugin, ns, viewer):
    code, out, err = run_plugin("status", kubeconfig=cluster.user_kubeconfig(VIEWER, namespace=ns))

    assert code == 0, err
    assert "web" in out


def test_status_of_all_namespaces_is_forbidden(run_plugin, viewer):
    code, out, err = run_plugin("status", "-A", kubeconfig=viewer)

    assert code == 3, (out, err)
    assert len(err.strip().splitlines()) == 1, err
    assert "forbidden" in err.lower()
    assert "Traceback" not in err
