"""Site-level views that belong to no resource: the health check used by Docker and load balancers,
and `/favicon.ico`."""

import functools
import threading
from typing import Any

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponseRedirect, JsonResponse
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from api.client_address import proxy_warnings
from api.rate_limits import Charge, MemoryBuckets, Policy
from api.throttling import throttle_exempt
from common.redis_cache import ping

# Live probes of the database and Redis one process makes: 10 at once, then 2 a second. Health
# checkers (a load balancer, Docker) ask every few seconds and always get a live one; a flood
# beyond gets the last probe's answer.
HEALTH_PROBES = Policy(burst=10, per_second=2.0)


class HealthAnswers:
    """The last probe of the database and the cache, and the budget for probing again."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.answer: tuple[int, dict[str, str]] | None = None
        self.probes = MemoryBuckets(capacity=1)

    def current(self) -> tuple[int, dict[str, str]]:
        with self.lock:
            live = self.probes.charge([Charge("health", "health", HEALTH_PROBES)])[0].allowed
            if self.answer is not None and not live:
                return self.answer
        answer = _probe()
        with self.lock:
            self.answer = answer
        return answer


@functools.cache
def health_answers() -> HealthAnswers:
    """This process's last probe and probe budget: made on first use, again once the database
    or the cache it probes is configured anew (`forget_process_state`)."""
    return HealthAnswers()


def forget_process_state(*, setting: str, **kwargs: Any) -> None:
    """`setting_changed` receiver (connected in `DjangopackagesConfig.ready`)."""
    if setting in {"DATABASES", "CACHES"}:
        health_answers.cache_clear()


@throttle_exempt
@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers a trivial query, 503 otherwise.

    `cache` is "ok" when Redis answers, "unreachable" when it does not (the site still serves,
    uncached: 200 with status "degraded"), "in-process" without Redis. `warnings` lists what is
    wrong with the proxy set-up (api.client_address), without changing the status. Never
    throttled, so a load balancer is never refused; past `HEALTH_PROBES`, a flood of it is
    answered from the last probe.
    """
    status, body = health_answers().current()
    return JsonResponse({**body, "warnings": proxy_warnings()}, status=status)


def _probe() -> tuple[int, dict[str, str]]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return 503, {"status": "unavailable", "database": "unreachable", "cache": _cache_state()}
    cache = _cache_state()
    return 200, {
        "status": "degraded" if cache == "unreachable" else "ok",
        "database": "ok",
        "cache": cache,
    }


def _cache_state() -> str:
    cache = caches["default"]
    if not isinstance(cache, RedisCache):
        return "in-process"
    return "ok" if ping(cache) else "unreachable"


@require_safe
def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """Browsers ask every site for /favicon.ico: send them to the icon the pages link to."""
    return HttpResponseRedirect(static("api/favicon.svg"))
