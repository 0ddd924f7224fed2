"""Site-level views that belong to no app: the health check used by Docker and load balancers,
and `/favicon.ico`."""

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import DatabaseError, connection
from django.http import HttpResponseRedirect, JsonResponse
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from djangopackages.redis_cache import ping


@never_cache
@require_safe
def healthz(request):
    """200 when the database answers a trivial query, 503 otherwise.

    `cache` is "ok" when Redis answers, "unreachable" when it does not (the site still serves,
    uncached: 200 with status "degraded"), "in-process" without Redis.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse(
            {"status": "unavailable", "database": "unreachable", "cache": _cache_state()},
            status=503,
        )
    cache = _cache_state()
    return JsonResponse(
        {"status": "degraded" if cache == "unreachable" else "ok", "database": "ok", "cache": cache}
    )


def _cache_state():
    cache = caches["default"]
    if not isinstance(cache, RedisCache):
        return "in-process"
    return "ok" if ping(cache) else "unreachable"


@require_safe
def favicon(request):
    """Browsers ask every site for /favicon.ico: send them to the icon the pages link to."""
    return HttpResponseRedirect(static("api/favicon.svg"))
