"""Token authentication whose failures (a wrong or malformed token) spend the client address's
anonymous budget: once it is spent, a bad token is answered 429 instead of 401. A valid token
is always looked up and served on its user's budget, whatever anonymous requests or bad tokens
from the same address did. A token found wrong is remembered for a while by this process, so
a flood of it costs no database lookup."""

import functools
import hashlib
import re
import threading
import time
from collections import OrderedDict
from typing import Any

from rest_framework.authentication import TokenAuthentication, get_authorization_header
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed, Throttled

from api.throttling import AnonThrottle, count_all

# DRF's keys are 40 hex digits; anything else cannot match one, so it is refused unlooked-up
# (PostgreSQL would also refuse a NUL byte in the query with a 500).
_TOKEN_KEY = re.compile(r"[0-9a-f]{40}")
WRONG_TOKENS_KEPT = 10_000
WRONG_TOKEN_SECONDS = 600.0


class _WrongTokens:
    """Digests of keys no token has, found by this process in the last `WRONG_TOKEN_SECONDS`.
    Keys are random and never reused, so a key found wrong stays wrong."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.found: OrderedDict[bytes, float] = OrderedDict()

    @staticmethod
    def _digest(key: str) -> bytes:
        return hashlib.blake2b(key.encode(), digest_size=16).digest()

    def __contains__(self, key: str) -> bool:
        found_at = self.found.get(self._digest(key))
        return found_at is not None and time.monotonic() - found_at < WRONG_TOKEN_SECONDS

    def add(self, key: str) -> None:
        with self.lock:
            self.found[self._digest(key)] = time.monotonic()
            self.found.move_to_end(self._digest(key))
            while len(self.found) > WRONG_TOKENS_KEPT:
                self.found.popitem(last=False)

    def reset(self) -> None:
        with self.lock:
            self.found.clear()


@functools.cache
def wrong_tokens() -> _WrongTokens:
    """This process's wrong keys: made on first use, made again by `forget_process_state`."""
    return _WrongTokens()


def forget_process_state(*, setting: str, **kwargs: Any) -> None:
    """`setting_changed` receiver (connected in `ApiConfig.ready`): keys found wrong hold for
    the API's authentication (REST_FRAMEWORK) and its database (DATABASES) only."""
    if setting in {"REST_FRAMEWORK", "DATABASES"}:
        wrong_tokens.cache_clear()


class _FailedAuthenticationThrottle(AnonThrottle):
    # Keyed by address alone: `request.user` is what is being worked out.
    def get_key(self, request: Any, view: Any) -> str:
        return self.get_ident(request)


class ThrottledTokenAuthentication(TokenAuthentication):
    def authenticate(self, request: Any) -> Any:
        scheme = get_authorization_header(request).split()[:1]
        if scheme != [self.keyword.lower().encode()] and scheme != [self.keyword.encode()]:
            return None  # no token offered: nothing to look up, nothing to count
        try:
            return super().authenticate(request)
        except AuthenticationFailed:
            throttle = _FailedAuthenticationThrottle()
            if not count_all(request, None, [throttle], cost=1)[0]:
                raise Throttled(wait=throttle.wait()) from None
            raise

    def authenticate_credentials(self, key: str) -> Any:
        if not _TOKEN_KEY.fullmatch(key) or key in wrong_tokens():
            raise AuthenticationFailed("Invalid token.")
        try:
            token = Token.objects.select_related("user").get(key=key)
        except Token.DoesNotExist:
            wrong_tokens().add(key)
            raise AuthenticationFailed("Invalid token.") from None
        if not token.user.is_active:
            raise AuthenticationFailed("User inactive or deleted.")
        return (token.user, token)
