"""The fetcher seen from outside: `GET /api/v4/status/` (every source at a glance, plus the
refresh queue) and `GET /api/v4/packages/{id}/freshness/` (one package, per source).

The work is done by packages.fetch.status and packages.fetch.state; these views look the
package up, cache the status for STATUS_CACHE_SECONDS and give the browsable pages a summary.
"""

import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.lookups import id_or_slug
from packages.fetch.models import FetchState, Source
from packages.fetch.state import freshness_words
from packages.fetch.status import fetch_status
from packages.models import Package

STATUS_CACHE_KEY = "api:fetch-status"
CHART_WIDTH, CHART_HEIGHT = 160, 40
ID_OR_SLUG = OpenApiParameter(
    "pk", OpenApiTypes.STR, OpenApiParameter.PATH, description="A numeric id, or a slug."
)


def package_or_404(pk: str) -> Package:
    lookup = id_or_slug(pk)
    package = Package.objects.filter(**lookup).first() if lookup else None
    if package is None:
        raise Http404("No package has this id or slug.")
    return package


def freshness_document(package: Package) -> dict[str, Any]:
    """The package's state per source, in Source order (sources never fetched are absent)."""
    order = {source.value: index for index, source in enumerate(Source)}
    states = sorted(
        FetchState.objects.filter(package=package), key=lambda state: order[state.source]
    )
    return {
        "package": package.slug,
        "summary": freshness_words(states),
        "sources": {
            state.source: {
                "fetched_at": _iso(state.fetched_at),
                "outcome": state.outcome,
                "reason": state.reason,
                "error": state.error,
                "succeeded_at": _iso(state.succeeded_at),
                "next_due": _iso(state.next_due),
            }
            for state in states
        },
    }


class FreshnessView(APIView):
    """How fresh a package's figures are, per source: when each was last fetched and how that
    ended (fetched, unchanged, failed, skipped), the error if any, and when it is next due."""

    permission_classes = [AllowAny]

    @extend_schema(parameters=[ID_OR_SLUG], responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, pk: str) -> Response:
        return Response(freshness_document(package_or_404(pk)))

    def browsable_summary(self, data: Any, response: Response) -> tuple[str, dict] | None:
        if response.status_code != 200:
            return None
        return "api/summary/freshness.html", {"freshness": data["summary"]}


class StatusView(APIView):
    """The fetcher at a glance, per source (github, gitlab, bitbucket, codeberg, pypi,
    pypistats): packages covered, fetched successfully in the last 24 h and 7 days, hours since
    the last success (p50, p90, p99), failing by reason, the last run; and the refresh queue."""

    permission_classes = [AllowAny]

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        return Response(cached_status())

    def browsable_summary(self, data: Any, response: Response) -> tuple[str, dict] | None:
        if response.status_code != 200:
            return None
        return "api/summary/status.html", {"charts": status_charts(data)}


def cached_status() -> dict[str, Any]:
    """The status, aggregated at most once per STATUS_CACHE_SECONDS per cache (`generated_at`
    says when). Once it is older, one request recomputes it (the one that takes the refresh
    flag) while the others keep answering the previous document, so a burst of polls never
    waits on the aggregates all at once."""
    seconds = settings.STATUS_CACHE_SECONDS
    if not seconds:
        return fetch_status()
    entry = cache.get(STATUS_CACHE_KEY)
    if entry is not None and time.time() - entry["at"] < seconds:
        return entry["document"]
    if entry is not None and not cache.add(f"{STATUS_CACHE_KEY}:refreshing", 1, timeout=60):
        return entry["document"]  # another request is refreshing it
    try:
        document = fetch_status()
        cache.set(STATUS_CACHE_KEY, {"at": time.time(), "document": document}, 60 * seconds)
    finally:
        if entry is not None:
            cache.delete(f"{STATUS_CACHE_KEY}:refreshing")
    return document


def status_charts(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Per source, bars (inline SVG, no script) of its packages fresh within 24 h, within 7 days,
    older and never fetched, out of those it covers."""
    charts = []
    for source, row in document["sources"].items():
        covered = row["covered"]
        day = row["fetched_24h"]
        week = max(row["fetched_7d"] - day, 0)
        never = min(row["never_fetched"], covered)
        older = max(covered - day - week - never, 0)
        parts = [("#2c7a4b", "24 h", day), ("#8fc1a0", "7 days", week)]
        parts += [("#e0a040", "older", older), ("#c8c8c8", "never", never)]
        x = 0.0
        bars = []
        for fill, label, count in parts:
            width = CHART_WIDTH * count / covered if covered else 0
            bars.append(
                {"fill": fill, "x": f"{x:.1f}", "width": f"{width:.1f}", "label": label}
                | {"count": count}
            )
            x += width
        counts = ", ".join(f"{bar['label']} {bar['count']}" for bar in bars)
        label = f"{source}: {covered} covered; {counts}"
        charts.append(
            {
                "source": source,
                "row": row,
                "bars": bars,
                "label": label,
                "width": CHART_WIDTH,
                "height": CHART_HEIGHT,
            }
        )
    return charts


def _iso(moment: Any) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None
