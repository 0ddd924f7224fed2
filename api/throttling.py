"""Request throttles counted in the "throttle" cache: Redis shared by every worker when
configured, otherwise each worker's memory (settings.py), so a read never writes to the database.

A window opens at a client's first request and lasts the rate's period; the counter is an
atomic `incr` (Redis INCR) on a key named after the window, so concurrent workers never lose a
count. `Retry-After` is the time left in the window. Rates come from
`REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`, read at request time. While Redis is unreachable
the counts go to this process's memory (`djangopackages.redis_cache.outage` says when).

The client is the socket peer unless `TRUSTED_PROXY_COUNT` (DRF's `NUM_PROXIES`) says how many
proxies append to `X-Forwarded-For`; then the address that many hops from the end is used.
"""

import functools
import hashlib
import math
import os
import re
import threading
import time

from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import ImproperlyConfigured
from redis.exceptions import NoScriptError
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from djangopackages.redis_cache import CACHE_ERRORS, CacheUnavailableError, outage

CACHE_ALIAS = "throttle"
_PLAIN_KEY = re.compile(r"^[0-9A-Za-z.:_-]{1,64}$")
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([a-z]+)\s*$")
_UNITS = {
    "s": 1,
    "sec": 1,
    "second": 1,
    "m": 60,
    "min": 60,
    "minute": 60,
    "h": 3600,
    "hour": 3600,
    "d": 86400,
    "day": 86400,
}


@functools.lru_cache(maxsize=32)
def parse_rate(rate):
    """`"10/5min"` -> (10, 300); `"60/min"` -> (60, 60); None or "" -> (None, None)."""
    if not rate:
        return None, None
    match = _RATE.match(rate.lower())
    unit = match and (_UNITS.get(match[3]) or _UNITS.get(match[3].rstrip("s")))
    if not match or not unit:
        raise ImproperlyConfigured(
            f"Throttle rate {rate!r} is not N/period (period: s, min, h or d, e.g. 10/5min)."
        )
    return int(match[1]), int(match[2] or 1) * unit


class WindowThrottle(BaseThrottle):
    """At most N requests per window for one key; subclasses say which requests and whose."""

    scope = ""
    reset_at = 0.0  # when the window this request was counted in ends (set by count_all)

    def get_key(self, request, view):
        """The bucket this request counts against, or None when the throttle does not apply."""
        raise NotImplementedError

    def get_ident(self, request):
        """DRF's client address (socket peer, or `NUM_PROXIES` hops from the end of
        `X-Forwarded-For`), read from META: `request.headers` builds a dict of every header."""
        xff = request.META.get("HTTP_X_FORWARDED_FOR")
        remote_addr = request.META.get("REMOTE_ADDR")
        num_proxies = api_settings.NUM_PROXIES
        if num_proxies is not None:
            if num_proxies == 0 or xff is None:
                return remote_addr
            addrs = xff.split(",")
            return addrs[-min(num_proxies, len(addrs))].strip()
        return "".join(xff.split()) if xff else remote_addr

    def bucket(self, request, view):
        """(cache key, limit, period) this request counts against, or None when unthrottled."""
        limit, period = parse_rate(api_settings.DEFAULT_THROTTLE_RATES.get(self.scope))
        if limit is None:
            return None
        key = self.get_key(request, view)
        if key is None:
            return None
        key = str(key)
        if not _PLAIN_KEY.match(key):
            # A forwarded address is client-supplied text: keep cache keys short and clean.
            key = hashlib.blake2b(key.encode("utf-8", "replace"), digest_size=16).hexdigest()
        return f"{self.scope}:{key}", limit, period

    def allow_request(self, request, view):
        return count_all(request, view, [self])[0]

    def wait(self):
        return max(1, math.ceil(self.reset_at - time.time()))


def count_all(request, view, throttles):
    """Count `request` against every throttle (as DRF does: all of them, even after a refusal);
    whether each allows it. The windows kept in Redis are counted in one round trip."""
    allowed = [True] * len(throttles)
    buckets = []
    for n, throttle in enumerate(throttles):
        if not isinstance(throttle, WindowThrottle):
            allowed[n] = throttle.allow_request(request, view)
        elif (bucket := throttle.bucket(request, view)) is not None:
            buckets.append((n, throttle, *bucket))
    if buckets:
        windows = [(key, period) for _n, _throttle, key, _limit, period in buckets]
        try:
            counts = _hit_all(caches[CACHE_ALIAS], windows)
        except CACHE_ERRORS as exc:
            # A lost cache server must not take the site down: count in this process meanwhile.
            if not isinstance(exc, CacheUnavailableError):
                outage.failed(exc)
            counts = _hit_all(_local_counters, windows)
        for (n, throttle, _key, limit, _period), (count, reset_at) in zip(
            buckets, counts, strict=True
        ):
            throttle.reset_at = reset_at
            allowed[n] = count <= limit
    return allowed


def _hit_all(cache, windows):
    """`_hit` for each (key, period), in one round trip to Redis."""
    if isinstance(cache, RedisCache):
        return _hit_redis(cache, windows)
    return [_hit(cache, key, period) for key, period in windows]


def _hit(cache, key, period):
    """Count one request against `key`; return (requests in this window, window end time)."""
    if isinstance(cache, RedisCache):
        return _hit_redis(cache, [(key, period)])[0]
    now = time.time()
    start_key = f"{key}:start"
    start = cache.get(start_key)
    if start is None:
        cache.add(start_key, now, period)
        start = cache.get(start_key) or now
    count_key = f"{key}:{int(start * 1000)}"
    try:
        count = cache.incr(count_key)
    except ValueError:
        # The first request of the window; if a concurrent one won the add, incr counts ours.
        count = 1 if cache.add(count_key, 1, period + 1) else cache.incr(count_key)
    return count, start + period


# The same window logic as above, for several windows in one round trip: open each window if
# none is open, then count this request in it. KEYS: window start and counter prefix of each
# window in turn; ARGV: now (ms), then each window's period (s). Returns start, count, ...
_REDIS_HIT = """
local result = {}
for n = 1, #KEYS / 2 do
  local start = redis.call('GET', KEYS[2 * n - 1])
  if not start then
    redis.call('SET', KEYS[2 * n - 1], ARGV[1], 'EX', ARGV[n + 1], 'NX')
    start = redis.call('GET', KEYS[2 * n - 1])
  end
  local counter = KEYS[2 * n] .. ':' .. start
  local count = redis.call('INCR', counter)
  if count == 1 then redis.call('EXPIRE', counter, tonumber(ARGV[n + 1]) + 1) end
  result[2 * n - 1] = start
  result[2 * n] = count
end
return result
"""


_REDIS_HIT_SHA = hashlib.sha1(_REDIS_HIT.encode()).hexdigest()  # noqa: S324  (Redis's name)


class _ScriptConnection:
    """The window script on a Redis connection of this thread's own: one send and one read
    per request, without the client's pool checks, retries and bookkeeping (which cost as
    much as the round trip itself). A failed call drops the connection; the next reconnects."""

    def __init__(self):
        self.local = threading.local()

    def call(self, cache, keys, args):
        if outage.is_down():
            raise CacheUnavailableError("Redis is down; retrying shortly")
        pool = cache._cache._get_connection_pool(True)
        opened = getattr(self.local, "opened", None)
        if opened is None or opened[0] is not pool or opened[1] != os.getpid():
            opened = self.local.opened = (pool, os.getpid(), pool.make_connection())
        connection = opened[2]
        command = ("EVALSHA", _REDIS_HIT_SHA, len(keys), *keys, *args)
        try:
            connection.send_command(*command)
            try:
                return connection.read_response()
            except NoScriptError:
                connection.send_command("SCRIPT", "LOAD", _REDIS_HIT)
                connection.read_response()
                connection.send_command(*command)
                return connection.read_response()
        except BaseException:
            connection.disconnect()
            raise


_script_connection = _ScriptConnection()


def _hit_redis(cache, windows):
    # Key names of their own: the other path stores pickled values under `:start`. Our keys
    # are plain (see bucket()), so the per-character validation is skipped.
    keys = []
    for key, _period in windows:
        keys += [cache.make_key(f"{key}:window"), cache.make_key(f"{key}:n")]
    periods = [period for _key, period in windows]
    reply = _script_connection.call(cache, keys, [int(time.time() * 1000), *periods])
    return [
        (int(reply[2 * n + 1]), int(reply[2 * n]) / 1000 + period)
        for n, period in enumerate(periods)
    ]


# Where counts go while the throttle cache is unreachable: this process only.
_local_counters = LocMemCache("throttle-outage-counters", {"OPTIONS": {"MAX_ENTRIES": 100_000}})


class AnonThrottle(WindowThrottle):
    """Anonymous requests, per client address."""

    scope = "anon"

    def get_key(self, request, view):
        if request.user and request.user.is_authenticated:
            return None
        return self.get_ident(request)


class UserThrottle(WindowThrottle):
    """Authenticated requests, per user."""

    scope = "user"

    def get_key(self, request, view):
        if request.user and request.user.is_authenticated:
            return request.user.pk
        return None


class CreateThrottle(WindowThrottle):
    """Creating packages and grids, per user (on top of the user throttle)."""

    scope = "create"

    def get_key(self, request, view):
        if request.method != "POST" or not (request.user and request.user.is_authenticated):
            return None
        return request.user.pk


class UsageThrottle(WindowThrottle):
    """Marking and unmarking packages as used, per user (on top of the user throttle)."""

    scope = "usage"

    def get_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None
        return request.user.pk


class TokenThrottle(WindowThrottle):
    """Password checks (the token endpoint, the browsable API's login form), per client
    address, whoever the username."""

    scope = "token"

    def get_key(self, request, view):
        return self.get_ident(request)


class UsernameThrottle(TokenThrottle):
    """Password checks per username, whatever the address: many addresses cannot share out
    guesses at one account. Same rate and scope as `TokenThrottle`, a bucket of its own."""

    def get_key(self, request, view):
        data = getattr(request, "data", None)
        if data is None:  # a plain Django view: the login form's POST
            data = request.POST
        username = data.get("username") if hasattr(data, "get") else None
        if not isinstance(username, str) or not username:
            return None
        return f"username:{username.casefold()}"
