"""Signed webhooks from GitHub, GitLab and Forgejo/Codeberg: a push queues a package refresh.

`POST /api/v4/webhooks/{github,gitlab,forgejo}/`. Each forge proves a delivery with the shared
secret configured for it (GITHUB_WEBHOOK_SECRET, GITLAB_WEBHOOK_SECRET, FORGEJO_WEBHOOK_SECRET;
an endpoint without one is a 404): GitHub and Forgejo sign the raw body with HMAC-SHA256
(`X-Hub-Signature-256: sha256=<hex>`; `X-Forgejo-Signature` or `X-Gitea-Signature: <hex>`),
GitLab sends the secret itself (`X-Gitlab-Token`); every comparison is constant-time. The
views verify and translate (event, delivery id, repository URLs); what a push does is
`packages.webhooks.refresh_pushed_repositories`: the package is found by its repository's
identity (`repo_key`) and a refresh is queued, at most once per FETCH_WEBHOOK_MIN_INTERVAL seconds
per package; a delivery id received before queues nothing, and a delivery answered 503 (the queue
or the database failed; the forge will retry) is forgotten, so its redelivery is queued. Bodies
are capped like every API body (api.middleware). A signed delivery is not throttled (the
signature proves the forge, and the interval bounds the refreshes it can cause), so other
clients sharing its address never get it a 429; an unsigned or badly signed one spends its
address's anonymous budget.
"""

import hashlib
import hmac
import json
from typing import Any
from urllib.parse import parse_qs

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.models import WebhookDelivery
from api.throttling import check_request
from packages.identifiers import IdentifierError, normalize_repo_url
from packages.tasks import RefreshQueueError
from packages.webhooks import PushOutcome, refresh_pushed_repositories


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


def _header(name: str) -> OpenApiParameter:
    return OpenApiParameter(name, OpenApiTypes.STR, OpenApiParameter.HEADER, required=False)


class WebhookView(APIView):
    """Base: check the secret, read the event, find the package, queue its refresh."""

    forge = ""
    secret_setting = ""
    event_headers: tuple[str, ...] = ()
    delivery_headers: tuple[str, ...] = ()
    refresh_events: frozenset[str] = frozenset()
    ping_events: frozenset[str] = frozenset()

    authentication_classes: list[type] = []  # the signature authenticates; no CSRF cookie
    permission_classes = [AllowAny]
    throttle_classes: list[type] = []  # counted in post(): unsigned deliveries only

    def post(self, request: Request) -> HttpResponse:
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
            return self._answer(PushOutcome(f"event {event!r} does not refresh packages: ignored"))
        try:
            outcome = refresh_pushed_repositories(
                forge=self.forge,
                delivery_id=self._first_header(request, self.delivery_headers)[:100],
                repo_urls=self.repo_urls(payload),
                deliveries=WebhookDelivery.objects,
            )
        except RefreshQueueError as exc:
            raise QueueUnavailable() from exc
        return self._answer(outcome)

    def verify(self, request: Request, body: bytes, secret: bytes) -> None:
        raise NotImplementedError

    def repo_urls(self, payload: dict[str, Any]) -> list[str]:
        raise NotImplementedError

    @staticmethod
    def _first_header(request: Request, names: tuple[str, ...]) -> str:
        return next((request.headers[n] for n in names if request.headers.get(n)), "")

    @staticmethod
    def _answer(outcome: PushOutcome) -> Response:
        body = {
            "detail": outcome.detail,
            "queued": list(outcome.queued),
            "already_queued": list(outcome.already_queued),
            "too_soon": list(outcome.too_soon),
        }
        return Response(body, status=status.HTTP_202_ACCEPTED)


def _check_hmac(signature: str, body: bytes, secret: bytes, header: str) -> None:
    if not signature:
        raise SignatureError(f"{header} is missing: this endpoint accepts signed deliveries only")
    expected = hmac.new(secret, body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(signature.strip().lower().encode(), expected.encode()):
        raise SignatureError(f"{header} does not match the body signed with the webhook secret")


def _payload(request: Request, body: bytes) -> dict[str, Any]:
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


def _normalized(*urls: object) -> list[str]:
    found: list[str] = []
    for url in urls:
        if isinstance(url, str) and url:
            try:
                found.append(normalize_repo_url(url))
            except IdentifierError:
                continue
    return sorted(set(found))


def _get(document: object, *path: str) -> Any:
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


def webhook_schema(*headers: str, pong: bool = False) -> Any:
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

    def verify(self, request: Request, body: bytes, secret: bytes) -> None:
        signature = request.headers.get("X-Hub-Signature-256", "")
        prefix, _, digest = signature.partition("=")
        if signature and prefix != "sha256":
            raise SignatureError("X-Hub-Signature-256 must be sha256=<hex digest>")
        _check_hmac(digest, body, secret, "X-Hub-Signature-256")

    def repo_urls(self, payload: dict[str, Any]) -> list[str]:
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

    def verify(self, request: Request, body: bytes, secret: bytes) -> None:
        token = request.headers.get("X-Gitlab-Token", "")
        if not token:
            raise SignatureError("X-Gitlab-Token is missing: this endpoint needs the secret token")
        if not hmac.compare_digest(token.encode(), secret):
            raise SignatureError("X-Gitlab-Token is not the webhook's secret token")

    def repo_urls(self, payload: dict[str, Any]) -> list[str]:
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

    def verify(self, request: Request, body: bytes, secret: bytes) -> None:
        signature = self._first_header(request, ("X-Forgejo-Signature", "X-Gitea-Signature"))
        _check_hmac(signature, body, secret, "X-Forgejo-Signature")

    def repo_urls(self, payload: dict[str, Any]) -> list[str]:
        return _normalized(_get(payload, "repository", "html_url"))
