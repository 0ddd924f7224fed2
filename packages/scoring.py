"""The package score: an explainable 0-100 figure computed from a package's stored stats.

The score is the sum of the points of its components, clamped to 0..100. The positive
components' maxima add up to exactly 100; penalties have a maximum of 0 and give negative
points. Every component carries the inputs it was computed from, so a maintainer can see why.

Popularity (max 45)
- stars (max 30): log scale, 30 points at 20,000 stars or more (10 stars ~ 7, 100 ~ 14,
  1,000 ~ 21, 10,000 ~ 28).
- forks (max 10): log scale, 10 points at 2,000 forks or more.
- pypi (max 5): 5 when the package names a PyPI project and a version is known, 2 when only
  the project name is known, 0 when it is not on PyPI.

Activity (max 55)
- commits (max 25): the 52 weekly commit counts, each weighted by how recent its week is (the
  current week counts 1, a commit 13 weeks ago 1/2, 26 weeks ago 1/4: a half-life of 13 weeks),
  then a log scale: 25 points at a weighted sum of 30 or more (about two commits a week).
- last_commit (max 15): full points for a newest commit at most 30 days old, falling linearly to
  0 at two years old; 0 when unknown.
- last_release (max 15): full points for a newest release at most 90 days old, falling
  linearly to 0 at two years old; 0 when unknown. Yanked releases do not count; pre-releases do.

Penalties (max 0)
- archived (-40): the repository is archived.
- deprecated (-40): the package is marked deprecated.
- no_release_in_2_years (-15): the newest known release is more than two years old (a package
  with no known release gets no points for last_release, but no penalty either).
- failing_for_a_month (-10): every fetch for more than 30 days has failed: the current streak of
  failures began (the package's fetch state `failing_since`, set by the first failure after a
  success and cleared by the next success) more than 30 days ago.
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from packages.models import Package, Version

STARS_MAX, STARS_FULL_AT = 30, 20_000
FORKS_MAX, FORKS_FULL_AT = 10, 2_000
PYPI_MAX, PYPI_NAME_ONLY = 5, 2
COMMITS_MAX, COMMITS_FULL_AT, COMMITS_HALF_LIFE_WEEKS = 25, 30, 13
LAST_COMMIT_MAX, LAST_COMMIT_FRESH_DAYS = 15, 30
LAST_RELEASE_MAX, LAST_RELEASE_FRESH_DAYS = 15, 90
STALE_AFTER_DAYS = 730
ARCHIVED_PENALTY = 40
DEPRECATED_PENALTY = 40
NO_RELEASE_PENALTY = 15
FAILING_PENALTY, FAILING_AFTER_DAYS = 10, 30

# The fields compute_score reads; update_scores loads only these.
SCORE_FIELDS = (
    "id",
    "score",
    "repo_watchers",
    "repo_forks",
    "pypi_url",
    "pypi_version",
    "commits_over_52",
    "last_updated",
    "repo_archived_at",
    "deprecated_at",
    "fetch_state__failures",
    "fetch_state__failing_since",
)

_UNSET = object()


@dataclass(frozen=True)
class ScoreComponent:
    name: str
    points: int
    max: int
    inputs: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ScoreBreakdown:
    total: int
    components: tuple[ScoreComponent, ...]

    def as_dict(self) -> dict[str, Any]:
        """The API shape: {"score": total, "components": [{"name", "points", "max", "inputs"}]}."""
        return {
            "score": self.total,
            "components": [
                {"name": c.name, "points": c.points, "max": c.max, "inputs": dict(c.inputs)}
                for c in self.components
            ],
        }


def compute_score(
    package: Package, *, now: datetime | None = None, latest_release: Any = _UNSET
) -> "ScoreBreakdown":
    """Score one package, without writing anything.

    `latest_release` is the upload time of the newest non-yanked release, or None when there
    is none; when omitted it is read from `package.versions.all()`, which costs no query when
    the caller prefetched `versions` (and one query otherwise). The failure streak is read from
    `package.fetch_state`: no query either when the caller selected it (`select_related`).
    """
    now = now or timezone.now()
    if latest_release is _UNSET:
        latest_release = latest_release_from_versions(package.versions.all())
    components = (
        _stars(package),
        _forks(package),
        _pypi(package),
        _commits(package),
        _last_commit(package, now),
        _last_release(latest_release, now),
        _archived(package),
        _deprecated(package),
        _no_release_in_2_years(latest_release, now),
        _failing_for_a_month(package, now),
    )
    total = max(0, min(100, sum(c.points for c in components)))
    return ScoreBreakdown(total=total, components=components)


def latest_release_from_versions(versions: Iterable[Version]) -> datetime | None:
    """The newest upload time among non-yanked versions, or None."""
    times = [v.upload_time for v in versions if not v.is_yanked and v.upload_time is not None]
    return max(times, default=None)


def update_scores(
    queryset: QuerySet[Package] | None = None,
    *,
    now: datetime | None = None,
    batch_size: int = 500,
) -> int:
    """Recompute the score of every package in `queryset` (default: all) and save the changed ones.

    Works in primary-key batches of `batch_size`: one SELECT (the newest release comes from a
    subquery) and at most one bulk UPDATE per batch, whatever the number of versions. Only the
    `score` column is written and `save()` is bypassed, so `modified` is not bumped. Returns the
    number of packages whose score changed.
    """
    now = now or timezone.now()
    queryset = Package.objects.all() if queryset is None else queryset
    newest_release = (
        Version.objects.filter(package=OuterRef("pk"), is_yanked=False, upload_time__isnull=False)
        .order_by("-upload_time")
        .values("upload_time")[:1]
    )
    queryset = (
        queryset.select_related("fetch_state")
        .only(*SCORE_FIELDS)
        .annotate(latest_release_at=Subquery(newest_release))
        .order_by("pk")
    )
    changed_total = 0
    last_pk = None
    while True:
        batch_qs = queryset if last_pk is None else queryset.filter(pk__gt=last_pk)
        batch = list(batch_qs[:batch_size])
        changed = []
        for package in batch:
            score = compute_score(package, now=now, latest_release=package.latest_release_at)
            if score.total != package.score:
                package.score = score.total
                changed.append(package)
        if changed:
            Package.objects.bulk_update(changed, ["score"], batch_size=batch_size)
            changed_total += len(changed)
        if len(batch) < batch_size:
            return changed_total
        last_pk = batch[-1].pk


def _log_points(value: float | None, full_at: float, maximum: int) -> int:
    """0 for 0, `maximum` at `full_at` or more, logarithmic in between."""
    value = max(0, value or 0)
    return round(maximum * min(1.0, math.log10(1 + value) / math.log10(1 + full_at)))


def _age_points(
    moment: datetime | None, now: datetime, fresh_days: int, maximum: int
) -> tuple[int, int | None]:
    """Full points up to `fresh_days` old, linearly down to 0 at STALE_AFTER_DAYS; 0 if unknown."""
    if moment is None:
        return 0, None
    age_days = max(0.0, (now - moment).total_seconds() / 86400)
    if age_days <= fresh_days:
        return maximum, int(age_days)
    fraction = max(0.0, (STALE_AFTER_DAYS - age_days) / (STALE_AFTER_DAYS - fresh_days))
    return round(maximum * fraction), int(age_days)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _stars(package: Package) -> ScoreComponent:
    stars = package.repo_watchers or 0
    return ScoreComponent(
        "stars", _log_points(stars, STARS_FULL_AT, STARS_MAX), STARS_MAX, {"repo_watchers": stars}
    )


def _forks(package: Package) -> ScoreComponent:
    forks = package.repo_forks or 0
    return ScoreComponent(
        "forks", _log_points(forks, FORKS_FULL_AT, FORKS_MAX), FORKS_MAX, {"repo_forks": forks}
    )


def _pypi(package: Package) -> ScoreComponent:
    if package.pypi_url and package.pypi_version:
        points = PYPI_MAX
    elif package.pypi_url:
        points = PYPI_NAME_ONLY
    else:
        points = 0
    inputs = {"pypi_url": package.pypi_url or "", "pypi_version": package.pypi_version or ""}
    return ScoreComponent("pypi", points, PYPI_MAX, inputs)


def _commits(package: Package) -> ScoreComponent:
    weeks = list(package.commits_over_52 or [])
    newest = len(weeks) - 1
    weighted = sum(
        count * 0.5 ** ((newest - index) / COMMITS_HALF_LIFE_WEEKS)
        for index, count in enumerate(weeks)
    )
    inputs = {
        "commits_over_52": sum(weeks),
        "weighted_commits": round(weighted, 2),
        "half_life_weeks": COMMITS_HALF_LIFE_WEEKS,
    }
    return ScoreComponent(
        "commits", _log_points(weighted, COMMITS_FULL_AT, COMMITS_MAX), COMMITS_MAX, inputs
    )


def _last_commit(package: Package, now: datetime) -> ScoreComponent:
    points, age = _age_points(package.last_updated, now, LAST_COMMIT_FRESH_DAYS, LAST_COMMIT_MAX)
    inputs = {"last_updated": _iso(package.last_updated), "age_days": age}
    return ScoreComponent("last_commit", points, LAST_COMMIT_MAX, inputs)


def _last_release(latest_release: datetime | None, now: datetime) -> ScoreComponent:
    points, age = _age_points(latest_release, now, LAST_RELEASE_FRESH_DAYS, LAST_RELEASE_MAX)
    inputs = {"latest_release": _iso(latest_release), "age_days": age}
    return ScoreComponent("last_release", points, LAST_RELEASE_MAX, inputs)


def _archived(package: Package) -> ScoreComponent:
    archived_at = package.repo_archived_at
    points = -ARCHIVED_PENALTY if archived_at is not None else 0
    return ScoreComponent("archived", points, 0, {"repo_archived_at": _iso(archived_at)})


def _deprecated(package: Package) -> ScoreComponent:
    deprecated_at = package.deprecated_at
    points = -DEPRECATED_PENALTY if deprecated_at is not None else 0
    return ScoreComponent("deprecated", points, 0, {"deprecated_at": _iso(deprecated_at)})


def _no_release_in_2_years(latest_release: datetime | None, now: datetime) -> ScoreComponent:
    is_stale = latest_release is not None and now - latest_release > timedelta(
        days=STALE_AFTER_DAYS
    )
    points = -NO_RELEASE_PENALTY if is_stale else 0
    return ScoreComponent(
        "no_release_in_2_years", points, 0, {"latest_release": _iso(latest_release)}
    )


def _failing_for_a_month(package: Package, now: datetime) -> ScoreComponent:
    # The fetcher's state (packages.fetch.models), read through the relation: a package never
    # fetched has none.
    state = getattr(package, "fetch_state", None)
    failures = state.failures if state is not None else 0
    failing_since = state.failing_since if state is not None else None
    is_failing = (
        failures > 0
        and failing_since is not None
        and now - failing_since > timedelta(days=FAILING_AFTER_DAYS)
    )
    inputs = {
        "fetch_failures": failures,
        "failing_since": _iso(failing_since) if failures > 0 else None,
    }
    return ScoreComponent("failing_for_a_month", -FAILING_PENALTY if is_failing else 0, 0, inputs)
