"""pypistats.org downloads against a local fake: stored and shown, a failure keeps the old count,
a fresh count is not asked again, and the request budget is honoured."""

import json
import threading
import time
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from packages.fetch.errors import UpstreamDataError
from packages.fetch.pypistats import Pacer, parse_recent
from packages.models import Package
from tests.factories import PackageFactory, UserFactory
from tests.packages.conftest import Reply, serve_pypi

RECENT = {
    "data": {"last_day": 120, "last_week": 900, "last_month": 3456},
    "package": "django-widgets",
    "type": "recent_downloads",
}


def fetch(*args):
    out = StringIO()
    call_command("fetch_stats", "--json", *args, stdout=out)
    return json.loads(out.getvalue().strip().splitlines()[-1])


@pytest.fixture
def stats_settings(fetch_settings, upstream):
    fetch_settings.PYPISTATS_URL = f"{upstream.url}/pypistats"
    fetch_settings.PYPISTATS_REQUESTS_PER_SECOND = 50
    return fetch_settings


@pytest.fixture
def widgets(stats_settings, upstream):
    serve_pypi(upstream)
    return PackageFactory(slug="widgets", repo_url="", pypi_url="django-widgets")


def pypistats_paths(upstream):
    return [p for p in upstream.paths() if p.startswith("/pypistats/")]


@pytest.mark.django_db
def test_downloads_are_stored_with_the_pypi_data_and_shown_in_the_admin(widgets, upstream, client):
    upstream.json("/pypistats/packages/django-widgets/recent", RECENT)

    summary = fetch()

    widgets.refresh_from_db()
    assert summary["fetched"] == 1
    assert widgets.pypi_downloads == 3456
    assert widgets.pypi_downloads_at is not None
    assert widgets.pypi_version == "1.10"
    assert pypistats_paths(upstream) == ["/pypistats/packages/django-widgets/recent"]
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    page = client.get(reverse("admin:packages_package_change", args=[widgets.pk]))
    assert "3456" in page.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "reply",
    [
        Reply({"message": "down"}, status=500),
        Reply({"message": "gone"}, status=404),
        Reply({"data": {"last_month": "many"}}),
        Reply("<html>maintenance</html>"),
    ],
    ids=["500", "404", "bad count", "html"],
)
def test_a_failure_keeps_the_old_count_and_the_fetch_complete(widgets, upstream, reply):
    long_ago = timezone.now() - timedelta(days=3)
    Package.objects.filter(pk=widgets.pk).update(pypi_downloads=42, pypi_downloads_at=long_ago)
    upstream.add("/pypistats/packages/django-widgets/recent", reply)

    summary = fetch("--all")

    widgets.refresh_from_db()
    assert summary["failed"] == 0
    assert (widgets.pypi_downloads, widgets.pypi_downloads_at) == (42, long_ago)
    assert widgets.fetch_failures == 0
    assert widgets.last_fetched is not None
    assert widgets.pypi_version == "1.10"


@pytest.mark.django_db
def test_a_count_younger_than_a_day_is_not_asked_again(widgets, upstream):
    upstream.json("/pypistats/packages/django-widgets/recent", RECENT)
    fetch()
    fetch("--all")
    assert len(pypistats_paths(upstream)) == 1


@pytest.mark.django_db
def test_an_empty_url_turns_the_source_off(widgets, upstream, stats_settings):
    stats_settings.PYPISTATS_URL = ""
    fetch()
    assert pypistats_paths(upstream) == []
    assert Package.objects.get(pk=widgets.pk).pypi_version == "1.10"


@pytest.mark.django_db(transaction=True)
def test_requests_to_pypistats_keep_to_the_rate_with_many_workers(
    stats_settings, upstream, settings
):
    settings.PYPISTATS_REQUESTS_PER_SECOND = 5
    started = []
    lock = threading.Lock()

    def recent(handler):
        with lock:
            started.append(time.monotonic())
        body = json.dumps(RECENT).encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    for n in range(5):
        serve_pypi(upstream, f"p{n}")
        upstream.add(f"/pypistats/packages/p{n}/recent", recent)
        PackageFactory(slug=f"p{n}", repo_url="", pypi_url=f"p{n}")

    summary = fetch("--workers", "5")

    assert summary["fetched"] == 5
    assert len(started) == 5
    # 5 per second: one start every 0.2 s whatever the workers, so the five span 0.8 s (less a
    # little: arrivals at the server jitter by the time a request takes to get there).
    assert max(started) - min(started) >= 0.7
    assert sorted(Package.objects.values_list("pypi_downloads", flat=True)) == [3456] * 5


def test_the_pacer_spaces_request_starts():
    now = [100.0]
    slept = []

    def sleep(seconds):
        slept.append(round(seconds, 3))
        now[0] += seconds

    pacer = Pacer(2, clock=lambda: now[0], sleep=sleep)
    for _ in range(4):
        pacer.wait()
    assert slept == [0.5, 0.5, 0.5]


@pytest.mark.parametrize(
    "document",
    [[], {"data": []}, {"data": {}}, {"data": {"last_month": -1}}, {"data": {"last_month": True}}],
)
def test_malformed_answers_are_upstream_data_errors(document):
    with pytest.raises(UpstreamDataError):
        parse_recent(document)


def test_huge_counts_are_capped_to_the_column():
    assert parse_recent({"data": {"last_month": 10**12}}) == 2_147_483_647
