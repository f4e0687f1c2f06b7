"""Label and field selectors: kubectl's grammar, the API server's matching rules, usage errors up front."""

import pytest

from kubectl_sidecars.errors import EXIT_USAGE, UsageError
from kubectl_sidecars.selection import Selection, field_matcher, label_matcher
from tests.factory import container, job_pod, pod, running, terminated

WEB = {"app": "web", "tier": "frontend", "env": "prod", "app.kubernetes.io/part-of": "shop"}
DB = {"app": "db", "tier": "backend", "env": "staging"}
BARE = {}
LABELS = {"web": WEB, "db": DB, "bare": BARE}


def matching(selector):
    matches = label_matcher(selector)
    return sorted(name for name, labels in LABELS.items() if matches(labels))


@pytest.mark.parametrize("selector, expected", [
    ("", ["bare", "db", "web"]),
    ("   ", ["bare", "db", "web"]),
    (None, ["bare", "db", "web"]),
    ("app=web", ["web"]),
    ("app==web", ["web"]),
    ("app = web", ["web"]),
    ("app!=web", ["bare", "db"]),
    ("app=web,tier=frontend", ["web"]),
    ("app=web,tier=backend", []),
    ("app", ["db", "web"]),
    ("!app", ["bare"]),
    ("! app", ["bare"]),
    ("app.kubernetes.io/part-of", ["web"]),
    ("app.kubernetes.io/part-of=shop", ["web"]),
    ("env in (prod,staging)", ["db", "web"]),
    ("env in (prod, staging)", ["db", "web"]),
    ("env in (prod)", ["web"]),
    ("env notin (prod)", ["bare", "db"]),
    ("env notin (prod,staging)", ["bare"]),
    ("tier in (frontend),env notin (staging)", ["web"]),
    ("app,!tier", []),
    ("env=", []),
    ("env!=", ["bare", "db", "web"]),
    ("env!=prod", ["bare", "db"]),
    ("tier!=frontend,app", ["db"]),
])
def test_label_selectors(selector, expected):
    assert matching(selector) == expected


@pytest.mark.parametrize("selector", [
    "app=web=x",
    "app in prod",
    "app in (prod",
    "app in (pr od)",
    "app notin (a,,b",
    "=web",
    "app=web,",
    ",app=web",
    "app=-web",
    "app=web-",
    "-app=web",
    "app=we b",
    "app=we$b",
    "app is web",
    "app!!=web",
    "app(x)",
])
def test_invalid_label_selectors_are_usage_errors(selector):
    with pytest.raises(UsageError) as error:
        label_matcher(selector)
    assert error.value.exit_code == EXIT_USAGE
    assert "\n" not in str(error.value)
    assert selector in str(error.value)


@pytest.mark.parametrize("selector, expected", [("replicas>2", ["three"]), ("replicas<3", ["two"])])
def test_greater_and_less_than_as_the_api_server_accepts_them(selector, expected):
    # labels.Parse accepts Gt/Lt with an integer value; they match only labels holding an integer
    labels = {"two": {"replicas": "2"}, "three": {"replicas": "3"}, "none": {}, "text": {"replicas": "many"}}
    matches = label_matcher(selector)
    assert sorted(name for name, value in labels.items() if matches(value)) == expected


def test_matcher_treats_missing_labels_as_empty():
    assert label_matcher("!app")(None) is True
    assert label_matcher("app")(None) is False


# ---------------------------------------------------------------- field selectors

RUNNING_ON_1 = pod("web-1", containers=[container("app")], statuses=[running("app")])
PENDING = pod("web-2", containers=[container("app")], phase="Pending", node=None, pod_conditions=[])
DONE = job_pod("nightly", "x1", containers=[container("app")], phase="Succeeded",
               statuses=[terminated("app", 0)], pod_conditions=[])
PODS = [RUNNING_ON_1, PENDING, DONE]


def field_matching(selector):
    matches = field_matcher(selector)
    return [p["metadata"]["name"] for p in PODS if matches(p)]


@pytest.mark.parametrize("selector, expected", [
    ("", ["web-1", "web-2", "nightly-x1"]),
    ("status.phase=Running", ["web-1"]),
    ("status.phase==Succeeded", ["nightly-x1"]),
    ("status.phase!=Running", ["web-2", "nightly-x1"]),
    ("spec.nodeName=worker-1", ["web-1", "nightly-x1"]),
    ("spec.nodeName=", ["web-2"]),
    ("spec.nodeName!=", ["web-1", "nightly-x1"]),
    ("metadata.name=web-2", ["web-2"]),
    ("metadata.namespace=default", ["web-1", "web-2", "nightly-x1"]),
    ("spec.restartPolicy=Never", ["nightly-x1"]),
    ("status.phase!=Running,status.phase!=Pending", ["nightly-x1"]),
    ("status.phase=Running,spec.nodeName=worker-1", ["web-1"]),
    ("spec.serviceAccountName=default", ["web-1", "web-2", "nightly-x1"]),
    ("spec.schedulerName=default-scheduler", ["web-1", "web-2", "nightly-x1"]),
    ("status.podIP=10.244.1.23", ["web-1", "nightly-x1"]),
])
def test_field_selectors(selector, expected):
    assert field_matching(selector) == expected


@pytest.mark.parametrize("selector", [
    "status.phase",
    "status.phase>Running",
    "metadata.labels=x",
    "spec.containers.name=app",
    "status.phase=Run=ning",
])
def test_invalid_field_selectors_are_usage_errors(selector):
    with pytest.raises(UsageError) as error:
        field_matcher(selector)
    assert error.value.exit_code == EXIT_USAGE
    assert "\n" not in str(error.value)


# ---------------------------------------------------------------- Selection


def _named(*names, namespace="default", labels=None):
    return [pod(n, namespace=namespace, containers=[container("app")], labels=labels or {"app": "web"})
            for n in names]


def test_selection_namespace_names_labels_and_fields():
    objects = (_named("a", "b") + _named("c", namespace="shop", labels={"app": "db"})
               + [PENDING, DONE])
    names = lambda sel: [o["metadata"]["name"] for o in objects if sel.matcher()(o)]  # noqa: E731
    assert names(Selection(None)) == ["a", "b", "c", "web-2", "nightly-x1"]
    assert names(Selection("shop")) == ["c"]
    assert names(Selection("default", ("b", "web-2"))) == ["b", "web-2"]
    assert names(Selection(None, label_selector="app=db")) == ["c"]
    assert names(Selection(None, field_selector="status.phase=Succeeded")) == ["nightly-x1"]
    assert names(Selection("default", label_selector="app", field_selector="status.phase!=Pending")) == [
        "a", "b", "nightly-x1"]
    assert names(Selection("default", label_selector="app=web", field_selector="status.phase!=Pending")) == [
        "a", "b"]


def test_selection_object_without_namespace_is_in_default():
    obj = pod("loose", containers=[container("app")])
    del obj["metadata"]["namespace"]
    assert Selection("default").matcher()(obj) is True
    assert Selection("kube-system").matcher()(obj) is False


def test_selection_validate_rejects_bad_selectors_and_returns_itself():
    good = Selection("default", label_selector="app=web", field_selector="status.phase=Running")
    assert good.validate() is good
    with pytest.raises(UsageError):
        Selection("default", label_selector="app in web").validate()
    with pytest.raises(UsageError):
        Selection("default", field_selector="spec.hostname=x").validate()


def test_listing_order_is_the_api_servers_across_namespaces():
    """Storage keys are namespace/name: a namespace whose name another extends with '-' comes after it."""
    from kubectl_sidecars.selection import listing_key

    pods = [("kube", "a"), ("kube-system", "b"), ("default", "z"), ("default", "a-1"), ("default", "a")]
    assert sorted(pods, key=lambda p: listing_key(*p)) == [
        ("default", "a"), ("default", "a-1"), ("default", "z"), ("kube-system", "b"), ("kube", "a")]
