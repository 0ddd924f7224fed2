"""Signed forge webhooks: a correctly signed push refreshes the package through the worker;
bad or missing signatures, replays and pushes within the interval queue nothing; a delivery
answered 503 records nothing, and hostile URLs in a signed payload are ignored."""

import hashlib
import hmac
import json
import signal
import uuid
from dataclasses import dataclass
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from api.models import WebhookDelivery
from packages.fetch.models import PackageFetchState
from packages.models import Package
from tests.factories import PackageFactory
from tests.packages.conftest import serve_github_repo, serve_pypi

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "s3cret-webhook"
REPO = {"github": "octo/widgets", "gitlab": "octo/widgets", "forgejo": "octo/widgets"}
HOSTS = {"github": "github.com", "gitlab": "gitlab.com", "forgejo": "codeberg.org"}


@dataclass(frozen=True)
class Forge:
    """How one forge signs and names its deliveries."""

    name: str
    event: str  # the refreshing event, as the forge spells it

    @property
    def url(self):
        return f"/api/v4/webhooks/{self.name}/"

    def payload(self, repo_url):
        if self.name == "gitlab":
            return {"object_kind": "push", "project": {"web_url": repo_url}}
        return {"ref": "refs/heads/main", "repository": {"html_url": repo_url}}

    def headers(self, body, *, secret=SECRET, event=None, delivery=None, signed=True):
        event = event or self.event
        delivery = delivery or str(uuid.uuid4())
        digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        if self.name == "github":
            headers = {"X-GitHub-Event": event, "X-GitHub-Delivery": delivery}
            signature = {"X-Hub-Signature-256": f"sha256={digest}"}
        elif self.name == "gitlab":
            headers = {"X-Gitlab-Event": event, "X-Gitlab-Event-UUID": delivery}
            signature = {"X-Gitlab-Token": secret}
        else:
            headers = {"X-Forgejo-Event": event, "X-Forgejo-Delivery": delivery}
            signature = {"X-Forgejo-Signature": digest}
        return {**headers, **(signature if signed else {})}


FORGES = [Forge("github", "push"), Forge("gitlab", "Push Hook"), Forge("forgejo", "push")]


SIGNATURE_HEADER = {
    "github": "X-Hub-Signature-256",
    "gitlab": "X-Gitlab-Token",
    "forgejo": "X-Forgejo-Signature",
}
GITHUB_ONLY = pytest.mark.parametrize("forge", FORGES[:1], ids=["github"], indirect=True)


@pytest.fixture(autouse=True)
def _secrets(settings):
    settings.GITHUB_WEBHOOK_SECRET = SECRET
    settings.GITLAB_WEBHOOK_SECRET = SECRET
    settings.FORGEJO_WEBHOOK_SECRET = SECRET
    settings.FETCH_WEBHOOK_MIN_INTERVAL = 600


@pytest.fixture(params=FORGES, ids=lambda forge: forge.name)
def forge(request):
    return request.param


@pytest.fixture
def widgets(forge):
    return PackageFactory(
        slug="widgets", repo_url=f"https://{HOSTS[forge.name]}/{REPO[forge.name]}", pypi_url=""
    )


def deliver(client, forge, payload=None, *, raw=None, content_type="application/json", **kw):
    body = raw if raw is not None else json.dumps(payload).encode()
    return client.post(
        forge.url, body, content_type=content_type, headers=forge.headers(body, **kw)
    )


def push(client, forge, package, **kw):
    """A push naming the package's repository as forges spell it: other case, `.git`."""
    url = package.repo_url.replace("https://", "http://www.").replace("octo", "Octo") + ".git/"
    return deliver(client, forge, forge.payload(url), **kw)


def run_worker():
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    try:
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", stdout=StringIO())
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def queued_tasks():
    return DBTaskResult.objects.count()


def test_a_signed_push_refreshes_the_package_through_the_worker(client, fetch_settings, upstream):
    serve_github_repo(upstream, "octo/widgets")
    serve_pypi(upstream, "django-widgets")
    package = PackageFactory(
        slug="widgets", repo_url="https://github.com/octo/widgets", pypi_url="django-widgets"
    )

    response = push(client, FORGES[0], package)

    assert response.status_code == 202
    assert response.json() == {
        "detail": "Queued 1 package; a worker fetches them.",
        "queued": ["widgets"],
        "already_queued": [],
        "too_soon": [],
    }
    assert upstream.requests == []
    run_worker()
    package.refresh_from_db()
    assert package.repo_watchers == 120
    assert package.last_fetched is not None
    assert PackageFetchState.objects.get(package=package).queued_by == "webhook"


def test_each_forge_queues_the_package_its_signed_push_names(client, forge, widgets):
    response = push(client, forge, widgets)

    assert response.status_code == 202
    assert response.json()["queued"] == ["widgets"]
    assert queued_tasks() == 1
    assert PackageFetchState.objects.get(package=widgets).state == "queued"


@pytest.mark.parametrize("case", ["missing", "wrong secret"])
def test_a_missing_or_wrong_signature_is_403_and_queues_nothing(client, forge, widgets, case):
    if case == "missing":
        response = push(client, forge, widgets, signed=False)
    else:
        response = push(client, forge, widgets, secret="not-the-secret")

    assert response.status_code == 403
    assert response.json()["detail"].startswith(SIGNATURE_HEADER[forge.name])
    assert queued_tasks() == 0
    assert not PackageFetchState.objects.exists()


@GITHUB_ONLY
def test_a_signature_of_another_body_is_refused(client, forge, widgets):
    body = json.dumps(forge.payload(widgets.repo_url)).encode()
    headers = forge.headers(b"{}")
    response = client.post(forge.url, body, content_type="application/json", headers=headers)
    assert response.status_code == 403
    assert response.json() == {
        "detail": "X-Hub-Signature-256 does not match the body signed with the webhook secret"
    }
    assert queued_tasks() == 0


def test_a_replayed_delivery_queues_nothing_new(client, forge, widgets, settings):
    settings.FETCH_WEBHOOK_MIN_INTERVAL = 0  # only the delivery id can stop the replay
    delivery = str(uuid.uuid4())
    assert push(client, forge, widgets, delivery=delivery).json()["queued"] == ["widgets"]
    run_worker()

    replay = push(client, forge, widgets, delivery=delivery)

    assert replay.status_code == 202
    assert replay.json()["queued"] == []
    assert "was already received" in replay.json()["detail"]
    assert queued_tasks() == 1
    fresh = push(client, forge, widgets)  # a new delivery is not a replay
    assert fresh.json()["queued"] == ["widgets"]


def test_a_second_push_within_the_interval_queues_nothing_new(client, forge, widgets):
    assert push(client, forge, widgets).json()["queued"] == ["widgets"]
    run_worker()

    again = push(client, forge, widgets)

    assert again.status_code == 202
    assert again.json()["queued"] == []
    assert again.json()["too_soon"] == ["widgets"]
    assert queued_tasks() == 1
    # Once the interval has passed, a push queues it again.
    earlier = PackageFetchState.objects.get().webhook_queued_at - timedelta(seconds=601)
    PackageFetchState.objects.update(webhook_queued_at=earlier)
    assert push(client, forge, widgets).json()["queued"] == ["widgets"]


def test_without_a_secret_the_endpoint_is_404(client, forge, widgets, settings):
    setattr(settings, f"{forge.name.upper()}_WEBHOOK_SECRET", "")
    response = push(client, forge, widgets)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    assert queued_tasks() == 0


@GITHUB_ONLY
def test_a_ping_is_200(client, forge):
    response = deliver(client, forge, {"zen": "Keep it simple."}, event="ping")
    assert response.status_code == 200
    assert response.json() == {"detail": "pong"}


def test_an_unknown_repository_is_202_that_queued_nothing(client, forge, widgets):
    response = deliver(client, forge, forge.payload(f"https://{HOSTS[forge.name]}/o/other"))
    assert response.status_code == 202
    assert response.json()["queued"] == []
    assert response.json()["detail"].startswith("no package has this repository")
    assert queued_tasks() == 0


@GITHUB_ONLY
def test_an_event_that_does_not_refresh_is_ignored(client, forge, widgets):
    response = deliver(client, forge, forge.payload(widgets.repo_url), event="issues")
    assert response.status_code == 202
    assert response.json()["detail"] == "event 'issues' does not refresh packages: ignored"
    assert queued_tasks() == 0


@GITHUB_ONLY
def test_a_github_form_post_and_a_release_event_are_understood(client, forge, widgets):
    from urllib.parse import urlencode

    payload = json.dumps(forge.payload(widgets.repo_url))
    body = urlencode({"payload": payload}).encode()
    response = deliver(
        client, forge, raw=body, content_type="application/x-www-form-urlencoded", event="release"
    )
    assert response.status_code == 202
    assert response.json()["queued"] == ["widgets"]


@GITHUB_ONLY
def test_a_renamed_repository_finds_the_package_by_its_old_url(client, forge, widgets):
    payload = {
        "action": "renamed",
        "changes": {"repository": {"name": {"from": "widgets"}}},
        "repository": {"html_url": "https://forge.com/octo/gadgets", "owner": {"login": "octo"}},
    }
    response = deliver(client, forge, payload, event="repository")
    assert response.json()["queued"] == ["widgets"]


@pytest.mark.parametrize("raw", [b"not json", b"[1, 2]", b"\xff\xfe"])
def test_a_signed_body_that_is_not_a_json_object_is_400(client, forge, widgets, raw):
    response = deliver(client, forge, raw=raw)
    assert response.status_code == 400
    assert response.json()["detail"].startswith("The delivery body is not")
    assert queued_tasks() == 0


def test_bodies_are_capped_like_every_api_body(client, forge, widgets, settings):
    settings.MAX_REQUEST_BODY_BYTES = 100
    payload = {**forge.payload(widgets.repo_url), "padding": "x" * 200}
    response = deliver(client, forge, payload)
    assert response.status_code == 413
    assert queued_tasks() == 0


@GITHUB_ONLY
def test_signed_deliveries_are_served_while_the_address_budget_is_spent(
    client, forge, widgets, rates
):
    rates(anon="1/min burst=1")
    client.get("/api/v4/categories/")  # other traffic from the forge's address spent it

    codes = [deliver(client, forge, {}, event="ping").status_code for _ in range(3)]

    assert codes == [200, 200, 200]


@GITHUB_ONLY
def test_badly_signed_deliveries_spend_the_address_budget(client, forge, widgets, rates):
    rates(anon="1/min burst=2")

    codes = [deliver(client, forge, {}, event="ping", secret="guess").status_code for _ in range(3)]
    signed = deliver(client, forge, {}, event="ping")

    assert codes == [403, 403, 429]
    assert signed.status_code == 200


def test_the_webhooks_are_in_the_openapi_schema(client):
    schema = client.get("/api/v4/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for name in ("github", "gitlab", "forgejo"):
        operation = schema["paths"][f"/api/v4/webhooks/{name}/"]["post"]
        assert {"202", "403", "404"} <= set(operation["responses"])
    github_headers = {
        p["name"] for p in schema["paths"]["/api/v4/webhooks/github/"]["post"]["parameters"]
    }
    assert {"X-GitHub-Event", "X-GitHub-Delivery", "X-Hub-Signature-256"} <= github_headers


@GITHUB_ONLY
def test_a_deleted_package_is_not_queued(client, forge, widgets):
    Package.objects.filter(pk=widgets.pk).delete()
    assert push(client, forge, widgets).json()["queued"] == []


# --- deliveries that could not be queued, hostile payloads ----------------------------------


def test_a_delivery_answered_503_is_queued_when_the_forge_redelivers_it(
    client, forge, widgets, monkeypatch
):
    delivery = str(uuid.uuid4())
    with monkeypatch.context() as patched:

        def refuse(self, task, args, kwargs):
            raise ConnectionError("queue is down")

        patched.setattr(DatabaseBackend, "enqueue", refuse)
        refused = push(client, forge, widgets, delivery=delivery)

    assert refused.status_code == 503
    assert refused.json() == {"detail": "The task queue is unavailable; the forge will retry."}
    assert not WebhookDelivery.objects.exists()
    assert PackageFetchState.objects.get(package=widgets).webhook_queued_at is None

    redelivered = push(client, forge, widgets, delivery=delivery)

    assert redelivered.status_code == 202
    assert redelivered.json()["queued"] == ["widgets"]
    assert queued_tasks() == 1


def test_after_a_503_the_next_real_push_is_not_too_soon(client, forge, widgets, monkeypatch):
    with monkeypatch.context() as patched:
        patched.setattr(DatabaseBackend, "enqueue", lambda *a: (_ for _ in ()).throw(OSError()))
        assert push(client, forge, widgets).status_code == 503

    fresh = push(client, forge, widgets)

    assert fresh.json()["too_soon"] == []
    assert fresh.json()["queued"] == ["widgets"]


HOSTILE_URLS = [
    "https://github.com/octo/widgets\x00",
    "https://github.com/octo/wid\x00gets",
    "https://github.com/octo/widgets\ud800",
    "https://github.com\udfff/octo/widgets",
    "https://github.com/octo/widgets\x0b",
]


@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_a_nul_or_lone_surrogate_in_a_signed_url_is_ignored(client, forge, widgets, url):
    # json.dumps writes "\u0000" and "\ud800" escapes: valid JSON that decodes to those chars.
    body = json.dumps(forge.payload(url)).encode()

    response = deliver(client, forge, raw=body)

    assert response.status_code == 202, response.content[:300]
    assert response.json()["queued"] == []
    assert "no repository URL in the payload" in response.json()["detail"]
    assert queued_tasks() == 0


# --- Gitea's own header names; deliveries that carry no id -----------------------------------

GITEA_ONLY = pytest.mark.parametrize("forge", FORGES[2:], ids=["forgejo"], indirect=True)


def gitea_headers(body, *, delivery):
    """A Gitea delivery: only Gitea's header names, none of Forgejo's."""
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Gitea-Event": "push", "X-Gitea-Delivery": delivery, "X-Gitea-Signature": digest}


@GITEA_ONLY
def test_a_delivery_with_only_gitea_headers_is_verified_queued_and_replay_checked(
    client, forge, widgets, settings
):
    settings.FETCH_WEBHOOK_MIN_INTERVAL = 0  # only the delivery id can stop the replay
    body = json.dumps(forge.payload(widgets.repo_url)).encode()
    delivery = str(uuid.uuid4())

    first = client.post(
        forge.url,
        body,
        content_type="application/json",
        headers=gitea_headers(body, delivery=delivery),
    )
    run_worker()
    replay = client.post(
        forge.url,
        body,
        content_type="application/json",
        headers=gitea_headers(body, delivery=delivery),
    )

    assert first.status_code == 202, first.content[:300]
    assert first.json()["queued"] == ["widgets"]
    assert replay.json()["queued"] == []
    assert f"delivery {delivery} was already received" in replay.json()["detail"]
    assert WebhookDelivery.objects.filter(forge="forgejo", delivery_id=delivery).exists()


@GITEA_ONLY
def test_a_gitea_signature_of_another_body_is_refused(client, forge, widgets):
    body = json.dumps(forge.payload(widgets.repo_url)).encode()
    headers = gitea_headers(b"another body", delivery=str(uuid.uuid4()))

    response = client.post(forge.url, body, content_type="application/json", headers=headers)

    assert response.status_code == 403
    assert queued_tasks() == 0


def without_delivery_id(forge, body):
    headers = forge.headers(body)
    return {k: v for k, v in headers.items() if "Delivery" not in k and "UUID" not in k}


def test_deliveries_without_an_id_are_never_replays_and_record_nothing(
    client, forge, widgets, settings
):
    settings.FETCH_WEBHOOK_MIN_INTERVAL = 0
    body = json.dumps(forge.payload(widgets.repo_url)).encode()

    first = client.post(
        forge.url, body, content_type="application/json", headers=without_delivery_id(forge, body)
    )
    run_worker()
    second = client.post(
        forge.url, body, content_type="application/json", headers=without_delivery_id(forge, body)
    )

    assert first.json()["queued"] == ["widgets"]
    assert second.status_code == 202
    assert second.json()["queued"] == ["widgets"]
    assert not WebhookDelivery.objects.exists()
