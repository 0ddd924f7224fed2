"""A refresh whose worker dies is not lost: real `db_worker` processes killed with SIGKILL, or
stopped by two SIGTERMs, leave no refresh "running"; the next worker retries it once; the
worker's heartbeat drives `manage.py worker_health`."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from packages.fetch.models import PackageFetchState
from packages.models import WorkerHeartbeat
from packages.tasks import recover_lost_refreshes, refresh_package
from tests.factories import PackageFactory
from tests.packages.conftest import serve_github_repo, serve_pypi

ROOT = Path(__file__).resolve().parents[2]

SETUP = """
from categories.models import Category
from packages.models import Package
category = Category.objects.create(title="App", slug="apps")
for name in {names!r}:
    Package.objects.create(title=name, slug=name, category=category,
                           repo_url=f"https://github.com/octo/{{name}}", pypi_url=name)
"""


class Site:
    """A project on a temporary SQLite file, its upstreams on the test's fake."""

    def __init__(self, tmp_path, upstream, names):
        self.path = tmp_path / "db.sqlite3"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "FETCH_"))},
            "DJANGO_SETTINGS_MODULE": "djangopackages.settings",
            "DJANGOPACKAGES_DOTENV": "0",
            "DEBUG": "0",
            "SECRET_KEY": "recovery-test-only-not-secret-0123456789abcdefghijklmnopqrstuvwxyz",
            "DATABASE_URL": f"sqlite:///{self.path}",
            "REDIS_URL": "",
            "TASKS_BACKEND": "database",
            "GITHUB_API_URL": f"{upstream.url}/github",
            "PYPI_URL": f"{upstream.url}/pypi",
            "PYPISTATS_URL": "",
            "FETCH_MAX_WAIT": "0",
            "FETCH_READ_TIMEOUT": "60",
            "FETCH_DEADLINE": "60",
            "TASK_HEARTBEAT_SECONDS": "1",
            "TASK_LOST_AFTER_SECONDS": "3",
            "LOG_LEVEL": "ERROR",
        }
        self.workers = []
        self.logs = []
        self.manage("migrate", "--noinput")
        self.manage("shell", "-c", SETUP.format(names=list(names)))

    def manage(self, *args, check=True):
        return subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *args],
            env=self.env, cwd=ROOT, capture_output=True, text=True, check=check, timeout=120,
        )  # fmt: skip

    def start_worker(self):
        worker = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "db_worker", "--no-reload",
             "--no-startup-delay", "--interval", "0.2"],
            env=self.env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self.workers.append(worker)
        return worker

    def rows(self, sql):
        with sqlite3.connect(self.path, timeout=10) as db:
            return db.execute(sql).fetchall()

    def refreshes(self):
        return self.rows(
            "SELECT p.slug, r.state, r.outcome, r.outcome_reason, r.retries, r.queued_by"
            " FROM fetch_packagefetchstate r JOIN packages_package p ON p.id = r.package_id"
            " ORDER BY p.slug"
        )

    def tasks(self):
        return self.rows(
            "SELECT status, exception_class_path FROM django_tasks_database_dbtaskresult"
            " ORDER BY enqueued_at"
        )

    def wait_for(self, condition, what, seconds=60, log=None):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.1)
        output = Path(log).read_text()[-2000:] if log else ""
        raise AssertionError(
            f"timed out waiting for {what}: {self.refreshes()} {self.tasks()} {output}"
        )

    def log(self, name):
        log = open(self.path.parent / name, "w")  # noqa: SIM115 (closed by close())
        self.logs.append(log)
        return log

    def close(self):
        for worker in self.workers:
            if worker.poll() is None:
                worker.kill()
            worker.wait()
        for log in self.logs:
            log.close()


def stall_repos(upstream, names):
    """Each repository's first request blocks until `release` is set; `arrived` counts them."""
    import threading

    release, arrived = threading.Event(), []
    for name in names:
        path = f"/github/repos/octo/{name}"
        reply = upstream.routes[path][0]

        def stalled(handler, path=path, reply=reply):
            arrived.append(path)
            release.wait(60)
            upstream.routes[path] = [reply]
            upstream.handle(handler)

        upstream.add(path, stalled)
    return release, arrived


@pytest.fixture
def site_for(tmp_path, upstream):
    sites = []

    def make(names):
        for name in names:
            serve_github_repo(upstream, f"octo/{name}")
            serve_pypi(upstream, name)
        site = Site(tmp_path, upstream, names)
        sites.append(site)
        return site

    yield make
    for site in sites:
        site.close()


@pytest.mark.slow
def test_a_refresh_whose_worker_was_killed_is_retried_by_the_next_worker(site_for, upstream):
    site = site_for(["widgets"])
    release, arrived = stall_repos(upstream, ["widgets"])
    try:
        site.manage("fetch_stats", "--enqueue", "widgets")
        first = site.start_worker()
        site.wait_for(lambda: arrived, "the worker to reach the upstream")
        first.send_signal(signal.SIGKILL)
        first.wait()
        assert site.refreshes() == [("widgets", "running", "", "", 0, "command")]
    finally:
        release.set()

    site.start_worker()  # as a supervisor restarts it
    site.wait_for(
        lambda: site.refreshes() == [("widgets", "idle", "fetched", "", 1, "retry")],
        "the lost refresh to be retried and fetched",
    )
    # The worker marks its task row done just after the refresh rows.
    site.wait_for(
        lambda: (
            site.tasks()
            == [
                ("FAILED", "packages.tasks.WorkerLostError"),
                ("SUCCESSFUL", ""),
            ]
        ),
        "the lost task failed and the retry's done",
    )
    assert site.rows("SELECT last_fetched IS NOT NULL, repo_watchers FROM packages_package") == [
        (1, 120)
    ]


@pytest.mark.slow
def test_two_sigterms_leave_no_refresh_running_and_queue_them_again(site_for, upstream):
    names = ["alpha", "beta", "gamma"]
    site = site_for(names)
    release, arrived = stall_repos(upstream, names)
    try:
        site.manage("fetch_stats", "--enqueue", *names)
        worker = site.start_worker()
        site.wait_for(lambda: len(arrived) == 3, "the worker to reach the three upstreams")
        worker.send_signal(signal.SIGTERM)  # finish the task, then exit ...
        time.sleep(0.5)
        worker.send_signal(signal.SIGTERM)  # ... no: drop it now
        worker.wait(30)  # django-tasks-db records the task failed, then exits
    finally:
        release.set()

    assert site.refreshes() == [
        (name, "queued", "failed", "interrupted", 1, "retry") for name in names
    ]
    assert site.tasks()[0] == ("FAILED", "builtins.SystemExit")
    site.start_worker()
    site.wait_for(
        lambda: {row[1:3] for row in site.refreshes()} == {("idle", "fetched")},
        "the interrupted refreshes to be fetched",
    )


@pytest.mark.slow
def test_worker_health_follows_the_workers_heartbeat(site_for):
    site = site_for([])
    none = site.manage("worker_health", check=False)
    assert none.returncode == 1
    assert none.stdout.startswith("worker_health: unhealthy: no task worker on ")

    worker = site.start_worker()
    site.wait_for(
        lambda: site.rows("SELECT COUNT(*) FROM packages_workerheartbeat")[0][0], "a beat"
    )
    alive = site.manage("worker_health", check=False)
    assert alive.returncode == 0, alive.stdout
    assert alive.stdout.startswith(f"worker_health: healthy: task worker pid {worker.pid} on ")
    assert alive.stdout.count("\n") == 1

    worker.send_signal(signal.SIGKILL)
    worker.wait()
    time.sleep(3.5)  # TASK_LOST_AFTER_SECONDS=3
    dead = site.manage("worker_health", check=False)
    assert dead.returncode == 1
    assert "has beaten in the last 3s (last: pid" in dead.stdout

    stopped = site.start_worker()
    site.wait_for(
        lambda: site.manage("worker_health", check=False).returncode == 0, "the new worker"
    )
    stopped.send_signal(signal.SIGTERM)  # a clean stop removes its heartbeat
    assert stopped.wait(30) == 0
    assert site.rows("SELECT pid FROM packages_workerheartbeat") == [(worker.pid,)]


@pytest.mark.slow
def test_a_refresh_whose_rq_work_horse_was_killed_is_retried(site_for, upstream, redis_url):
    site = site_for(["widgets"])
    site.env.update(TASKS_BACKEND="rq", TASKS_REDIS_URL=redis_url.rsplit("/", 1)[0] + "/9")
    release, arrived = stall_repos(upstream, ["widgets"])
    log = site.log("rqworker.log")
    worker = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "rqworker", "default",
         "--job-class", "django_tasks_rq.Job"],
        env=site.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    site.workers.append(worker)
    try:
        site.manage("fetch_stats", "--enqueue", "widgets")
        site.wait_for(lambda: arrived, "the work horse to reach the upstream", log=log.name)
        children = Path(f"/proc/{worker.pid}/task/{worker.pid}/children").read_text().split()
        assert len(children) == 1, children
        os.kill(int(children[0]), signal.SIGKILL)
    finally:
        release.set()

    site.wait_for(
        lambda: site.refreshes() == [("widgets", "idle", "fetched", "", 1, "retry")],
        "the rq worker to recover the refresh and fetch it again",
    )
    assert worker.poll() is None  # the worker itself lives on
    assert site.rows("SELECT repo_watchers FROM packages_package") == [(120,)]


def refresh_row(package, *, silent_for, retries=0, token="t"):
    beat = timezone.now() - timedelta(seconds=silent_for)
    return PackageFetchState.objects.create(
        package=package,
        state=PackageFetchState.State.RUNNING,
        token=token,
        started_at=beat,
        heartbeat_at=beat,
        retries=retries,
    )


@pytest.mark.django_db
def test_recovery_gives_up_silent_refreshes_retries_each_once_and_leaves_beating_ones():
    silent, retried, beating = PackageFactory.create_batch(3)
    refresh_row(silent, silent_for=120, token="a")
    PackageFetchState.objects.filter(pk=silent.pk).update(
        lease_until=timezone.now() + timedelta(minutes=9)
    )
    refresh_row(retried, silent_for=120, retries=1, token="b")
    refresh_row(beating, silent_for=5, token="c")

    recovered = recover_lost_refreshes()

    assert sorted(recovered) == sorted([silent.pk, retried.pk])
    rows = {r.package_id: r for r in PackageFetchState.objects.all()}
    assert (rows[silent.pk].state, rows[silent.pk].queued_by, rows[silent.pk].retries) == (
        "queued",
        "retry",
        1,
    )
    assert (rows[silent.pk].outcome, rows[silent.pk].outcome_reason) == ("failed", "worker_lost")
    assert rows[silent.pk].outcome_error.endswith("; queued again")
    assert rows[silent.pk].lease_until is None
    assert (rows[retried.pk].state, rows[retried.pk].outcome) == ("idle", "failed")
    assert rows[retried.pk].outcome_error.endswith("; given up after 1 retries")
    assert (rows[beating.pk].state, rows[beating.pk].outcome) == ("running", "")
    assert DBTaskResult.objects.count() == 1  # the one retry
    assert recover_lost_refreshes() == []  # each lost refresh is recovered once


@pytest.mark.django_db
def test_recovery_fails_database_task_rows_whose_worker_stopped_beating():
    package = PackageFactory()
    long_ago = timezone.now() - timedelta(minutes=5)
    for worker_id in ("dead-worker", "live-worker"):
        task = refresh_package.enqueue(package.pk, worker_id)
        DBTaskResult.objects.filter(pk=task.id).update(
            status="RUNNING", started_at=long_ago, worker_ids=[worker_id]
        )
    WorkerHeartbeat.objects.create(worker_id="live-worker", hostname="here", pid=1)

    recover_lost_refreshes()

    states = dict(DBTaskResult.objects.values_list("args_kwargs__args__1", "status"))
    assert states == {"dead-worker": "FAILED", "live-worker": "RUNNING"}
    failed = DBTaskResult.objects.get(status="FAILED")
    assert failed.exception_class_path == "packages.tasks.WorkerLostError"
