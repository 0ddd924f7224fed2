"""The package score: each component, its edge cases, bulk updates and compute_scores."""

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from packages.fetch.forges.base import FetchError, RepoStats
from packages.fetch.models import PackageFetchState
from packages.fetch.store import FetchResult, record_fetch
from packages.models import Package
from packages.scoring import FAILING_PENALTY, ScoreBreakdown, compute_score, update_scores
from tests.factories import PackageFactory, VersionFactory

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
COMPONENTS = [
    "stars",
    "forks",
    "pypi",
    "commits",
    "last_commit",
    "last_release",
    "archived",
    "deprecated",
    "no_release_in_2_years",
    "failing_for_a_month",
]


def bare_package(**fields):
    """An unsaved package with no stats at all, plus the given fields."""
    defaults = {"title": "x", "slug": "x", "pypi_url": "", "pypi_version": None}
    return Package(**{**defaults, **fields})


def score(package, latest_release=None):
    return compute_score(package, now=NOW, latest_release=latest_release)


def points(breakdown, name):
    return next(c for c in breakdown.components if c.name == name).points


def commits_in_week(week_from_end, count=1):
    weeks = [0] * 52
    weeks[51 - week_from_end] = count
    return weeks


def healthy_package(**fields):
    defaults = {
        "repo_watchers": 5000,
        "repo_forks": 500,
        "pypi_url": "django-healthy",
        "pypi_version": "2.0",
        "commits_over_52": [3] * 52,
        "last_updated": NOW - timedelta(days=2),
    }
    return bare_package(**{**defaults, **fields})


def test_package_with_no_data_scores_zero_and_lists_every_component():
    breakdown = score(bare_package())

    assert breakdown.total == 0
    assert [c.name for c in breakdown.components] == COMPONENTS
    assert all(c.points == 0 for c in breakdown.components)
    assert sum(c.max for c in breakdown.components) == 100


def test_breakdown_is_frozen_and_explains_its_inputs():
    breakdown = score(bare_package(repo_watchers=42))

    assert isinstance(breakdown, ScoreBreakdown)
    with pytest.raises(AttributeError):
        breakdown.total = 5
    assert breakdown.as_dict()["components"][0] == {
        "name": "stars",
        "points": 11,
        "max": 30,
        "inputs": {"repo_watchers": 42},
    }


def test_total_is_the_sum_of_component_points():
    breakdown = score(healthy_package(), latest_release=NOW - timedelta(days=400))

    assert 0 < breakdown.total < 100
    assert breakdown.total == sum(c.points for c in breakdown.components)


@pytest.mark.parametrize(
    ("stars", "expected"),
    [(0, 0), (1, 2), (10, 7), (100, 14), (1000, 21), (10_000, 28), (20_000, 30), (80_000, 30)],
)
def test_stars_use_a_log_scale_up_to_30_points(stars, expected):
    assert points(score(bare_package(repo_watchers=stars)), "stars") == expected


def test_more_stars_never_lower_the_score():
    totals = [score(bare_package(repo_watchers=stars)).total for stars in range(0, 80_001, 97)]
    assert totals == sorted(totals)
    assert totals[-1] == 30


@pytest.mark.parametrize(("forks", "expected"), [(0, 0), (9, 3), (99, 6), (2000, 10), (9000, 10)])
def test_forks_use_a_log_scale_up_to_10_points(forks, expected):
    assert points(score(bare_package(repo_forks=forks)), "forks") == expected


@pytest.mark.parametrize(
    ("pypi_url", "pypi_version", "expected"),
    [
        ("", None, 0),
        ("", "1.0", 0),
        ("django-x", None, 2),
        ("django-x", "", 2),
        ("django-x", "1.0", 5),
    ],
)
def test_pypi_presence_gives_up_to_5_points(pypi_url, pypi_version, expected):
    package = bare_package(pypi_url=pypi_url, pypi_version=pypi_version)
    assert points(score(package), "pypi") == expected


def test_a_recent_commit_weighs_more_than_an_old_one():
    recent = score(bare_package(commits_over_52=commits_in_week(0, 5)))
    old = score(bare_package(commits_over_52=commits_in_week(51, 5)))

    assert points(recent, "commits") > points(old, "commits") > 0


def test_commit_weight_halves_every_13_weeks():
    breakdown = score(bare_package(commits_over_52=commits_in_week(13, 4)))
    commits = next(c for c in breakdown.components if c.name == "commits")
    assert commits.inputs == {"commits_over_52": 4, "weighted_commits": 2.0, "half_life_weeks": 13}


def test_steady_commits_reach_the_commits_maximum():
    assert points(score(bare_package(commits_over_52=[3] * 52)), "commits") == 25


@pytest.mark.parametrize(
    ("age_days", "expected"),
    [(None, 0), (0, 15), (30, 15), (380, 8), (730, 0), (2000, 0), (-3, 15)],
)
def test_last_commit_recency_falls_from_30_days_to_two_years(age_days, expected):
    last_updated = None if age_days is None else NOW - timedelta(days=age_days)
    assert points(score(bare_package(last_updated=last_updated)), "last_commit") == expected


@pytest.mark.parametrize(
    ("age_days", "expected"),
    [(None, 0), (10, 15), (90, 15), (410, 8), (730, 0)],
)
def test_last_release_recency_falls_from_90_days_to_two_years(age_days, expected):
    released = None if age_days is None else NOW - timedelta(days=age_days)
    assert points(score(bare_package(), latest_release=released), "last_release") == expected


def test_archived_repository_is_penalised():
    archived = healthy_package(repo_archived_at=NOW - timedelta(days=1))

    assert points(score(archived), "archived") == -40
    assert score(archived).total == score(healthy_package()).total - 40


def test_deprecated_package_is_penalised():
    deprecated = healthy_package(deprecated_at=NOW - timedelta(days=1))

    assert points(score(deprecated), "deprecated") == -40
    assert score(deprecated).total == score(healthy_package()).total - 40


def test_no_release_in_two_years_is_penalised():
    package = healthy_package()

    assert points(score(package, NOW - timedelta(days=731)), "no_release_in_2_years") == -15
    assert points(score(package, NOW - timedelta(days=729)), "no_release_in_2_years") == 0


def test_unknown_release_gets_no_release_points_and_no_penalty():
    breakdown = score(healthy_package(), latest_release=None)

    assert points(breakdown, "last_release") == 0
    assert points(breakdown, "no_release_in_2_years") == 0


def failed_fetch():
    return FetchResult(errors=[FetchError("github: HTTP 500", reason="http_500")])


def failing_points(package, now):
    package = Package.objects.prefetch_related("versions").get(pk=package.pk)
    return points(compute_score(package, now=now), "failing_for_a_month")


@pytest.mark.django_db
def test_package_failing_five_times_over_40_days_gets_the_failing_penalty():
    package = PackageFactory(repo_watchers=5000, pypi_url="")
    record_fetch(package, FetchResult(repo=RepoStats(watchers=5000)), now=NOW)
    start = NOW + timedelta(days=1)
    for day in (0, 10, 20, 30):
        record_fetch(package, failed_fetch(), now=start + timedelta(days=day))
        assert failing_points(package, start + timedelta(days=day)) == 0  # not a month yet
    before = Package.objects.get(pk=package.pk).score

    record_fetch(package, failed_fetch(), now=start + timedelta(days=40))

    package.refresh_from_db()
    assert package.fetch_state.failures == 5
    assert package.fetch_state.failing_since == start  # the first failure of the streak
    assert failing_points(package, start + timedelta(days=40)) == -FAILING_PENALTY
    assert package.score == before - FAILING_PENALTY  # stored with the fetch


@pytest.mark.django_db
def test_a_success_ends_the_failing_streak():
    package = PackageFactory(pypi_url="")
    for day in (0, 40):
        record_fetch(package, failed_fetch(), now=NOW + timedelta(days=day))
    assert failing_points(package, NOW + timedelta(days=40)) == -FAILING_PENALTY

    record_fetch(package, FetchResult(repo=RepoStats(watchers=9)), now=NOW + timedelta(days=41))
    record_fetch(package, failed_fetch(), now=NOW + timedelta(days=42))

    package.refresh_from_db()
    assert package.fetch_state.failing_since == NOW + timedelta(days=42)
    assert failing_points(package, NOW + timedelta(days=60)) == 0


@pytest.mark.django_db
def test_compute_scores_agrees_with_the_score_stored_on_fetch_when_the_newest_release_is_yanked():
    package = PackageFactory(repo_watchers=5000, pypi_url="")
    VersionFactory(package=package, upload_time=NOW - timedelta(days=5), is_yanked=True)
    VersionFactory(package=package, upload_time=NOW - timedelta(days=800))
    record_fetch(package, FetchResult(repo=RepoStats(watchers=6000)), now=NOW)
    on_fetch = Package.objects.get(pk=package.pk).score

    assert update_scores(now=NOW) == 0  # what compute_scores runs

    assert Package.objects.get(pk=package.pk).score == on_fetch


def test_total_never_goes_below_zero():
    package = bare_package(
        repo_watchers=3,
        repo_archived_at=NOW,
        deprecated_at=NOW,
    )
    package.fetch_state = PackageFetchState(failures=9, failing_since=NOW - timedelta(days=400))
    breakdown = score(package, latest_release=NOW - timedelta(days=3000))

    assert sum(c.points for c in breakdown.components) < 0
    assert breakdown.total == 0


def test_best_possible_package_scores_100():
    package = healthy_package(repo_watchers=80_000, repo_forks=9_000)
    assert score(package, latest_release=NOW - timedelta(days=1)).total == 100


@pytest.mark.django_db
def test_latest_release_is_read_from_prefetched_versions_ignoring_yanked(
    django_assert_num_queries,
):
    package = PackageFactory()
    VersionFactory(package=package, upload_time=NOW - timedelta(days=800))
    VersionFactory(package=package, upload_time=NOW - timedelta(days=5), is_yanked=True)
    VersionFactory(package=package, upload_time=None)
    loaded = Package.objects.select_related("fetch_state").prefetch_related("versions")
    package = loaded.get(pk=package.pk)

    with django_assert_num_queries(0):
        breakdown = compute_score(package, now=NOW)

    assert points(breakdown, "no_release_in_2_years") == -15
    assert points(breakdown, "last_release") == 0


@pytest.mark.django_db
def test_prereleases_count_as_releases():
    package = PackageFactory()
    VersionFactory(package=package, upload_time=NOW - timedelta(days=3), is_prerelease=True)

    assert points(compute_score(package, now=NOW), "last_release") == 15


@pytest.mark.django_db
def test_update_scores_writes_only_changed_rows_and_keeps_modified(django_assert_num_queries):
    then = datetime(2020, 1, 1, tzinfo=UTC)
    stale = PackageFactory(repo_watchers=1000, repo_forks=0, pypi_version="1.0", modified=then)
    fresh = PackageFactory(repo_watchers=0, repo_forks=0, pypi_url="", score=0, modified=then)
    VersionFactory(package=stale, upload_time=NOW - timedelta(days=10))
    Package.objects.filter(pk__in=[stale.pk, fresh.pk]).update(modified=then)

    with django_assert_num_queries(2):
        changed = update_scores(now=NOW, batch_size=10)

    assert changed == 1
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.score == compute_score(stale, now=NOW).total == 21 + 15 + 5
    assert fresh.score == 0
    assert stale.modified == fresh.modified == then


@pytest.mark.django_db
def test_update_scores_runs_a_constant_number_of_queries_per_batch(django_assert_num_queries):
    for stars in range(25):
        PackageFactory(repo_watchers=stars * 100, repo_forks=0, pypi_url="", score=0)

    with django_assert_num_queries(3 * 2):
        changed = update_scores(now=NOW, batch_size=10)

    assert changed == 24
    assert update_scores(now=NOW, batch_size=10) == 0


@pytest.mark.django_db
def test_update_scores_limits_itself_to_the_queryset():
    inside = PackageFactory(repo_watchers=500, score=0)
    outside = PackageFactory(repo_watchers=500, score=0)

    assert update_scores(Package.objects.filter(pk=inside.pk), now=NOW) == 1

    assert Package.objects.get(pk=inside.pk).score > 0
    assert Package.objects.get(pk=outside.pk).score == 0


@pytest.mark.django_db
def test_compute_scores_command_scores_every_package():
    PackageFactory(repo_watchers=500, score=0)
    PackageFactory(repo_watchers=0, repo_forks=0, pypi_url="", score=0)
    out = StringIO()

    call_command("compute_scores", stdout=out)

    assert out.getvalue().startswith("Scored 2 package(s): 1 changed in ")
    assert out.getvalue().count("\n") == 1


@pytest.mark.django_db
def test_compute_scores_command_limits_itself_to_the_given_slugs():
    PackageFactory(slug="django-a", repo_watchers=500, score=0)
    other = PackageFactory(slug="django-b", repo_watchers=500, score=0)
    out = StringIO()

    call_command("compute_scores", "django-a", stdout=out)

    assert out.getvalue().startswith("Scored 1 package(s): 1 changed")
    assert Package.objects.get(pk=other.pk).score == 0


@pytest.mark.django_db
def test_compute_scores_command_rejects_unknown_slugs_before_writing():
    package = PackageFactory(slug="django-a", repo_watchers=500, score=0)

    with pytest.raises(CommandError, match=r"^Unknown package slug\(s\): nope, zzz$"):
        call_command("compute_scores", "zzz", "django-a", "nope", stdout=StringIO())

    assert Package.objects.get(pk=package.pk).score == 0
