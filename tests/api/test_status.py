"""`GET /api/v4/status/` and `/api/v4/packages/{id}/freshness/` after real runs against a
local fake upstream, and the percentiles on hand-made states."""

import json
import time
from datetime import timedelta
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone

from api.status_views import STATUS_CACHE_KEY
from packages.fetch.models import FetchState, PackageFetchState
from tests.factories import PackageFactory
from tests.packages.conftest import Reply, serve_github_repo, serve_pypi

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _uncached_status(settings):
    settings.STATUS_CACHE_SECONDS = 0


@pytest.fixture
def fetched(fetch_settings, upstream):
    """widgets (GitHub and PyPI) fetched; bad (PyPI only) failing with a 502."""
    serve_github_repo(upstream)
    serve_pypi(upstream)
    upstream.add("/pypi/pypi/bad/json", Reply("<html>502</html>", status=502))
    widgets = PackageFactory(
        slug="widgets", repo_url="https://github.com/octo/widgets", pypi_url="django-widgets"
    )
    PackageFactory(slug="bad", repo_url="", pypi_url="bad")
    PackageFactory(slug="later", repo_url="https://gitlab.com/o/later", pypi_url="")
    out = StringIO()
    call_command("fetch_stats", "--json", "widgets", "bad", stdout=out)
    return widgets, json.loads(out.getvalue())


def test_status_shows_exactly_what_the_run_fetched(fetched, client):
    _widgets, summary = fetched
    assert (summary["fetched"], summary["failed_by_reason"]) == (1, {"http_502": 1})
    body = client.get("/api/v4/status/").json()
    github, pypi, gitlab = (body["sources"][name] for name in ("github", "pypi", "gitlab"))
    assert (github["covered"], github["fetched_24h"], github["fetched_7d"]) == (1, 1, 1)
    assert (github["failing"], github["never_fetched"]) == (0, 0)
    assert (pypi["covered"], pypi["fetched_24h"], pypi["failing"]) == (2, 1, 1)
    assert pypi["failing_by_reason"] == {"http_502": 1}
    assert pypi["never_fetched"] == 1  # bad never succeeded
    assert (gitlab["covered"], gitlab["fetched_24h"], gitlab["never_fetched"]) == (1, 0, 1)
    assert gitlab["stale_hours"] == {"p50": None, "p90": None, "p99": None}
    assert 0 <= github["stale_hours"]["p99"] < 0.1
    assert github["last_run"]["started_at"] <= github["last_run"]["finished_at"]
    sources = ["github", "gitlab", "bitbucket", "codeberg", "pypi", "pypistats"]
    assert list(body["sources"]) == sources
    assert body["queue"] == {"waiting": 0, "running": 0, "oldest_waiting_s": None}


def test_stale_hours_are_percentiles_of_the_last_successes(client):
    now = timezone.now()
    for hours in (1, 2, 3, 4, 5):
        package = PackageFactory(pypi_url=f"p{hours}")
        FetchState.objects.create(
            package=package,
            source="pypi",
            fetched_at=now,
            outcome="unchanged",
            succeeded_at=now - timedelta(hours=hours),
        )
    stale = client.get("/api/v4/status/").json()["sources"]["pypi"]["stale_hours"]
    # percentile_cont over 1..5 hours: p50 3, p90 4.6, p99 4.96 (a few seconds have passed)
    assert stale["p50"] == pytest.approx(3, abs=0.01)
    assert stale["p90"] == pytest.approx(4.6, abs=0.01)
    assert stale["p99"] == pytest.approx(4.96, abs=0.01)


def test_queue_counts_waiting_and_running_refreshes(client):
    now = timezone.now()
    for minutes, state in ((10, "queued"), (3, "queued"), (1, "running"), (0, "idle")):
        PackageFetchState.objects.create(
            package=PackageFactory(), state=state, queued_at=now - timedelta(minutes=minutes)
        )
    queue = client.get("/api/v4/status/").json()["queue"]
    assert (queue["waiting"], queue["running"]) == (2, 1)
    assert 600 <= queue["oldest_waiting_s"] < 660


def test_freshness_per_source(fetched, client):
    widgets, _summary = fetched
    body = client.get(f"/api/v4/packages/{widgets.slug}/freshness/").json()
    assert body["package"] == "widgets"
    assert list(body["sources"]) == ["github", "pypi"]
    github = body["sources"]["github"]
    assert (github["outcome"], github["reason"], github["error"]) == ("fetched", "", "")
    assert github["next_due"] > github["fetched_at"] == github["succeeded_at"]
    assert body["summary"].startswith("stars fetched 0 minutes ago, next in 23 hours")
    bad = client.get("/api/v4/packages/bad/freshness/").json()["sources"]["pypi"]
    assert (bad["outcome"], bad["reason"], bad["succeeded_at"]) == ("failed", "http_502", None)
    assert "502" in bad["error"]


def test_freshness_of_an_unknown_package_is_a_404_with_a_message(client):
    for pk in ("nope", "12345", "%00"):
        response = client.get(f"/api/v4/packages/{pk}/freshness/")
        assert response.status_code == 404
        assert "detail" in response.json()


def test_browsable_pages_show_freshness_in_words_and_a_chart_per_source(fetched, client):
    widgets, _summary = fetched
    page = client.get(f"/api/v4/packages/{widgets.pk}/freshness/?format=api").content.decode()
    assert "Stars fetched 0 minutes ago, next in 23 hours; releases 0 minutes ago" in page
    page = client.get("/api/v4/status/?format=api").content.decode()
    assert page.count("<svg") >= 6
    assert "pypi: 2 covered; 24 h 1, 7 days 0, older 0, never 1" in page
    assert "<script>" not in page.split("dp-status", 1)[1].split("</section>", 1)[0]


def test_the_package_page_says_how_fresh_its_figures_are(fetched, client):
    widgets, _summary = fetched
    page = client.get(f"/api/v4/packages/{widgets.pk}/?format=api").content.decode()
    assert '<p class="dp-freshness">Stars fetched 0 minutes ago, next in 23 hours;' in page
    later = client.get("/api/v4/packages/later/?format=api").content.decode()
    assert '<p class="dp-freshness">Not fetched yet.</p>' in later


def test_the_status_is_aggregated_once_per_cache_period(settings, client, monkeypatch):
    settings.STATUS_CACHE_SECONDS = 60
    first = client.get("/api/v4/status/").json()
    PackageFactory(pypi_url="new")  # counted only once the cached document is older
    assert client.get("/api/v4/status/").json() == first
    clock = [0.0]
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + clock[0])
    clock[0] = 61
    later = client.get("/api/v4/status/").json()
    assert later["sources"]["pypi"]["covered"] == first["sources"]["pypi"]["covered"] + 1


def test_a_stale_status_is_served_while_another_request_refreshes_it(settings, client):
    settings.STATUS_CACHE_SECONDS = 60
    first = client.get("/api/v4/status/").json()
    entry = cache.get(STATUS_CACHE_KEY)
    cache.set(STATUS_CACHE_KEY, {**entry, "at": entry["at"] - 120})  # out of date
    cache.add(f"{STATUS_CACHE_KEY}:refreshing", 1)  # someone else is on it
    PackageFactory(pypi_url="new")
    assert client.get("/api/v4/status/").json() == first
    cache.delete(f"{STATUS_CACHE_KEY}:refreshing")
    assert client.get("/api/v4/status/").json()["sources"]["pypi"]["covered"] == 1
