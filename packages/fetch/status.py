"""The fetcher's status at a glance, per source: coverage, recent successes, staleness
percentiles, failures by reason and the last run; plus the refresh queue. Read by
`GET /api/v4/status/` and `/metrics`.

A handful of aggregate queries whatever the catalogue's size (docs/performance.md measures it at
50,000 packages): one over packages (coverage), one over FetchState grouped by source, one for
the failures by reason, one for the percentiles (PostgreSQL's percentile_cont; elsewhere three
indexed ORDER BY ... OFFSET reads per source), one over SourceRun and one over PackageFetchState
(the refresh queue).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, Min, Q
from django.utils import timezone

from packages.fetch.models import FetchOutcome, FetchState, PackageFetchState, Source, SourceRun
from packages.models import Package

PERCENTILES = (0.5, 0.9, 0.99)


@dataclass(frozen=True)
class QueueDepth:
    waiting: int
    running: int
    oldest_waiting_s: float | None


def coverage_filters() -> dict[str, Q]:
    """Which packages each source covers: forges by their repository's host, PyPI and
    pypistats by a PyPI name (pypistats only while PYPISTATS_URL is set)."""

    def hosts(*names: str) -> Q:
        q = Q(pk__in=[])
        for name in names:
            q |= Q(repo_key__startswith=f"{name.lower()}/")
        return q

    return {
        Source.GITHUB: hosts("github.com"),
        Source.GITLAB: hosts("gitlab.com", *settings.GITLAB_HOSTS),
        Source.BITBUCKET: hosts("bitbucket.org"),
        Source.CODEBERG: hosts("codeberg.org", *settings.FORGEJO_HOSTS),
        Source.PYPI: ~Q(pypi_url=""),
        Source.PYPISTATS: ~Q(pypi_url="") if settings.PYPISTATS_URL else Q(pk__in=[]),
    }


def queue_depth(now: datetime) -> QueueDepth:
    """Refreshes waiting for a worker and running now (packages.tasks' queue state)."""
    states = PackageFetchState.State
    # Through the state index: many packages have a fetch state (a failure, a lease), few a
    # pending refresh.
    pending = PackageFetchState.objects.filter(state__in=[states.QUEUED, states.RUNNING])
    row = pending.aggregate(
        waiting=Count("pk", filter=Q(state=states.QUEUED)),
        running=Count("pk", filter=Q(state=states.RUNNING)),
        oldest=Min("queued_at", filter=Q(state=states.QUEUED)),
    )
    oldest = row["oldest"]
    return QueueDepth(
        waiting=row["waiting"],
        running=row["running"],
        oldest_waiting_s=round((now - oldest).total_seconds(), 1) if oldest else None,
    )


def fetch_status(now: datetime | None = None) -> dict[str, Any]:
    """The status document: {"generated_at", "sources": {name: {...}}, "queue": {...}}."""
    now = now or timezone.now()
    day, week = now - timedelta(hours=24), now - timedelta(days=7)
    covered = Package.objects.aggregate(
        **{source: Count("pk", filter=q) for source, q in coverage_filters().items()}
    )
    counts = {
        row["source"]: row
        for row in FetchState.objects.values("source")
        .order_by("source")
        .annotate(
            states=Count("pk"),
            ok_24h=Count("pk", filter=Q(succeeded_at__gte=day)),
            ok_7d=Count("pk", filter=Q(succeeded_at__gte=week)),
            failing=Count("pk", filter=Q(outcome=FetchOutcome.FAILED)),
            never=Count("pk", filter=Q(succeeded_at__isnull=True)),
        )
    }
    reasons: dict[str, dict[str, int]] = {}
    failed = FetchState.objects.filter(outcome=FetchOutcome.FAILED)
    by_reason = failed.values("source", "reason").order_by("source", "reason")
    for row in by_reason.annotate(n=Count("pk")):
        reasons.setdefault(row["source"], {})[row["reason"] or "error"] = row["n"]
    stale = stale_hours(now)
    runs = {run.source: run for run in SourceRun.objects.all()}
    sources = {}
    for source in Source:
        row = counts.get(source, {})
        run = runs.get(source)
        sources[source.value] = {
            "covered": covered[source],
            "fetched_24h": row.get("ok_24h", 0),
            "fetched_7d": row.get("ok_7d", 0),
            "never_fetched": max(covered[source] - row.get("states", 0), 0) + row.get("never", 0),
            "stale_hours": stale.get(source, {"p50": None, "p90": None, "p99": None}),
            "failing": row.get("failing", 0),
            "failing_by_reason": reasons.get(source, {}),
            "last_run": {
                "started_at": _iso(run.started_at) if run else None,
                "finished_at": _iso(run.finished_at) if run else None,
            },
        }
    queue = queue_depth(now)
    return {
        "generated_at": _iso(now),
        "sources": sources,
        "queue": {
            "waiting": queue.waiting,
            "running": queue.running,
            "oldest_waiting_s": queue.oldest_waiting_s,
        },
    }


def stale_hours(now: datetime) -> dict[str, dict[str, float | None]]:
    """{source: {"p50", "p90", "p99"}}: hours since each package's last success (packages never
    fetched successfully are left out: `never_fetched` counts them)."""
    if connection.vendor == "postgresql":
        return _stale_hours_postgresql(now)
    result: dict[str, dict[str, float | None]] = {}
    for source in Source:
        rows = FetchState.objects.filter(source=source, succeeded_at__isnull=False)
        total = rows.count()
        if not total:
            continue
        newest_first = rows.order_by("-succeeded_at").values_list("succeeded_at", flat=True)
        result[source.value] = {
            f"p{round(p * 100)}": _hours(now, _interpolated(newest_first, total, p))
            for p in PERCENTILES
        }
    return result


def _interpolated(newest_first: Any, total: int, fraction: float) -> datetime:
    """percentile_cont's linear interpolation over the ordered rows, two rows read by offset."""
    position = fraction * (total - 1)
    low = int(position)
    pair = list(newest_first[low : low + 2])
    if len(pair) == 1 or position == low:
        return pair[0]
    weight = position - low
    return pair[0] + (pair[1] - pair[0]) * weight


def _stale_hours_postgresql(now: datetime) -> dict[str, dict[str, float | None]]:
    sql = (
        "SELECT source, percentile_cont(%s) WITHIN GROUP"
        " (ORDER BY extract(epoch FROM %s - succeeded_at))"
        f" FROM {FetchState._meta.db_table} WHERE succeeded_at IS NOT NULL GROUP BY source"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [list(PERCENTILES), now])
        rows = cursor.fetchall()
    return {
        source: {
            f"p{round(p * 100)}": round(seconds / 3600, 2)
            for p, seconds in zip(PERCENTILES, values, strict=True)
        }
        for source, values in rows
    }


def _hours(now: datetime, moment: datetime) -> float:
    return round((now - moment).total_seconds() / 3600, 2)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def outcome_counts() -> list[tuple[str, str, str, int]]:
    """(source, outcome, reason, packages) for every last outcome stored (one query)."""
    rows = (
        FetchState.objects.values("source", "outcome", "reason")
        .order_by("source", "outcome", "reason")
        .annotate(n=Count("pk"))
    )
    return [(row["source"], row["outcome"], row["reason"], row["n"]) for row in rows]


def last_runs() -> list[SourceRun]:
    return list(SourceRun.objects.order_by("source"))
