"""`manage.py fetch_stats` end to end against a local fake upstream, and the admin actions."""

import json
import socket
import time
from datetime import timedelta
from io import StringIO

import pytest
import redis
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from api import documents
from packages.fetch.models import PackageFetchState
from packages.models import Package
from tests.checksums import catalogue_snapshot, fetch_state_of, fetch_state_snapshot
from tests.factories import PackageFactory, UserFactory
from tests.packages.conftest import Reply, fixture, serve_github_repo, serve_pypi

pytestmark = pytest.mark.django_db


def run(*args, exit_code=0):
    """The --json summary of one run, which must end with `exit_code`."""
    out = StringIO()
    if exit_code:
        with pytest.raises(SystemExit) as exited:
            call_command("fetch_stats", "--json", *args, stdout=out, stderr=StringIO())
        assert exited.value.code == exit_code
    else:
        call_command("fetch_stats", "--json", *args, stdout=out, stderr=StringIO())
    return json.loads(out.getvalue())


@pytest.fixture
def widgets(fetch_settings, upstream):
    serve_github_repo(upstream)
    serve_pypi(upstream)
    return PackageFactory(
        slug="widgets", repo_url="https://github.com/octo/widgets", pypi_url="django-widgets"
    )


def test_first_run_fetches_repo_and_pypi(widgets, upstream):
    summary = run()
    widgets.refresh_from_db()
    assert summary["fetched"] == 1
    assert summary["failed"] == 0
    # four calls for the repository, plus one free /rate_limit probe per run
    assert summary["calls_by_host"] == {"github": 5, "pypi": 1}
    assert widgets.repo_watchers == 120
    assert widgets.pypi_version == "1.10"
    assert widgets.last_fetched is not None


def test_second_run_over_unchanged_upstreams_is_all_304s(widgets, upstream):
    run()
    summary = run("--all")
    assert summary["unchanged"] == 1
    assert summary["not_modified"] == 5
    assert summary["calls"] == 6  # and the /rate_limit probe


def test_plain_output_is_one_summary_line(widgets):
    out = StringIO()
    call_command("fetch_stats", stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("fetch_stats: 1 selected, 1 fetched, 0 unchanged")
    assert "github 5" in lines[0]
    assert "304s: 0" in lines[0]


def test_fresh_packages_are_skipped_unless_all(widgets):
    Package.objects.filter(pk=widgets.pk).update(last_fetched=timezone.now())
    assert run()["selected"] == 0
    assert run("--stale-after", "0")["selected"] == 1
    assert run("--all")["selected"] == 1


def test_stalest_first_and_limit(fetch_settings, upstream):
    serve_pypi(upstream, "a")
    serve_pypi(upstream, "b")
    serve_pypi(upstream, "c")
    now = timezone.now()
    PackageFactory(slug="a", repo_url="", pypi_url="a", last_fetched=now - timedelta(days=2))
    PackageFactory(slug="b", repo_url="", pypi_url="b", last_fetched=None)
    PackageFactory(slug="c", repo_url="", pypi_url="c", last_fetched=now - timedelta(days=9))
    assert run("--limit", "2")["fetched"] == 2
    assert upstream.paths() == ["/pypi/pypi/b/json", "/pypi/pypi/c/json"]


def test_one_failing_package_never_stops_the_run(fetch_settings, upstream):
    serve_pypi(upstream, "good")
    upstream.add("/pypi/pypi/bad/json", Reply("<html>502</html>", status=502))
    bad = PackageFactory(slug="bad", repo_url="", pypi_url="bad", pypi_version="0.9")
    PackageFactory(slug="good", repo_url="", pypi_url="good")
    summary = run()
    bad.refresh_from_db()
    assert summary["fetched"] == 1
    assert summary["failed_by_reason"] == {"http_502": 1}
    assert bad.pypi_version == "0.9"
    assert bad.fetch_state.failures == 1
    assert "502" in bad.fetch_state.error


@pytest.mark.parametrize(
    "reply",
    [
        Reply(b'{"info": {"name": "x", "classif'),
        Reply("<html>hello</html>", headers={"Content-Type": "text/html"}),
        Reply({"info": {"classifiers": "not a list"}, "releases": {}}),
    ],
)
def test_html_invalid_json_or_wrong_types_fail_the_package_and_keep_stats(
    fetch_settings, upstream, reply
):
    upstream.add("/pypi/pypi/odd/json", reply)
    odd = PackageFactory(slug="odd", repo_url="", pypi_url="odd", pypi_version="1.0")
    # Intended: the failure is recorded, and the score is recomputed from the kept stats.
    intended = ("score",)
    before = catalogue_snapshot(ignore=intended)
    summary = run(exit_code=2)  # every attempted package failed
    assert catalogue_snapshot(ignore=intended) == before
    odd.refresh_from_db()
    assert summary["failed"] == 1
    assert odd.pypi_version == "1.0"
    assert odd.fetch_state.failures == 1


def test_repeatedly_failing_package_backs_off_until_reset(fetch_settings, upstream):
    upstream.add("/pypi/pypi/bad/json", Reply({"message": "Server Error"}, status=500))
    bad = PackageFactory(slug="bad", repo_url="", pypi_url="bad")
    for _ in range(5):
        run("--all", exit_code=2)
    bad.refresh_from_db()
    assert bad.fetch_state.failures == 5
    assert run("--all")["selected"] == 0  # backed off
    assert run("bad", exit_code=2)["selected"] == 1  # named explicitly: fetched anyway
    PackageFetchState.objects.filter(pk=bad.pk).update(error_at=timezone.now() - timedelta(days=8))
    assert run("--all", exit_code=2)["selected"] == 1  # the backoff expired


def test_missing_repo_is_marked_and_counted(fetch_settings, upstream):
    gone = PackageFactory(slug="gone", repo_url="https://github.com/o/gone", pypi_url="")
    summary = run()
    gone.refresh_from_db()
    assert summary["missing"] == 1
    assert gone.repo_missing_at is not None
    assert gone.last_fetched is not None


def test_unconfigured_repo_host_is_never_contacted(fetch_settings, upstream):
    serve_pypi(upstream)
    package = PackageFactory(repo_url="https://git.evil.example/o/r", pypi_url="django-widgets")
    summary = run()
    package.refresh_from_db()
    assert summary["fetched"] == 1
    assert upstream.paths() == ["/pypi/pypi/django-widgets/json"]


def test_source_limits_packages_and_parts(widgets, upstream):
    summary = run("--source", "pypi")
    widgets.refresh_from_db()
    assert summary["calls_by_host"] == {"pypi": 1}
    assert widgets.pypi_version == "1.10"
    assert widgets.last_fetched is None  # the repository part was not fetched
    assert run("--source", "gitlab")["selected"] == 0


def test_dry_run_fetches_but_writes_nothing(widgets):
    before = catalogue_snapshot(), fetch_state_snapshot()
    summary = run("--dry-run")
    assert (catalogue_snapshot(), fetch_state_snapshot()) == before
    widgets.refresh_from_db()
    assert summary["fetched"] == 1
    assert summary["dry_run"] is True
    assert widgets.last_fetched is None
    assert widgets.repo_watchers != 120


def test_rate_limited_host_is_stopped_and_the_rest_left_for_the_next_run(fetch_settings, upstream):
    reset = str(int(time.time()) + 3600)
    for name in ("a", "b"):
        serve_github_repo(upstream, f"o/{name}")
        PackageFactory(slug=name, repo_url=f"https://github.com/o/{name}", pypi_url="")
    upstream.json(
        "/github/repos/o/a/commits",
        [{"commit": {"committer": {"date": "2024-01-01T00:00:00Z"}}}],
        headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset},
    )
    summary = run("--max-wait", "5")
    assert summary["fetched"] == 1
    assert summary["skipped"] == 1
    assert summary["failed"] == 0
    assert "github" in summary["stopped_hosts"]
    b = Package.objects.get(slug="b")
    b_state = fetch_state_of(b)
    assert (b.last_fetched, b_state.failures) == (None, 0)
    assert b_state.lease_until is None  # claimed, then given back when its host stopped


def test_leased_package_is_left_alone_until_the_lease_expires(widgets, settings):
    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        pytest.skip("PostgreSQL claims packages with advisory locks, not leases")
    PackageFetchState.objects.create(
        package=widgets, lease_until=timezone.now() + timedelta(minutes=5)
    )
    assert run()["skipped"] == 1
    PackageFetchState.objects.filter(pk=widgets.pk).update(
        lease_until=timezone.now() - timedelta(seconds=1)
    )
    assert run()["fetched"] == 1
    widgets.refresh_from_db()
    assert widgets.fetch_state.lease_until is None


def test_unknown_slug_is_a_one_line_error(fetch_settings):
    with pytest.raises(CommandError, match="unknown package slug"):
        call_command("fetch_stats", "nope", stdout=StringIO())


@pytest.mark.parametrize("seconds", ["-5", "nan", "inf"])
def test_a_max_wait_that_is_not_a_number_of_seconds_is_a_one_line_error(fetch_settings, seconds):
    # nan compared false with every reset time: the run waited out any rate limit, however long
    with pytest.raises(CommandError, match=r"^--max-wait must be 0 or more seconds, not "):
        call_command("fetch_stats", "--max-wait", seconds, stdout=StringIO())


def test_bad_setting_is_a_one_line_error(fetch_settings):
    fetch_settings.GITHUB_API_URL = "file:///etc"
    with pytest.raises(CommandError, match="cannot run: GITHUB_API_URL"):
        call_command("fetch_stats", stdout=StringIO())


def test_admin_reset_and_fetch_now_actions(widgets, client):
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    url = reverse("admin:packages_package_changelist")
    PackageFetchState.objects.create(package=widgets, failures=5, error="x")
    response = client.post(
        url, {"action": "reset_fetch_failures", "_selected_action": [widgets.pk]}, follow=True
    )
    assert "Reset the failure count of 1" in response.content.decode()
    widgets.refresh_from_db()
    assert widgets.fetch_state.failures == 0
    # "Fetch stats now" queues the package for a worker (tests/packages/test_tasks.py).
    response = client.post(
        url, {"action": "fetch_stats_now", "_selected_action": [widgets.pk]}, follow=True
    )
    assert "Queued 1 package; a worker fetches them." in response.content.decode()


def closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.django_db(transaction=True)
def test_unreachable_host_is_stopped_and_its_packages_keep_every_stored_value(fetch_settings):
    fetch_settings.GITHUB_API_URL = f"http://127.0.0.1:{closed_port()}/github"
    fetch_settings.FETCH_RETRY_BACKOFF_MS = 500  # the production backoff
    fetch_settings.FETCH_WORKERS = 4
    now = timezone.now()
    for i in range(150):
        package = PackageFactory(
            slug=f"gh{i}",
            repo_url=f"https://github.com/o/gh{i}",
            pypi_url=f"gh{i}",
            repo_watchers=i,
            last_fetched=now - timedelta(days=2),
        )
        PackageFetchState.objects.create(package=package, failures=i % 3)
    before = catalogue_snapshot(), fetch_state_snapshot()
    out, err = StringIO(), StringIO()
    began = time.monotonic()
    with pytest.raises(SystemExit) as exited:
        call_command("fetch_stats", "--json", "-v", "2", stdout=out, stderr=err)
    assert time.monotonic() - began < 30
    assert exited.value.code == 2
    # not one value (lease, failure count...) moved
    assert (catalogue_snapshot(), fetch_state_snapshot()) == before
    summary = json.loads(out.getvalue())
    assert (summary["selected"], summary["skipped"], summary["failed"]) == (150, 150, 0)
    assert summary["calls_by_host"]["github"] <= 3 + 4  # a few tries, not 150 x 4
    assert summary["unreachable_hosts"] == ["github"]
    assert err.getvalue().splitlines() == ["stopped github: unreachable (connection refused)"]


def test_other_hosts_are_fetched_while_one_is_unreachable(fetch_settings, upstream):
    fetch_settings.GITHUB_API_URL = f"http://127.0.0.1:{closed_port()}/github"
    serve_pypi(upstream, "elsewhere")
    PackageFactory(slug="gh", repo_url="https://github.com/o/gh", pypi_url="")
    PackageFactory(slug="elsewhere", repo_url="", pypi_url="elsewhere")
    err = StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("fetch_stats", stdout=StringIO(), stderr=err)
    assert exited.value.code == 2
    assert Package.objects.get(slug="elsewhere").pypi_version == "1.10"
    gh = Package.objects.get(slug="gh")
    gh_state = fetch_state_of(gh)
    assert (gh.last_fetched, gh_state.failures, gh_state.lease_until) == (None, 0, None)
    assert err.getvalue() == "stopped github: unreachable (connection refused)\n"


def test_summary_counts_equal_what_was_stored(fetch_settings, upstream):
    serve_github_repo(upstream, "o/alive")
    serve_github_repo(upstream, "o/frozen", repo=dict(fixture("github_repo.json"), archived=True))
    upstream.add("/pypi/pypi/failing/json", Reply({"message": "boom"}, status=500))
    PackageFactory(slug="alive", repo_url="https://github.com/o/alive", pypi_url="")
    PackageFactory(slug="frozen", repo_url="https://github.com/o/frozen", pypi_url="")
    PackageFactory(slug="gone", repo_url="https://github.com/o/gone", pypi_url="")
    PackageFactory(slug="gone-failing", repo_url="https://github.com/o/gf", pypi_url="failing")
    PackageFactory(slug="unknown", repo_url="", pypi_url="unknown")

    summary = run()
    stored = Package.objects.all()
    assert summary["fetched"] == stored.exclude(fetch_state__failures__gt=0).count() == 3
    assert summary["failed"] == stored.filter(fetch_state__failures__gt=0).count() == 2
    assert summary["missing"] == stored.filter(repo_missing_at__isnull=False).count() == 2
    assert summary["archived"] == stored.filter(repo_archived_at__isnull=False).count() == 1
    unknown = Package.objects.get(slug="unknown")
    assert unknown.fetch_state.error == "pypi: project 'unknown' not found"

    again = run("--all")
    assert (again["fetched"], again["unchanged"], again["failed"]) == (0, 3, 2)
    assert (again["missing"], again["archived"]) == (2, 1)


def test_cache_failing_mid_run_stops_the_run_loudly(widgets, monkeypatch):
    def cache_down(*_args):
        raise redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6399.")

    monkeypatch.setattr(documents, "rebuild", cache_down)  # what a save's receiver calls
    with pytest.raises(CommandError, match=r"^cannot run: ConnectionError: Error 111 connecting"):
        call_command("fetch_stats", "--json", stdout=StringIO(), stderr=StringIO())
    widgets.refresh_from_db()
    assert widgets.last_fetched is None  # the write was rolled back, not half done
