"""Signed webhooks from GitHub, GitLab and Forgejo/Codeberg: a push queues a package refresh.

`POST /api/v4/webhooks/{github,gitlab,forgejo}/`. Each forge proves a delivery with the shared
secret configured for it (GITHUB_WEBHOOK_SECRET, GITLAB_WEBHOOK_SECRET, FORGEJO_WEBHOOK_SECRET;
an endpoint without one is a 404): GitHub and Forgejo sign the raw body with HMAC-SHA256
(`X-Hub-Signature-256: sha256=<hex>`; `X-Forgejo-Signature` or `X-Gitea-Signature: <hex>`),
GitLab sends the secret itself (`X-Gitlab-Token`); every comparison is constant-time. The
package is found by its repository's identity (`repo_key`) and a refresh is queued through
`packages.tasks.enqueue_refresh`, at most once per FETCH_WEBHOOK_MIN_INTERVAL seconds per
package; a delivery id received before queues nothing, and a delivery answered 503 (the queue
or the database failed; the forge will retry) is forgotten, so its redelivery is queued. Bodies
are capped like every API body (api.middleware). A signed delivery is not throttled (the
signature proves the forge, and the interval bounds the refreshes it can cause), so other
clients sharing its address never get it a 429; an unsigned or badly signed one spends its
address's anonymous budget.
"""

import hashlib
import hmac
import json
import logging
from datetime import timedelta
from urllib.parse import parse_qs

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from api.models import WebhookDelivery
from api.throttling import check_request
from packages.identifiers import IdentifierError, normalize_repo_url, repo_identity
from packages.models import Package
from packages.tasks import RefreshQueueError, enqueue_refresh

logger = logging.getLogger(__name__)

DELIVERIES_KEPT = timedelta(days=7)


class WebhookResultSerializer(serializers.Serializer):
    detail = serializers.CharField()
    queued = serializers.ListField(child=serializers.SlugField(), help_text="Packages queued.")
    already_queued = serializers.ListField(child=serializers.SlugField())
    too_soon = serializers.ListField(
        child=serializers.SlugField(),
        help_text="Refreshed by a webhook less than FETCH_WEBHOOK_MIN_INTERVAL seconds ago.",
    )


class PongSerializer(serializers.Serializer):
    detail = serializers.CharField()


class SignatureError(exceptions.APIException):
    status_code = status.HTTP_403_FORBIDDEN
    default_code = "bad_signature"


class QueueUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The task queue is unavailable; the forge will retry."


def _header(name):
    return OpenApiParameter(name, OpenApiTypes.STR, OpenApiParameter.HEADER, required=False)


class WebhookView(APIView):
    """Base: check the secret, read the event, find the package, queue its refresh."""

    forge = ""
    secret_setting = ""
    event_headers: tuple[str, ...] = ()
    delivery_headers: tuple[str, ...] = ()
    refresh_events: frozenset[str] = frozenset()
    ping_events: frozenset[str] = frozenset()

    authentication_classes: list = []  # the signature is the authentication; no CSRF cookie
    permission_classes = [AllowAny]
    throttle_classes: list = []  # counted in post(): unsigned deliveries only

    def post(self, request):
        secret = getattr(settings, self.secret_setting, "")
        body = request.body  # the raw bytes: what the forge signed
        try:
            if not secret:
                raise exceptions.NotFound()
            self.verify(request, body, secret.encode())
        except (exceptions.NotFound, SignatureError):
            refusal = check_request(request, ["anon"])
            if refusal is not None:
                return refusal
            raise
        event = self._first_header(request, self.event_headers)
        if event in self.ping_events:
            return Response({"detail": "pong"}, status=status.HTTP_200_OK)
        payload = _payload(request, body)
        if event not in self.refresh_events:
            return self._answer(f"event {event!r} does not refresh packages: ignored")
        delivery = self._first_header(request, self.delivery_headers)[:100]
        if delivery and not _first_delivery(self.forge, delivery):
            return self._answer(f"delivery {delivery} was already received: nothing queued")
        try:
            return self._refresh(payload)
        except Exception:
            # Not queued (the queue refused, the database failed): the forge's redelivery of
            # this id must be taken as new, not as a replay.
            if delivery:
                _forget_delivery(self.forge, delivery)
            raise

    def _refresh(self, payload: dict) -> Response:
        urls = self.repo_urls(payload)
        # The repository's identity, however the package spells its URL (case, `.git`, ...).
        keys = [repo_identity(url) for url in urls]
        packages = dict(Package.objects.filter(repo_key__in=keys).values_list("pk", "slug"))
        if not packages:
            shown = ", ".join(sorted(urls)) or "no repository URL in the payload"
            return self._answer(f"no package has this repository ({shown}): nothing queued")
        interval = timedelta(seconds=settings.FETCH_WEBHOOK_MIN_INTERVAL)
        try:
            queued = enqueue_refresh(packages, by="webhook", min_interval=interval)
        except RefreshQueueError as exc:
            raise QueueUnavailable() from exc
        return self._answer(
            queued.message(),
            queued=[packages[pk] for pk in queued.queued],
            already_queued=[packages[pk] for pk in queued.already_queued],
            too_soon=[packages[pk] for pk in queued.too_soon],
        )

    def verify(self, request, body: bytes, secret: bytes) -> None:
        raise NotImplementedError

    def repo_urls(self, payload: dict) -> list[str]:
        raise NotImplementedError

    @staticmethod
    def _first_header(request, names):
        return next((request.headers[n] for n in names if request.headers.get(n)), "")

    @staticmethod
    def _answer(detail, **slugs):
        body = {"detail": detail, "queued": [], "already_queued": [], "too_soon": [], **slugs}
        return Response(body, status=status.HTTP_202_ACCEPTED)


def _check_hmac(signature: str, body: bytes, secret: bytes, header: str) -> None:
    if not signature:
        raise SignatureError(f"{header} is missing: this endpoint accepts signed deliveries only")
    expected = hmac.new(secret, body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(signature.strip().lower().encode(), expected.encode()):
        raise SignatureError(f"{header} does not match the body signed with the webhook secret")


def _payload(request, body: bytes) -> dict:
    """The JSON object of a delivery: a JSON body, or the `payload` field of a form post."""
    try:
        text = body.decode("utf-8")
        if request.content_type.split(";")[0].strip().lower() == (
            "application/x-www-form-urlencoded"
        ):
            text = parse_qs(text).get("payload", [""])[0]
        payload = json.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise exceptions.ParseError("The delivery body is not JSON.") from None
    if not isinstance(payload, dict):
        raise exceptions.ParseError("The delivery body is not a JSON object.")
    return payload


def _first_delivery(forge: str, delivery_id: str) -> bool:
    """Record a delivery id; False when it was received before (a replay)."""
    now = timezone.now()
    WebhookDelivery.objects.filter(received_at__lt=now - DELIVERIES_KEPT).delete()
    try:
        with transaction.atomic():
            WebhookDelivery.objects.create(forge=forge, delivery_id=delivery_id, received_at=now)
    except IntegrityError:
        return False
    return True


def _forget_delivery(forge: str, delivery_id: str) -> None:
    """Undo `_first_delivery` for a delivery that queued nothing because of a failure."""
    try:
        WebhookDelivery.objects.filter(forge=forge, delivery_id=delivery_id).delete()
    except DatabaseError:
        logger.warning("could not forget %s delivery %s", forge, delivery_id)


def _normalized(*urls) -> list[str]:
    found = []
    for url in urls:
        if isinstance(url, str) and url:
            try:
                found.append(normalize_repo_url(url))
            except IdentifierError:
                continue
    return sorted(set(found))


def _get(document, *path):
    for key in path:
        document = document.get(key) if isinstance(document, dict) else None
    return document


RESPONSES = {
    202: WebhookResultSerializer,
    400: OpenApiResponse(description="The body is not a JSON object."),
    403: OpenApiResponse(description="No signature, or one that does not match the body."),
    404: OpenApiResponse(description="No secret is configured for this forge."),
    413: OpenApiResponse(description="Request body too large."),
    429: OpenApiResponse(description="Throttled: retry after `Retry-After` seconds."),
    503: OpenApiResponse(description="The task queue is unavailable; the forge retries."),
}


def webhook_schema(*headers: str, pong: bool = False):
    """The OpenAPI description of a webhook endpoint: the headers it reads and its answers."""
    responses = {200: PongSerializer, **RESPONSES} if pong else RESPONSES
    return extend_schema_view(
        post=extend_schema(
            request=OpenApiTypes.OBJECT,
            parameters=[_header(name) for name in headers],
            responses=responses,
        )
    )


@webhook_schema("X-GitHub-Event", "X-GitHub-Delivery", "X-Hub-Signature-256", pong=True)
class GitHubWebhookView(WebhookView):
    """A GitHub webhook (`push`, `release`, `repository`; `ping` answers 200).

    Signed with GITHUB_WEBHOOK_SECRET in `X-Hub-Signature-256`; content type JSON or form.
    """

    forge = "github"
    secret_setting = "GITHUB_WEBHOOK_SECRET"
    event_headers = ("X-GitHub-Event",)
    delivery_headers = ("X-GitHub-Delivery",)
    refresh_events = frozenset({"push", "release", "repository"})
    ping_events = frozenset({"ping"})

    def verify(self, request, body, secret):
        signature = request.headers.get("X-Hub-Signature-256", "")
        prefix, _, digest = signature.partition("=")
        if signature and prefix != "sha256":
            raise SignatureError("X-Hub-Signature-256 must be sha256=<hex digest>")
        _check_hmac(digest, body, secret, "X-Hub-Signature-256")

    def repo_urls(self, payload):
        urls = [_get(payload, "repository", "html_url")]
        old_name = _get(payload, "changes", "repository", "name", "from")
        owner = _get(payload, "repository", "owner", "login")
        if payload.get("action") == "renamed" and old_name and owner:
            urls.append(f"https://github.com/{owner}/{old_name}")
        return _normalized(*urls)


@webhook_schema("X-Gitlab-Event", "X-Gitlab-Event-UUID", "X-Gitlab-Token")
class GitLabWebhookView(WebhookView):
    """A GitLab webhook (push, tag push and release events).

    `X-Gitlab-Token` must be GITLAB_WEBHOOK_SECRET.
    """

    forge = "gitlab"
    secret_setting = "GITLAB_WEBHOOK_SECRET"
    event_headers = ("X-Gitlab-Event",)
    delivery_headers = ("X-Gitlab-Event-UUID",)
    refresh_events = frozenset({"Push Hook", "Tag Push Hook", "Release Hook"})

    def verify(self, request, body, secret):
        token = request.headers.get("X-Gitlab-Token", "")
        if not token:
            raise SignatureError("X-Gitlab-Token is missing: this endpoint needs the secret token")
        if not hmac.compare_digest(token.encode(), secret):
            raise SignatureError("X-Gitlab-Token is not the webhook's secret token")

    def repo_urls(self, payload):
        return _normalized(
            _get(payload, "project", "web_url"), _get(payload, "repository", "homepage")
        )


@webhook_schema("X-Forgejo-Event", "X-Forgejo-Delivery", "X-Forgejo-Signature")
class ForgejoWebhookView(WebhookView):
    """A Forgejo / Gitea / Codeberg webhook (`push`, `release`, `repository`).

    Signed with FORGEJO_WEBHOOK_SECRET in `X-Forgejo-Signature` (or `X-Gitea-Signature`).
    """

    forge = "forgejo"
    secret_setting = "FORGEJO_WEBHOOK_SECRET"
    event_headers = ("X-Forgejo-Event", "X-Gitea-Event")
    delivery_headers = ("X-Forgejo-Delivery", "X-Gitea-Delivery")
    refresh_events = frozenset({"push", "release", "repository"})

    def verify(self, request, body, secret):
        signature = self._first_header(request, ("X-Forgejo-Signature", "X-Gitea-Signature"))
        _check_hmac(signature, body, secret, "X-Forgejo-Signature")

    def repo_urls(self, payload):
        return _normalized(_get(payload, "repository", "html_url"))
