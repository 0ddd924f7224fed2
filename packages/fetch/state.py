"""Per-source fetch state: what the run writes after each package (FetchState) and around each
run (SourceRun), and how a package's freshness reads in words.

A package has at most three sources: its repository's forge (github, gitlab, bitbucket or
codeberg; a self-hosted GitLab counts as gitlab, a Forgejo host as codeberg), pypi and pypistats.
`record_fetch` (packages.fetch.store) calls `save_states` inside its own short transaction, so a
package's figures and its state move together.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import timezone
from django.utils.timesince import timesince, timeuntil

from packages.fetch.models import FetchOutcome, FetchState, Source, SourceRun

if TYPE_CHECKING:
    from packages.fetch.errors import FetchError
    from packages.models import Package

# Forge kind (packages.fetch.forges) -> the source its packages count under.
FORGE_SOURCES = {
    "github": Source.GITHUB,
    "gitlab": Source.GITLAB,
    "bitbucket": Source.BITBUCKET,
    "forgejo": Source.CODEBERG,
}
REPOSITORY_SOURCES = frozenset(FORGE_SOURCES.values())
# What each source's figures are called in words ("stars fetched 3 hours ago").
WORDS = {
    Source.GITHUB: "stars",
    Source.GITLAB: "stars",
    Source.BITBUCKET: "stars",
    Source.CODEBERG: "stars",
    Source.PYPI: "releases",
    Source.PYPISTATS: "downloads",
}
# Columns whose change counts for a source (the rest of a fetch's columns are the repository's).
PYPI_COLUMNS = frozenset(
    {
        "pypi_license",
        "pypi_requires_python",
        "pypi_development_status",
        "pypi_classifiers",
        "pypi_version",
        "supports_python3",
        "documentation_url",
        "versions",
        "readiness",
    }
)
DOWNLOAD_COLUMNS = frozenset({"pypi_downloads"})
ERROR_MAX = 2000


@dataclass(frozen=True)
class SourceResult:
    """How one source of one package's fetch ended."""

    source: str
    outcome: str  # a FetchOutcome
    reason: str = ""
    error: str = ""


def source_of_column(name: str) -> str:
    """ "pypi", "pypistats" or "repository": whose figure a changed column is."""
    if name in DOWNLOAD_COLUMNS:
        return Source.PYPISTATS
    if name in PYPI_COLUMNS:
        return Source.PYPI
    return "repository"


def source_results(
    attempted: "dict[str, FetchError | None]", changed: list[str]
) -> list[SourceResult]:
    """Each asked source's outcome: failed with its error, else fetched when one of its
    columns changed, else unchanged."""
    changed_by = {source_of_column(name) for name in changed}
    results = []
    for source, error in attempted.items():
        if error is not None:
            results.append(SourceResult(source, "failed", error.reason, str(error)))
        else:
            mine = source if source in (Source.PYPI, Source.PYPISTATS) else "repository"
            results.append(SourceResult(source, "fetched" if mine in changed_by else "unchanged"))
    return results


def next_due(source: str, outcome: str, *, failures: int, now: datetime) -> datetime:
    """When the run will next take this source of the package (settings read now)."""
    if source == Source.PYPISTATS:
        return now + timedelta(hours=settings.PYPISTATS_STALE_AFTER_HOURS)
    if outcome == FetchOutcome.FAILED:
        if failures >= settings.FETCH_MAX_FAILURES:
            return now + timedelta(hours=settings.FETCH_FAILURE_BACKOFF_HOURS)
        return now  # taken again by the next run
    if outcome == FetchOutcome.SKIPPED:
        return now
    return now + timedelta(hours=settings.FETCH_STALE_AFTER_HOURS)


def save_states(
    package_id: int, results: Iterable[SourceResult], *, failures: int, now: datetime
) -> None:
    """Upsert the package's row for each source in `results` (a success also moves
    `succeeded_at`; a failure or skip keeps the last success). At most two statements."""
    ok: list[FetchState] = []
    not_ok: list[FetchState] = []
    for result in results:
        succeeded = result.outcome in (FetchOutcome.FETCHED, FetchOutcome.UNCHANGED)
        row = FetchState(
            package_id=package_id,
            source=result.source,
            fetched_at=now,
            outcome=result.outcome,
            reason=result.reason[:40],
            error=result.error[:ERROR_MAX],
            succeeded_at=now if succeeded else None,
            next_due=next_due(result.source, result.outcome, failures=failures, now=now),
        )
        (ok if succeeded else not_ok).append(row)
    fields = ["fetched_at", "outcome", "reason", "error", "next_due"]
    for rows, update_fields in ((ok, [*fields, "succeeded_at"]), (not_ok, fields)):
        if rows:
            FetchState.objects.bulk_create(
                rows,
                update_conflicts=True,
                unique_fields=["package", "source"],
                update_fields=update_fields,
            )


def run_started(sources: Iterable[str], *, at: datetime) -> None:
    """Mark a run over `sources` as begun (and not yet ended)."""
    for source in sources:
        SourceRun.objects.update_or_create(
            source=source, defaults={"started_at": at, "finished_at": None}
        )


def run_finished(sources: Iterable[str], *, started: datetime, at: datetime) -> None:
    """Mark the run that began at `started` as ended (a newer run's row is left alone)."""
    SourceRun.objects.filter(source__in=list(sources), started_at=started).update(finished_at=at)


def run_sources(source: str | None) -> list[str]:
    """The sources a run over `--source source` fetches (None: every forge and PyPI)."""
    if source == "downloads":
        return [Source.PYPISTATS]
    if source is None:
        return [*sorted(REPOSITORY_SOURCES), Source.PYPI]
    return [source]


def freshness_words(states: Sequence[FetchState], now: datetime | None = None) -> str:
    """ "stars fetched 3 hours ago; downloads 2 days ago, next in 22 hours" (one clause per
    source, in the order given; "" for none)."""
    now = now or timezone.now()
    clauses = []
    for index, state in enumerate(states):
        what = WORDS.get(Source(state.source), state.source) if state.source in Source else ""
        verb = " fetched" if index == 0 else ""
        if state.succeeded_at is not None:
            text = f"{what}{verb} {_span(timesince(state.succeeded_at, now, depth=1))} ago"
        else:
            text = f"{what} never fetched"
        if state.outcome == FetchOutcome.FAILED:
            text += f", failing ({state.reason or 'error'})"
        if state.next_due is not None:
            if state.next_due > now:
                text += f", next in {_span(timeuntil(state.next_due, now, depth=1))}"
            else:
                text += ", due now"
        clauses.append(text)
    return "; ".join(clauses)


def _span(text: str) -> str:
    return text.replace("\xa0", " ")


def package_freshness_words(package: "Package") -> str:
    """`freshness_words` for one package's stored states, in Source order (one query)."""
    order = {source.value: index for index, source in enumerate(Source)}
    states = sorted(FetchState.objects.filter(package=package), key=lambda s: order[s.source])
    return freshness_words(states)
