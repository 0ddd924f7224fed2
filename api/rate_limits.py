"""Token buckets: the rate policies (`"20/s burst=1000"`), the bucket arithmetic, and where the
buckets live (Redis, shared by every worker; or this process's memory).

A bucket holds up to `burst` tokens and gains `rate` tokens a second; a request takes `cost`
tokens (1 for most) or is refused, spending nothing. It is kept as one number per bucket, the
time at which it will be full again (GCRA, the generic cell rate algorithm), so charging is a
read, a comparison and a write. Every bucket of a request is charged together or not at all.

With Redis (the "throttle" cache is a Redis cache) a Lua script registered through redis-py's
`register_script` charges every bucket of a request in one round trip, atomically, on Redis's
clock. Without Redis, or while it is unreachable (`common.redis_cache.outage()`), the
buckets live in this process's memory: N gunicorn workers then allow up to N times the rate.
"""

import functools
import math
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import redis
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import ImproperlyConfigured
from redis.backoff import NoBackoff
from redis.retry import Retry

from common.redis_cache import CACHE_ERRORS, outage

CACHE_ALIAS = "throttle"
MEMORY_BUCKETS = 100_000  # buckets one process keeps at most; the least recently used go first
_EPSILON = 1e-6  # seconds: what floating point may lose in a comparison
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([a-z]+)\s*(?:[,;\s]\s*burst\s*=\s*(\d+))?\s*$")
_UNITS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60}
_UNITS |= {"h": 3600, "hour": 3600, "d": 86400, "day": 86400}


@dataclass(frozen=True)
class Policy:
    """A bucket of `burst` tokens refilled at `per_second` tokens a second."""

    burst: int
    per_second: float

    @property
    def window(self) -> int:
        """Seconds an empty bucket takes to fill (IETF RateLimit-Policy's `w`)."""
        return max(1, math.ceil(self.burst / self.per_second))


@functools.lru_cache(maxsize=64)
def parse_policy(rate: str | None) -> Policy | None:
    """`"20/s burst=1000"` -> 1,000 tokens, 20 a second; `"10/5min"` -> 10 tokens, refilled over
    five minutes (the burst is N unless given); None or "" -> None (unthrottled)."""
    if not rate:
        return None
    match = _RATE.match(rate.lower())
    unit = match and (_UNITS.get(match[3]) or _UNITS.get(match[3].rstrip("s")))
    if not match or not unit or int(match[1]) == 0 or match[4] == "0":
        raise ImproperlyConfigured(
            f"Throttle rate {rate!r} is not N/period with an optional burst=B "
            "(period: s, min, h or d; e.g. 20/s burst=1000, or 10/5min)."
        )
    count = int(match[1])
    return Policy(int(match[4] or count), count / (int(match[2] or 1) * unit))


@dataclass(frozen=True)
class Charge:
    """`cost` tokens taken from the bucket `key` (a scope and a client), kept as `policy` says."""

    scope: str
    key: str
    policy: Policy
    cost: float = 1.0


@dataclass(frozen=True)
class Outcome:
    """One bucket after a request: whether it allowed it, and what it can give next."""

    scope: str
    policy: Policy
    allowed: bool
    remaining: int  # whole tokens left
    retry_after: float  # seconds until this request would be allowed (0 when it was)
    next_in: float  # seconds until one more token (0 when full)
    full_in: float  # seconds until full


def settle(
    charges: Sequence[Charge], full_at: Sequence[float], now: float, *, allowed: bool
) -> list[Outcome]:
    """The outcomes of `charges`, given each bucket's time of being full again after the
    request was counted (`allowed`) or refused."""
    outcomes = []
    for charge, at in zip(charges, full_at, strict=True):
        span = max(0.0, at - now)
        interval = 1 / charge.policy.per_second
        capacity = charge.policy.burst * interval
        remaining = max(0, math.floor((capacity - span) / interval + _EPSILON))
        outcomes.append(
            Outcome(
                scope=charge.scope,
                policy=charge.policy,
                allowed=allowed,
                remaining=remaining,
                retry_after=0.0 if allowed else max(0.0, span + charge.cost * interval - capacity),
                next_in=max(0.0, span - (capacity - (remaining + 1) * interval)) if span else 0.0,
                full_in=span,
            )
        )
    return outcomes


def _decide(
    charges: Sequence[Charge], stored: Sequence[float | None], now: float
) -> tuple[bool, list[float]]:
    """(allowed, each bucket's full-again time afterwards): a request fits when every bucket
    can give its cost within its burst; only then is each charged."""
    full_at = [max(at or now, now) for at in stored]
    costs = [charge.cost / charge.policy.per_second for charge in charges]
    fits = all(
        at + cost - now <= charge.policy.burst / charge.policy.per_second + _EPSILON
        for at, cost, charge in zip(full_at, costs, charges, strict=True)
    )
    if fits:
        full_at = [at + cost for at, cost in zip(full_at, costs, strict=True)]
    return fits, full_at


class MemoryBuckets:
    """Buckets in this process's memory: the store without Redis, and during its outages."""

    def __init__(self, capacity: int = MEMORY_BUCKETS) -> None:
        self.capacity = capacity
        self.lock = threading.Lock()
        self.full_at: OrderedDict[str, float] = OrderedDict()

    def charge(self, charges: Sequence[Charge]) -> list[Outcome]:
        with self.lock:
            now = time.time()
            fits, full_at = _decide(charges, [self.full_at.get(c.key) for c in charges], now)
            if fits:
                for charge, at in zip(charges, full_at, strict=True):
                    self.full_at[charge.key] = at
                    self.full_at.move_to_end(charge.key)
                while len(self.full_at) > self.capacity:
                    self.full_at.popitem(last=False)
        return settle(charges, full_at, now, allowed=fits)

    def reset(self) -> None:
        with self.lock:
            self.full_at.clear()


@functools.cache
def memory_buckets() -> MemoryBuckets:
    """This process's buckets: made on first use, made again once a setting they follow changes
    (`forget_process_state`)."""
    return MemoryBuckets()


# The same decision as `_decide`, in microseconds on Redis's clock (Redis 5 and later replicate
# a script's writes, not the script, so reading TIME is allowed). KEYS: one per bucket. ARGV:
# for each bucket its capacity (burst x interval) and the request's cost (cost x interval).
# Returns now, 1 if the request fits (0 if refused), then each bucket's full-again time after it.
_CHARGE_SCRIPT = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local full_at, fits = {}, true
for i, key in ipairs(KEYS) do
  local at = tonumber(redis.call('GET', key) or now)
  if at < now then at = now end
  full_at[i] = at
  if at + tonumber(ARGV[2 * i]) - now > tonumber(ARGV[2 * i - 1]) + 1 then fits = false end
end
if fits then
  for i, key in ipairs(KEYS) do
    full_at[i] = full_at[i] + tonumber(ARGV[2 * i])
    local ttl = math.ceil((full_at[i] - now) / 1000) + 1
    redis.call('SET', key, string.format('%.0f', full_at[i]), 'PX', ttl)
  end
end
local reply = {now, fits and 1 or 0}
for i = 1, #KEYS do reply[i + 2] = full_at[i] end
return reply
"""


@functools.cache
def _script_clients() -> threading.local:
    """Each thread's charging scripts, by Redis URL, timeouts and process (made on first use)."""
    return threading.local()


def forget_process_state(*, setting: str, **kwargs: Any) -> None:
    """`setting_changed` receiver (connected in `ApiConfig.ready`): the buckets and the script
    clients follow the throttle cache and the throttle rates, so they are made again when
    CACHES or REST_FRAMEWORK changes."""
    if setting in {"CACHES", "REST_FRAMEWORK"}:
        memory_buckets.cache_clear()
        _script_clients.cache_clear()


def _redis_script() -> Any:
    """The charging script, registered on a Redis client of this thread and process: one
    connection of its own (no pool to check out from per request, no lock to share), retried
    once at once (a connection Redis closed), else the outage handling takes over."""
    config = settings.CACHES[CACHE_ALIAS]
    location = config["LOCATION"]
    url = (location.split(",") if isinstance(location, str) else location)[0].strip()
    options = config.get("OPTIONS", {})
    timeouts = (options.get("socket_connect_timeout", 1), options.get("socket_timeout", 2))
    key = (url, timeouts, os.getpid())
    clients = _script_clients()
    scripts = getattr(clients, "scripts", None)
    if scripts is None:
        scripts = clients.scripts = {}
    if key not in scripts:
        client = redis.Redis.from_url(
            url,
            socket_connect_timeout=timeouts[0],
            socket_timeout=timeouts[1],
            retry=Retry(NoBackoff(), 1),
            single_connection_client=True,
        )
        scripts[key] = client.register_script(_CHARGE_SCRIPT)
    return scripts[key]


def _charge_in_redis(cache: RedisCache, charges: Sequence[Charge]) -> list[Outcome]:
    keys = [cache.make_key(f"bucket:{charge.key}") for charge in charges]
    args: list[float] = []
    for charge in charges:
        interval = 1_000_000 / charge.policy.per_second
        args += [charge.policy.burst * interval, charge.cost * interval]
    now, fits, *full_at = _redis_script()(keys=keys, args=args)
    seconds = [at / 1_000_000 for at in full_at]
    outcome = settle(charges, seconds, now / 1_000_000, allowed=bool(fits))
    outage().answered()
    return outcome


def charge(charges: Sequence[Charge]) -> list[Outcome]:
    """Take every charge's cost from its bucket, all or none; the buckets' outcomes."""
    if not charges:
        return []
    cache = caches[CACHE_ALIAS]
    if isinstance(cache, RedisCache) and not outage().is_down():
        try:
            return _charge_in_redis(cache, charges)
        except CACHE_ERRORS as exc:
            # A lost Redis must not take the site down: count in this process meanwhile.
            outage().failed(exc)
    return memory_buckets().charge(charges)


def retry_after(outcomes: Sequence[Outcome]) -> int | None:
    """Whole seconds until a refused request would be allowed (at least 1); None if allowed."""
    waits = [outcome.retry_after for outcome in outcomes if not outcome.allowed]
    return max(1, math.ceil(max(waits) - _EPSILON)) if waits else None


def headers(outcomes: Sequence[Outcome], now: float | None = None) -> dict[str, str]:
    """The rate-limit header fields for a response: IETF `RateLimit-Policy` and `RateLimit`
    for every bucket charged, `X-RateLimit-*` for the tightest one (`Reset`: Unix time at which
    it is full again, as GitHub's API says), `Retry-After` on a refusal."""
    if not outcomes:
        return {}
    now = time.time() if now is None else now
    tightest = min(outcomes, key=lambda o: (o.allowed, o.remaining / o.policy.burst))
    fields = {
        "RateLimit-Policy": ", ".join(
            f'"{o.scope}";q={o.policy.burst};w={o.policy.window}' for o in outcomes
        ),
        "RateLimit": ", ".join(
            f'"{o.scope}";r={o.remaining};t={math.ceil(o.next_in - _EPSILON)}' for o in outcomes
        ),
        "X-RateLimit-Limit": str(tightest.policy.burst),
        "X-RateLimit-Remaining": str(tightest.remaining),
        "X-RateLimit-Reset": str(math.ceil(now + tightest.full_in)),
    }
    wait = retry_after(outcomes)
    if wait is not None:
        fields["Retry-After"] = str(wait)
    return fields
