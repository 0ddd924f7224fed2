"""pypistats.org downloads against a local fake: a pass of their own (the main fetch never waits
for them), most-viewed first, stored and shown; a failure keeps the old count and is counted in
that pass alone; a fresh count is not asked again; the request budget is honoured."""

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
from tests.checksums import fetch_state_of
from tests.factories import PackageFactory, UserFactory
from tests.packages.conftest import Reply, serve_pypi

RECENT = {
    "data": {"last_day": 120, "last_week": 900, "last_month": 3456},
    "package": "django-widgets",
    "type": "recent_downloads",
}


def fetch(*args, exit_code=0):
    out = StringIO()
    code = 0
    try:
        call_command("fetch_stats", "--json", *args, stdout=out)
    except SystemExit as exc:
        code = exc.code
    assert code == exit_code
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


def serve_recent(upstream, name, month=3456):
    body = dict(RECENT, package=name, data=dict(RECENT["data"], last_month=month))
    upstream.json(f"/pypistats/packages/{name}/recent", body)


@pytest.mark.django_db(transaction=True)
def test_a_default_run_asks_pypistats_nothing_so_it_never_sets_the_pace(stats_settings, upstream):
    stats_settings.PYPISTATS_REQUESTS_PER_SECOND = 1
    for n in range(4):
        serve_pypi(upstream, f"p{n}")
        serve_recent(upstream, f"p{n}")
        PackageFactory(slug=f"p{n}", repo_url="", pypi_url=f"p{n}")

    summary = fetch("--workers", "4")

    assert summary["fetched"] == 4
    assert pypistats_paths(upstream) == []
    assert "pypistats" not in summary["calls_by_host"]
    assert set(Package.objects.values_list("pypi_version", flat=True)) == {"1.10"}


@pytest.mark.django_db
def test_the_downloads_pass_asks_most_viewed_first_and_writes_only_the_counts(
    stats_settings, upstream, client
):
    popularity = {"quiet": (0, 3), "starred": (0, 900), "downloaded": (50_000, 10)}
    for slug, (downloads, stars) in popularity.items():
        serve_recent(upstream, slug, month=7)
        PackageFactory(
            slug=slug,
            repo_url="",
            pypi_url=slug,
            pypi_downloads=downloads,
            repo_watchers=stars,
        )

    summary = fetch("--source", "downloads", "--workers", "1")

    assert pypistats_paths(upstream) == [
        f"/pypistats/packages/{slug}/recent" for slug in ("downloaded", "starred", "quiet")
    ]
    assert [p for p in upstream.paths() if not p.startswith("/pypistats/")] == []
    assert (summary["source"], summary["selected"], summary["fetched"]) == ("downloads", 3, 3)
    assert summary["calls_by_host"] == {"pypistats": 3}
    for package in Package.objects.all():
        assert package.pypi_downloads == 7
        assert package.pypi_downloads_at is not None
        assert package.last_fetched is None  # the repository and PyPI data have their own pass
        assert package.pypi_version is None
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    widgets = Package.objects.get(slug="quiet")
    page = client.get(reverse("admin:packages_package_change", args=[widgets.pk]))
    assert ">7<" in page.content.decode().replace(" ", "")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (Reply({"message": "down"}, status=500), "http_500"),
        (Reply({"message": "gone"}, status=404), "not_found"),
        (Reply({"data": {"last_month": "many"}}), "bad_data"),
        (Reply("<html>maintenance</html>"), "invalid_json"),
    ],
    ids=["500", "404", "bad count", "html"],
)
def test_a_failure_is_counted_in_the_downloads_pass_and_keeps_everything(
    widgets, upstream, reply, reason
):
    long_ago = timezone.now() - timedelta(days=3)
    Package.objects.filter(pk=widgets.pk).update(
        pypi_downloads=42, pypi_downloads_at=long_ago, pypi_downloads_checked_at=long_ago
    )
    upstream.add("/pypistats/packages/django-widgets/recent", reply)

    summary = fetch("--source", "downloads", exit_code=2)  # every package asked failed

    widgets.refresh_from_db()
    assert (summary["failed"], summary["failed_by_reason"]) == (1, {reason: 1})
    assert (widgets.pypi_downloads, widgets.pypi_downloads_at) == (42, long_ago)
    state = fetch_state_of(widgets)
    assert (state.failures, state.error, widgets.last_fetched) == (0, "", None)
    # Asked: not again before its day is over, whatever the answer was.
    assert widgets.pypi_downloads_checked_at > long_ago
    assert fetch("--source", "downloads")["selected"] == 0


@pytest.mark.django_db
def test_a_count_asked_less_than_a_day_ago_is_not_asked_again(widgets, upstream):
    serve_recent(upstream, "django-widgets")
    assert fetch("--source", "downloads")["fetched"] == 1
    assert fetch("--source", "downloads")["selected"] == 0
    assert len(pypistats_paths(upstream)) == 1
    day_ago = timezone.now() - timedelta(hours=25)
    Package.objects.update(pypi_downloads_checked_at=day_ago)
    assert fetch("--source", "downloads")["unchanged"] == 1
    assert len(pypistats_paths(upstream)) == 2
    # Named packages are asked whatever their age, as for the other sources.
    assert fetch("--source", "downloads", "widgets")["unchanged"] == 1
    assert len(pypistats_paths(upstream)) == 3


@pytest.mark.django_db
def test_an_empty_url_turns_the_source_off(widgets, upstream, stats_settings):
    stats_settings.PYPISTATS_URL = ""
    fetch()
    summary = fetch("--source", "downloads")
    assert pypistats_paths(upstream) == []
    assert summary["fetched"] == 0
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
        upstream.add(f"/pypistats/packages/p{n}/recent", recent)
        PackageFactory(slug=f"p{n}", repo_url="", pypi_url=f"p{n}")

    summary = fetch("--source", "downloads", "--workers", "5")

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


@pytest.mark.django_db
def test_a_count_left_unasked_by_a_stopped_host_is_due_again_at_once(widgets, upstream):
    limited = Reply({"message": "slow down"}, status=429, headers={"Retry-After": "3600"})
    upstream.add("/pypistats/packages/django-widgets/recent", limited)

    summary = fetch("--source", "downloads")

    assert (summary["skipped"], summary["failed"]) == (1, 0)
    assert list(summary["stopped_hosts"]) == ["pypistats"]
    widgets.refresh_from_db()
    assert widgets.pypi_downloads_checked_at is None
    serve_recent(upstream, "django-widgets")
    assert fetch("--source", "downloads")["fetched"] == 1
