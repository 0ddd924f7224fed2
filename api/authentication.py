"""Token authentication whose failures (a wrong or malformed token) count against the client
address's anonymous budget: once it is spent, further tokens from that address are refused with
429 before any database lookup, until the window ends."""

import contextlib
import hashlib
import re
import time

from django.core.cache import caches
from redis.exceptions import RedisError
from rest_framework.authentication import TokenAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed, Throttled

from api.throttling import CACHE_ALIAS, AnonThrottle

# DRF's keys are 40 hex digits; anything else cannot match one, so it is refused unlooked-up
# (PostgreSQL would also refuse a NUL byte in the query with a 500).
_TOKEN_KEY = re.compile(r"[0-9a-f]{40}")


class _FailedAuthenticationThrottle(AnonThrottle):
    # Keyed by address alone: `request.user` is what is being worked out.
    def get_key(self, request, view):
        return self.get_ident(request)


class ThrottledTokenAuthentication(TokenAuthentication):
    def authenticate(self, request):
        scheme = get_authorization_header(request).split()[:1]
        if scheme != [self.keyword.lower().encode()] and scheme != [self.keyword.encode()]:
            return None  # no token offered: nothing to look up, nothing to count
        throttle = _FailedAuthenticationThrottle()
        address = str(throttle.get_ident(request)).encode("utf-8", "replace")
        blocked_key = f"failed-auth-blocked:{hashlib.blake2b(address, digest_size=16).hexdigest()}"
        blocked_until = _cache_get(blocked_key)
        if blocked_until is not None:
            raise Throttled(wait=max(1, int(blocked_until - time.time()) + 1))
        try:
            return super().authenticate(request)
        except AuthenticationFailed:
            if not throttle.allow_request(request, None):
                wait = throttle.wait()
                _cache_set(blocked_key, time.time() + wait, wait)
                raise Throttled(wait=wait) from None
            raise

    def authenticate_credentials(self, key):
        if not _TOKEN_KEY.fullmatch(key):
            raise AuthenticationFailed("Invalid token.")
        return super().authenticate_credentials(key)


def _cache_get(key):
    try:
        return caches[CACHE_ALIAS].get(key)
    except (OSError, RedisError):
        return None  # as the throttles do: a lost cache server serves unthrottled


def _cache_set(key, value, timeout):
    with contextlib.suppress(OSError, RedisError):
        caches[CACHE_ALIAS].set(key, value, timeout)
