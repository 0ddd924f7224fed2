"""Background refreshes: the admin action queues at once, `db_worker` fetches from a local fake,
a package is queued once while pending, and failures are recorded and shown in the admin."""

import contextlib
import signal
import threading
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.messages import get_messages
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from packages.fetch.claims import Claims
from packages.fetch.config import FetcherConfig
from packages.fetch.models import PackageFetchState
from packages.fetch.run import FetchRun, build_clients
from packages.models import Package
from packages.tasks import RefreshQueueError, enqueue_refresh, run_refresh
from tests.factories import PackageFactory, UserFactory
from tests.packages.conftest import Reply, serve_github_repo, serve_pypi
from tests.packages.fetch.test_fetch_stats import closed_port

# The worker and the fetcher's threads use their own connections: data must be committed.
pytestmark = pytest.mark.django_db(transaction=True)

State = PackageFetchState.State


@pytest.fixture(autouse=True)
def _keep_signal_handlers():
    """db_worker installs its own SIGINT/SIGTERM handlers in the process that runs it."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def run_worker():
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", stdout=StringIO())


@pytest.fixture
def three(fetch_settings, upstream):
    packages = []
    for name in ("alpha", "beta", "gamma"):
        serve_github_repo(upstream, f"octo/{name}")
        serve_pypi(upstream, name)
        packages.append(
            PackageFactory(slug=name, repo_url=f"https://github.com/octo/{name}", pypi_url=name)
        )
    return packages


@pytest.fixture
def staff(client):
    client.force_login(UserFactory(username="curator", is_staff=True, is_superuser=True))
    return client


def post_fetch_action(client, packages):
    return client.post(
        reverse("admin:packages_package_changelist"),
        {"action": "fetch_stats_now", "_selected_action": [p.pk for p in packages]},
    )


def test_admin_action_answers_at_once_and_db_worker_fetches_the_three(three, staff, upstream):
    response = post_fetch_action(staff, three)

    assert response.status_code == 302
    assert [m.message for m in get_messages(response.wsgi_request)] == [
        "Queued 3 packages; a worker fetches them."
    ]
    assert upstream.requests == []  # nothing was fetched inside the request
    assert not Package.objects.filter(last_fetched__isnull=False).exists()
    assert list(PackageFetchState.objects.values_list("state", flat=True)) == [State.QUEUED] * 3
    assert DBTaskResult.objects.get().status == "READY"

    run_worker()

    for package in three:
        package.refresh_from_db()
        assert package.last_fetched is not None
        assert package.repo_watchers == 120
        assert package.pypi_version == "1.10"
    fetched = {path.split("/")[4] for path in upstream.paths() if path.startswith("/github/repos")}
    assert fetched == {"alpha", "beta", "gamma"}
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
    rows = PackageFetchState.objects.values_list("state", "outcome")
    assert list(rows) == [(State.IDLE, "fetched")] * 3


def test_the_change_list_and_page_show_the_refresh_state(three, staff):
    post_fetch_action(staff, three[:1])
    changelist = staff.get(reverse("admin:packages_package_changelist")).content.decode()
    assert "queued 0\xa0minutes ago by admin" in changelist
    run_worker()
    page = staff.get(reverse("admin:packages_package_change", args=[three[0].pk]))
    assert "last: fetched, 0\xa0minutes ago" in page.content.decode()


def test_a_package_is_queued_once_while_pending(three):
    first = enqueue_refresh([three[0].pk, three[1].pk], by="admin")
    second = enqueue_refresh([three[0].pk, three[2].pk], by="command")

    assert first.queued == [three[0].pk, three[1].pk]
    assert second.queued == [three[2].pk]
    assert second.already_queued == [three[0].pk]
    assert second.message() == "Queued 1 package; a worker fetches them. 1 already queued."
    assert DBTaskResult.objects.count() == 2
    run_worker()
    # Once the worker took it, the package can be queued again.
    assert enqueue_refresh([three[0].pk], by="admin").queued == [three[0].pk]


def test_large_selections_are_split_into_batches(three, settings):
    settings.FETCH_TASK_BATCH_SIZE = 2
    queued = enqueue_refresh([p.pk for p in three], by="admin")
    tasks = DBTaskResult.objects.order_by("enqueued_at")
    assert [t.task_path.rsplit(".", 1)[1] for t in tasks] == ["refresh_packages", "refresh_package"]
    assert len(queued.task_ids) == 2
    run_worker()
    assert Package.objects.filter(last_fetched__isnull=False).count() == 3


def test_a_failed_fetch_is_recorded_with_its_reason_and_shown(three, staff, upstream):
    upstream.add("/github/repos/octo/alpha", Reply({"message": "boom"}, status=500))
    post_fetch_action(staff, three[:1])
    run_worker()

    row = PackageFetchState.objects.get(package=three[0])
    assert (row.state, row.outcome, row.outcome_reason) == (State.IDLE, "failed", "http_500")
    assert "HTTP 500" in row.outcome_error
    page = staff.get(reverse("admin:packages_package_change", args=[three[0].pk])).content
    assert "last: failed (http_500)" in page.decode()


def test_a_task_that_fails_records_the_reason_on_its_packages(three, staff, settings):
    settings.GITHUB_API_URL = "file:///etc"
    post_fetch_action(staff, three[:2])
    run_worker()

    task = DBTaskResult.objects.get()
    assert task.status == "FAILED"
    assert task.exception_class_path == "django.core.exceptions.ImproperlyConfigured"
    rows = PackageFetchState.objects.order_by("package_id")
    assert {(r.state, r.outcome, r.outcome_reason) for r in rows} == {
        (State.IDLE, "failed", "task_error")
    }
    assert "GITHUB_API_URL must be an http(s) URL" in rows[0].outcome_error
    page = staff.get(reverse("admin:packages_package_change", args=[three[0].pk])).content
    assert "GITHUB_API_URL must be an http(s) URL" in page.decode()


def test_a_refused_enqueue_is_an_admin_error_and_leaves_nothing_queued(three, staff, monkeypatch):
    def refuse(self, task, args, kwargs):
        raise ConnectionError("queue is down")

    monkeypatch.setattr(DatabaseBackend, "enqueue", refuse)
    response = post_fetch_action(staff, three[:1])

    assert [m.message for m in get_messages(response.wsgi_request)] == [
        "Could not queue: the task queue refused the work (queue is down)"
    ]
    row = PackageFetchState.objects.get()
    assert (row.state, row.outcome, row.outcome_reason) == (State.IDLE, "failed", "enqueue")
    with pytest.raises(RefreshQueueError):
        enqueue_refresh([three[0].pk], by="admin")


@contextlib.contextmanager
def held_by_another_fetch(package):
    """What a concurrent cron run holds: an advisory lock on PostgreSQL, a lease elsewhere."""
    if connection.vendor != "postgresql":
        until = timezone.now() + timedelta(minutes=5)
        PackageFetchState.objects.update_or_create(package=package, defaults={"lease_until": until})
        yield
        return
    locked, release = threading.Event(), threading.Event()

    def hold():
        claims = Claims(FetcherConfig.from_settings(), started=timezone.now())
        with claims.claim(package.pk, write_lock=contextlib.nullcontext()) as claimed:
            assert claimed is not None
            locked.set()
            release.wait(30)
        connections.close_all()

    holder = threading.Thread(target=hold)
    holder.start()
    locked.wait(10)
    try:
        yield
    finally:
        release.set()
        holder.join()


def test_a_package_another_fetch_holds_is_recorded_as_skipped(three):
    enqueue_refresh([three[0].pk], by="admin")
    with held_by_another_fetch(three[0]):
        run_worker()
    row = PackageFetchState.objects.get()
    assert (row.state, row.outcome) == (State.IDLE, "skipped")
    assert Package.objects.get(pk=three[0].pk).last_fetched is None


def test_a_run_reports_each_package_by_id_and_which_it_never_claimed(three):
    """What the task records by: ids from the run itself, no slug in between."""
    reported = {}
    config = FetcherConfig.from_settings(workers=1)
    clients = build_clients(config)
    run = FetchRun(clients, config, explicit=True, on_done=reported.__setitem__)
    try:
        with held_by_another_fetch(three[0]):
            run.run(run.select(ids=[three[0].pk, three[1].pk]))
    finally:
        clients.close()

    assert sorted(reported) == sorted([three[0].pk, three[1].pk])
    assert (reported[three[0].pk].status, reported[three[0].pk].is_claimed) == ("skipped", False)
    assert (reported[three[1].pk].status, reported[three[1].pk].is_claimed) == ("fetched", True)


def test_fetch_stats_enqueue_hands_the_stale_packages_to_the_workers(three, upstream):
    Package.objects.filter(pk=three[2].pk).update(last_fetched=timezone.now())
    out = StringIO()
    call_command("fetch_stats", "--enqueue", stdout=out)

    assert out.getvalue().strip() == "fetch_stats: Queued 2 packages; a worker fetches them."
    assert upstream.requests == []
    run_worker()
    fetched = Package.objects.filter(last_fetched__isnull=False).exclude(pk=three[2].pk)
    assert sorted(fetched.values_list("slug", flat=True)) == ["alpha", "beta"]
    assert Package.objects.get(pk=three[0].pk).repo_watchers == 120


def test_fetch_stats_enqueue_refuses_a_dry_run(three):
    with pytest.raises(CommandError, match="--enqueue fetches every source for real"):
        call_command("fetch_stats", "--enqueue", "--dry-run", stdout=StringIO())
    assert not DBTaskResult.objects.exists()


@pytest.mark.postgres
def test_two_enqueues_at_the_same_moment_queue_a_package_once(three):
    """The admin and a webhook at once: the row lock makes the second see the first's queue."""
    if connection.vendor != "postgresql":
        # The SQLite test database lives in memory with a shared cache, whose table locks fail
        # at once instead of waiting (a file database waits on BEGIN IMMEDIATE).
        pytest.skip("needs PostgreSQL's row locks")
    PackageFetchState.objects.create(package=three[0])  # refreshed before: its row exists
    barrier = threading.Barrier(2)
    results = []

    errors = []

    def enqueue():
        try:
            barrier.wait(10)
            results.append(enqueue_refresh([three[0].pk], by="admin"))
        except Exception as exc:  # reported below, with the thread's reason
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=enqueue) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert errors == []
    assert sorted(len(r.queued) for r in results) == [0, 1]
    assert sorted(len(r.already_queued) for r in results) == [0, 1]
    assert DBTaskResult.objects.count() == 1


def test_packages_left_by_an_unreachable_host_say_unreachable_not_rate_limit(three, fetch_settings):
    fetch_settings.GITHUB_API_URL = f"http://127.0.0.1:{closed_port()}/github"
    enqueue_refresh([p.pk for p in three], by="admin")
    run_worker()

    skipped = PackageFetchState.objects.filter(outcome="skipped")
    assert skipped.count() == 3
    for row in skipped:
        assert row.outcome_error.startswith("host stopped: github: unreachable ("), (
            row.outcome_reason,
            row.outcome_error,
        )


def test_a_refresh_that_ends_leaves_its_package_queued_by_a_newer_enqueue(three, upstream):
    """A webhook queues the package again while an earlier refresh is fetching it: the earlier
    refresh records its outcome, and the newer enqueue still owns the row (queued, then run)."""
    package = three[0]
    enqueue_refresh([package.pk], by="admin")
    first_token = PackageFetchState.objects.get().token
    repo = upstream.routes["/github/repos/octo/alpha"][0]
    newer = []

    def queue_again_then_answer(handler):
        try:
            newer.append(enqueue_refresh([package.pk], by="webhook"))
        finally:
            connections.close_all()
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(repo.body)))
        handler.end_headers()
        handler.wfile.write(repo.body)

    upstream.add("/github/repos/octo/alpha", [queue_again_then_answer, repo])
    run_refresh([package.pk], first_token)

    row = PackageFetchState.objects.get()
    assert newer[0].queued == [package.pk]
    assert (row.outcome, row.state) == ("fetched", State.QUEUED)
    assert row.token not in {"", first_token}
    run_worker()
    row.refresh_from_db()
    assert (row.outcome, row.state) == ("unchanged", State.IDLE)  # the same repository again
    assert upstream.paths().count("/github/repos/octo/alpha") == 2
