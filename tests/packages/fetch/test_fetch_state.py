"""Per-source fetch state (packages.fetch.state) written by real runs against a local fake."""

from datetime import timedelta

import pytest
from django.utils import timezone

from packages.fetch.models import FetchState, SourceRun
from packages.fetch.state import freshness_words
from tests.factories import PackageFactory
from tests.packages.conftest import Reply, serve_github_repo, serve_pypi
from tests.packages.fetch.test_fetch_stats import run

pytestmark = pytest.mark.django_db

RECENT = {"data": {"last_day": 1, "last_week": 7, "last_month": 30}, "package": "x", "type": "r"}


def states(package):
    return {
        s.source: (s.outcome, s.reason)
        for s in FetchState.objects.filter(package=package).order_by("source")
    }


@pytest.fixture
def widgets(fetch_settings, upstream):
    serve_github_repo(upstream)
    serve_pypi(upstream)
    return PackageFactory(
        slug="widgets", repo_url="https://github.com/octo/widgets", pypi_url="django-widgets"
    )


def test_a_run_records_each_source_fetched_then_unchanged(widgets, settings):
    before = timezone.now()
    run()
    assert states(widgets) == {"github": ("fetched", ""), "pypi": ("fetched", "")}
    first = FetchState.objects.get(package=widgets, source="github")
    assert first.succeeded_at >= before
    due = first.succeeded_at + timedelta(hours=settings.FETCH_STALE_AFTER_HOURS)
    assert first.next_due == due
    run("--all")
    assert states(widgets) == {"github": ("unchanged", ""), "pypi": ("unchanged", "")}
    runs = {r.source: r for r in SourceRun.objects.all()}
    assert set(runs) == {"github", "gitlab", "bitbucket", "codeberg", "pypi"}
    assert all(r.finished_at is not None and r.finished_at >= r.started_at for r in runs.values())


def test_a_failing_source_keeps_its_last_success_and_the_other_source_is_fetched(widgets, upstream):
    run()
    succeeded = FetchState.objects.get(package=widgets, source="pypi").succeeded_at
    upstream.add("/pypi/pypi/django-widgets/json", Reply({"message": "no"}, status=500))
    run("--all", exit_code=2)  # every attempted package failed
    assert states(widgets) == {"github": ("unchanged", ""), "pypi": ("failed", "http_500")}
    pypi = FetchState.objects.get(package=widgets, source="pypi")
    assert pypi.succeeded_at == succeeded
    assert "500" in pypi.error
    assert pypi.next_due == pypi.fetched_at  # taken again by the next run


def test_a_missing_repository_is_a_failure_named_not_found(fetch_settings, upstream):
    gone = PackageFactory(slug="gone", repo_url="https://github.com/o/gone", pypi_url="")
    run(exit_code=0)
    assert states(gone) == {"github": ("failed", "not_found")}


def test_a_dry_run_records_no_state(widgets):
    run("--dry-run")
    assert not FetchState.objects.exists()
    assert not SourceRun.objects.exists()


def test_the_downloads_pass_records_pypistats(fetch_settings, upstream):
    fetch_settings.PYPISTATS_URL = f"{upstream.url}/pypistats"
    fetch_settings.PYPISTATS_REQUESTS_PER_SECOND = 50
    ok = PackageFactory(slug="ok", repo_url="", pypi_url="ok")
    bad = PackageFactory(slug="bad", repo_url="", pypi_url="bad")
    upstream.json("/pypistats/packages/ok/recent", RECENT)
    upstream.add("/pypistats/packages/bad/recent", Reply({"x": 1}, status=500))
    run("--source", "downloads", exit_code=0)
    assert states(ok) == {"pypistats": ("fetched", "")}
    assert states(bad) == {"pypistats": ("failed", "http_500")}
    assert SourceRun.objects.get().source == "pypistats"


def test_freshness_reads_in_words():
    now = timezone.now()
    stars = FetchState(
        source="github",
        outcome="fetched",
        succeeded_at=now - timedelta(hours=3),
        next_due=now + timedelta(hours=21),
    )
    downloads = FetchState(
        source="pypistats",
        outcome="failed",
        reason="http_500",
        succeeded_at=now - timedelta(days=2),
        next_due=now + timedelta(hours=22),
    )
    words = freshness_words([stars, downloads], now)
    assert words == (
        "stars fetched 3 hours ago, next in 21 hours; "
        "downloads 2 days ago, failing (http_500), next in 22 hours"
    )
