"""Signing in: the token endpoint, the browsable API's login form and the admin's login, all
password-throttled per client address and per username (one budget, the `token` rate).

The username budget belongs to the account a login would reach. Django's login forms strip the
username and NFKC-normalize it (`UsernameField`), then ModelBackend looks it up exactly; the token
endpoint reads it the same way (`login_username`). The budget's key is that name, case-folded, so
`' staffer'`, full-width `ｓｔａｆｆｅｒ` or `STAFFER` spend the budget of `staffer` and cannot
reset it during a lockout.
"""

import unicodedata
from typing import Any

from django.contrib import admin
from django.contrib.auth import authenticate
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.editing import ERRORS
from api.throttling import AnonThrottle, TokenThrottle, UsernameThrottle


def login_username(raw: str) -> str:
    """The username authentication looks up for what a person typed, as Django's login form
    reads it: surrounding whitespace stripped, then NFKC (full-width letters become ASCII)."""
    return unicodedata.normalize("NFKC", raw.strip())


def username_budget_key(raw: str) -> str:
    """The per-username budget's name for what a person typed: every spelling of one account
    (spaces, width, case) shares it; "" when no username was given."""
    return unicodedata.normalize("NFKC", login_username(raw).strip().casefold())


class AccountThrottle(UsernameThrottle):
    """`UsernameThrottle` counted per account (`username_budget_key`), not per spelling."""

    def get_key(self, request: Any, view: Any) -> str | None:
        data = getattr(request, "data", None)
        if data is None:  # a plain Django view: the login form's POST
            data = request.POST
        username = data.get("username") if hasattr(data, "get") else None
        key = username_budget_key(username) if isinstance(username, str) else ""
        return f"username:{key}" if key else None


PASSWORD_THROTTLES = (TokenThrottle, AccountThrottle)


class AuthTokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, style={"input_type": "password"})
    rotate = serializers.BooleanField(
        required=False, default=False, help_text="Replace the current token with a new one."
    )


class AuthTokenSerializer(serializers.Serializer):
    token = serializers.CharField(
        source="key", help_text="Send it as `Authorization: Token <token>`."
    )
    created = serializers.DateTimeField()


def refuse_password_attempt(
    request: HttpRequest | Request, view: APIView | LoginView | None = None
) -> HttpResponse | None:
    """A 429 page with `Retry-After` when this login form post is over a password budget,
    else None. Checked before the password, so the right one during a lockout fails too."""
    for throttle_class in PASSWORD_THROTTLES:
        throttle = throttle_class()
        if not throttle.allow_request(request, view):
            wait = throttle.wait()
            return HttpResponse(
                f"Too many login attempts; try again in {wait} seconds.",
                status=status.HTTP_429_TOO_MANY_REQUESTS,
                content_type="text/plain",
                headers={"Retry-After": str(wait)},
            )
    return None


class ThrottledLoginView(LoginView):
    """The browsable API's login form; password attempts share the token endpoint's budget."""

    template_name = "rest_framework/login.html"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        refusal = refuse_password_attempt(request, self)
        if refusal is not None:
            return refusal
        return super().post(request, *args, **kwargs)


def throttled_admin_login(
    request: HttpRequest, extra_context: dict[str, Any] | None = None
) -> HttpResponse:
    """The admin's login page, on the same password budget as the API's logins."""
    if request.method == "POST":
        refusal = refuse_password_attempt(request)
        if refusal is not None:
            return refusal
    return admin.site.login(request, extra_context)


class AuthTokenView(APIView):
    """Your API token, for `Authorization: Token <token>`.

    Send your username and password; `"rotate": true` replaces the token (the old one stops
    working at once). Throttled per client address and per username.
    """

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [AnonThrottle, *PASSWORD_THROTTLES]
    serializer_class = AuthTokenRequestSerializer

    @extend_schema(
        request=AuthTokenRequestSerializer,
        responses={
            200: AuthTokenSerializer,
            400: OpenApiResponse(description="Wrong username or password."),
            429: ERRORS[429],
        },
    )
    def post(self, request: Request) -> Response:
        serializer = AuthTokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(
            request=request._request,
            username=login_username(serializer.validated_data["username"]),
            password=serializer.validated_data["password"],
        )
        if user is None or not user.is_active:
            raise exceptions.ValidationError(
                {"non_field_errors": ["Unable to log in with the username and password given."]}
            )
        if serializer.validated_data["rotate"]:
            Token.objects.filter(user=user).delete()
        token, _ = Token.objects.get_or_create(user=user)
        return Response(AuthTokenSerializer(token).data)
