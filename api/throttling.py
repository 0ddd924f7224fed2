"""Who is throttled, against which budget, and what a refused client is told.

Every request but /healthz spends tokens from a bucket (api.rate_limits): an anonymous one
from its client address's (api.client_address), a signed-in one from its user's; some views
add scopes of their own (creating, marking used, password checks). Rates come from
`REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`, read at request time (`"20/s burst=1000"`).

- DRF views count their `throttle_classes` (the classes here are DRF throttles; `count_all`
  charges several at once);
- every other view (feeds, badges, site paths, the admin, login forms), and any URL no view
  matches, is counted by `ThrottleMiddleware` against the default scopes, unless the view is
  marked `@throttle_exempt` (the health check);
- a plain view of our own calls `check_request(request)`: the one entry point outside DRF.

Every response of a counted request carries `RateLimit-Policy`, `RateLimit` and
`X-RateLimit-*` (added by `ThrottleMiddleware`); a refusal is a 429 JSON
`{"detail": ...}` with `Retry-After`, the whole seconds until the next token.
"""

import hashlib
import re
from collections.abc import Callable, Sequence
from typing import Any, cast

from django.http import HttpRequest, HttpResponse, JsonResponse
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import APIException, Throttled
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from api import rate_limits
from api.client_address import client_address
from api.rate_limits import Charge, Outcome

# Where a request's bucket outcomes wait for ThrottleMiddleware: a WSGI environ key of our own
# (request.META is the environ, shared by a DRF Request and the Django request it wraps).
OUTCOMES_KEY = "djangopackages.rate_limits"
DEFAULT_SCOPES = ("anon", "user")
_PLAIN_KEY = re.compile(r"^[0-9A-Za-z.:_-]{1,64}$")


class BucketThrottle(BaseThrottle):
    """A DRF throttle over one token bucket per key; subclasses say which requests and whose."""

    scope = ""
    outcome: Outcome | None = None  # set by count_all

    def get_key(self, request: Any, view: Any) -> Any:
        """The client whose bucket this request spends, or None when the throttle does not
        apply."""
        raise NotImplementedError

    def get_ident(self, request: Any) -> str:
        return client_address(request)

    def charge(self, request: Any, view: Any, cost: float) -> Charge | None:
        """What this request costs this throttle's bucket, or None when unthrottled."""
        policy = rate_limits.parse_policy(api_settings.DEFAULT_THROTTLE_RATES.get(self.scope))
        if policy is None:
            return None
        key = self.get_key(request, view)
        if key is None:
            return None
        key = str(key)
        if not _PLAIN_KEY.match(key):
            # A forwarded address or a username is client-supplied text: short, clean keys.
            key = hashlib.blake2b(key.encode("utf-8", "replace"), digest_size=16).hexdigest()
        return Charge(self.scope, f"{self.scope}:{key}", policy, min(cost, policy.burst))

    def allow_request(self, request: Any, view: Any) -> bool:
        return count_all(request, view, [self])[0]

    def wait(self) -> float | None:
        if self.outcome is None or self.outcome.allowed:
            return None
        return rate_limits.retry_after([self.outcome])


def count_all(
    request: Any, view: Any, throttles: Sequence[BaseThrottle], cost: float | None = None
) -> list[bool]:
    """Charge `request` to every throttle's bucket at once, all or none; whether each allows
    it. `cost` defaults to the view's `throttle_cost` (1 without one). The outcomes are kept for the
    response's headers, and each throttle's `wait()` says its Retry-After."""
    if cost is None:
        cost = getattr(view, "throttle_cost", 1)
    allowed = [True] * len(throttles)
    bucketed = []
    for n, throttle in enumerate(throttles):
        if not isinstance(throttle, BucketThrottle):
            allowed[n] = throttle.allow_request(request, view)
        elif (charge := throttle.charge(request, view, cost)) is not None:
            bucketed.append((n, throttle, charge))
    outcomes = rate_limits.charge([charge for _n, _throttle, charge in bucketed])
    for (n, throttle, _charge), outcome in zip(bucketed, outcomes, strict=True):
        throttle.outcome = outcome
        allowed[n] = outcome.allowed
    if outcomes:
        kept = request.META.setdefault(OUTCOMES_KEY, {})
        kept.update((outcome.scope, outcome) for outcome in outcomes)
    return allowed


def check_request(
    request: HttpRequest | Request, scopes: Sequence[str] = DEFAULT_SCOPES, *, cost: float = 1
) -> HttpResponse | None:
    """Count `request` against `scopes` (default: its client address's anonymous budget, or
    its user's); the response to send instead of serving it (a 429, or a 401 for a bad token),
    or None to serve it. The rate-limit headers are added to whatever response is sent by
    `ThrottleMiddleware`.

    A plain Django request is identified as DRF views identify theirs: a token in
    `Authorization` (the token classes of DEFAULT_AUTHENTICATION_CLASSES), else the session's
    user, else the address. Scopes: anon, user, create, usage, token (the per-account
    password budget is api.auth's)."""
    if not isinstance(request, Request) and "HTTP_AUTHORIZATION" in request.META:
        # Only the token classes, called directly: the session's user is request.user already
        # (DRF's Request would reset it to anonymous when no token is offered).
        classes = cast(list[type[Any]], api_settings.DEFAULT_AUTHENTICATION_CLASSES)
        authenticators = [auth() for auth in classes if issubclass(auth, TokenAuthentication)]
        for authenticator in authenticators:
            try:
                found = authenticator.authenticate(request)  # type: ignore[arg-type]  # reads META only
            except APIException as exc:
                return _error_response(exc, authenticators)
            if found is not None:
                request.user = found[0]
                break
    throttles = [SCOPES[scope]() for scope in scopes]
    if all(count_all(request, None, throttles, cost)):
        return None
    outcomes = [t.outcome for t in throttles if isinstance(t, BucketThrottle) and t.outcome]
    return _error_response(Throttled(wait=rate_limits.retry_after(outcomes)), [])


def _error_response(exc: APIException, authenticators: Sequence[Any]) -> HttpResponse:
    """The JSON error DRF's handler would give for `exc`."""
    response = JsonResponse({"detail": str(exc.detail)}, status=exc.status_code)
    wait = getattr(exc, "wait", None)
    if wait:
        response["Retry-After"] = str(int(wait))
    challenge = authenticators[0].authenticate_header(None) if authenticators else None
    if exc.status_code == 401 and challenge:
        response["WWW-Authenticate"] = challenge
    return response


def throttle_exempt(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Mark a view `ThrottleMiddleware` leaves uncounted (the health check)."""
    view.throttle_exempt = True  # type: ignore[attr-defined]
    return view


class ThrottleMiddleware:
    """Counts every request no DRF view counts itself (feeds, badges, pages, the admin, URLs
    that match no view), and adds the rate-limit header fields to every response of a counted
    request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 404 and request.resolver_match is None:
            # No view was found, so nothing counted it: a flood of made-up URLs is slowed too.
            response = check_request(request) or response
        outcomes = request.META.get(OUTCOMES_KEY)
        if outcomes:
            for name, value in rate_limits.headers(list(outcomes.values())).items():
                if name != "Retry-After" or response.status_code == 429:
                    response[name] = value
        return response

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        # DRF's as_view() names its class `cls` (importing APIView here would be circular:
        # its class body loads the authentication classes, which use these throttles).
        is_drf_view = hasattr(getattr(view_func, "cls", None), "check_throttles")
        if is_drf_view or getattr(view_func, "throttle_exempt", False):
            return None  # DRF views count their own throttle_classes
        return check_request(request)


def _user(request: Any) -> Any:
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


class AnonThrottle(BucketThrottle):
    """Anonymous requests, per client address."""

    scope = "anon"

    def get_key(self, request: Any, view: Any) -> str | None:
        return None if _user(request) else self.get_ident(request)


class UserThrottle(BucketThrottle):
    """Authenticated requests, per user."""

    scope = "user"

    def get_key(self, request: Any, view: Any) -> Any:
        user = _user(request)
        return user.pk if user else None


class CreateThrottle(BucketThrottle):
    """Creating packages and grids, per user (on top of the user throttle)."""

    scope = "create"

    def get_key(self, request: Any, view: Any) -> Any:
        user = _user(request)
        return user.pk if user and request.method == "POST" else None


class UsageThrottle(BucketThrottle):
    """Marking and unmarking packages as used, per user (on top of the user throttle)."""

    scope = "usage"

    def get_key(self, request: Any, view: Any) -> Any:
        user = _user(request)
        return user.pk if user else None


class TokenThrottle(BucketThrottle):
    """Password checks (the token endpoint, the login forms), per client address, whoever the
    username."""

    scope = "token"

    def get_key(self, request: Any, view: Any) -> str | None:
        return self.get_ident(request)


class UsernameThrottle(TokenThrottle):
    """Password checks per username, whatever the address: many addresses cannot share out
    guesses at one account. Same rate and scope as `TokenThrottle`, a bucket of its own."""

    def get_key(self, request: Any, view: Any) -> str | None:
        data = getattr(request, "data", None)
        if data is None:  # a plain Django view: the login form's POST
            data = request.POST
        username = data.get("username") if hasattr(data, "get") else None
        if not isinstance(username, str) or not username:
            return None
        return f"username:{username.casefold()}"


SCOPES: dict[str, type[BucketThrottle]] = {
    "anon": AnonThrottle,
    "user": UserThrottle,
    "create": CreateThrottle,
    "usage": UsageThrottle,
    "token": TokenThrottle,
}
