"""Django's Redis cache backend as an accelerator, never a dependency; and the outage it reports.

`DegradingRedisCache` is Django's own `RedisCache` answering like an empty cache when Redis is
unreachable: `get` gives the default, `set`/`add`/`delete` do nothing. After a failure it does
not try Redis again for `RETRY_SECONDS`, so an outage costs one failed connection per process
every few seconds rather than one per request. A warning is logged at most once per
`WARN_EVERY_SECONDS`.

`outage()` is what the rest of the site asks: `is_down()` (throttles then count in process
memory) and `episodes` (how many outages this process has seen). It is made on first use and
made again when CACHES changes (`forget_process_state`, a `setting_changed` receiver).
"""

import functools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

CACHE_ERRORS = (RedisError, OSError)
RETRY_SECONDS = 5.0
WARN_EVERY_SECONDS = 60.0


class Outage:
    """This process's view of Redis: reachable or not, and how many outages it has seen."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.down_until = 0.0
            self.last_warned = -WARN_EVERY_SECONDS
            self.episodes = 0
            self._down = False

    def is_down(self) -> bool:
        return self._down and time.monotonic() < self.down_until

    def failed(self, exc: BaseException) -> None:
        """Record a failed Redis call; warn unless a warning went out less than a minute ago."""
        now = time.monotonic()
        with self._lock:
            if not self._down:
                self.episodes += 1
            self._down = True
            self.down_until = now + RETRY_SECONDS
            warn = now - self.last_warned >= WARN_EVERY_SECONDS
            if warn:
                self.last_warned = now
        if warn:
            logger.warning(
                "Redis unreachable (%s): serving uncached, throttles count per process", exc
            )

    def answered(self) -> None:
        if self._down:
            with self._lock:
                self._down = False
            logger.info("Redis answers again")


@functools.cache
def outage() -> Outage:
    """This process's view of Redis, made on first use."""
    return Outage()


def forget_process_state(*, setting: str, **kwargs: Any) -> None:
    """`setting_changed` receiver (connected in `DjangopackagesConfig.ready`): another CACHES
    is another Redis, whose health this process has not seen yet."""
    if setting == "CACHES":
        outage.cache_clear()


def _degrading(operation: Callable[..., Any], fallback: Callable[..., Any]) -> Callable[..., Any]:
    # Any: the wrapped methods' results, which the fallbacks imitate, vary by method.
    def call(self: RedisCache, *args: Any, **kwargs: Any) -> Any:
        if outage().is_down():
            return fallback(*args, **kwargs)
        try:
            result = operation(self, *args, **kwargs)
        except CACHE_ERRORS as exc:
            outage().failed(exc)
            return fallback(*args, **kwargs)
        outage().answered()
        return result

    call.__name__ = operation.__name__
    call.__doc__ = f"`RedisCache.{operation.__name__}`, or like an empty cache when Redis is down."
    return call


class DegradingRedisCache(RedisCache):
    """`django.core.cache.backends.redis.RedisCache` degrading to an empty cache while Redis is
    unreachable."""

    def ensure_reachable(self) -> None:
        """Ask Redis now, raising its error (for commands that must not run degraded)."""
        RedisCache.get(self, "djangopackages:ping")

    get = _degrading(RedisCache.get, lambda key, default=None, version=None: default)
    get_many = _degrading(RedisCache.get_many, lambda *args, **kwargs: {})
    has_key = _degrading(RedisCache.has_key, lambda *args, **kwargs: False)
    set = _degrading(RedisCache.set, lambda *args, **kwargs: None)
    set_many = _degrading(RedisCache.set_many, lambda *args, **kwargs: [])
    add = _degrading(RedisCache.add, lambda *args, **kwargs: False)
    touch = _degrading(RedisCache.touch, lambda *args, **kwargs: False)
    delete = _degrading(RedisCache.delete, lambda *args, **kwargs: False)
    delete_many = _degrading(RedisCache.delete_many, lambda *args, **kwargs: None)
    clear = _degrading(RedisCache.clear, lambda *args, **kwargs: False)


def ping(cache: BaseCache) -> bool:
    """True when `cache` (a Redis cache) answers a PING now, whatever `outage` says."""
    try:
        if isinstance(cache, DegradingRedisCache):
            cache.ensure_reachable()
        else:
            cache.get("djangopackages:ping")
    except CACHE_ERRORS as exc:
        outage().failed(exc)
        return False
    outage().answered()
    return True
