"""Overlapping runs never fetch a package twice (PostgreSQL), and a run killed with SIGKILL then
rerun ends in the same database state as a clean run."""

import contextlib
import hashlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db import connection, connections
from django.urls import reverse

from packages.fetch.config import FetcherConfig
from packages.fetch.run import FetchRun
from packages.fetch.sources import build_clients
from packages.models import Package
from tests.factories import PackageFactory
from tests.packages.conftest import admin_package_form, fixture, serve_pypi

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_never_fetch_the_same_package(fetch_settings, upstream):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (advisory locks)")
    upstream.delay = 0.02
    for i in range(30):
        serve_pypi(upstream, f"p{i}")
        PackageFactory(slug=f"p{i}", repo_url="", pypi_url=f"p{i}")
    runs = []
    for _ in range(2):
        config = FetcherConfig.from_settings(workers=3)
        run = FetchRun(build_clients(config), config)
        runs.append((run, run.select()))
    threads = [threading.Thread(target=run.run, args=(rows,)) for run, rows in runs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    paths = upstream.paths()
    assert sorted(paths) == sorted(f"/pypi/pypi/p{i}/json" for i in range(30))
    fetched = [run.summary.fetched for run, _rows in runs]
    assert sum(fetched) == 30
    assert all(n > 0 for n in fetched)  # both runs did share the work


SETUP = """
from categories.models import Category
from packages.models import Package
category = Category.objects.create(title="App", slug="apps")
for i in range({n}):
    Package.objects.create(title=f"p{{i}}", slug=f"p{{i}}", category=category,
                           repo_url=f"https://github.com/o/p{{i}}", pypi_url=f"p{{i}}")
"""

CHECKSUM_SQL = """
SELECT slug, repo_url, repo_description, repo_watchers, repo_forks, participants,
       commits_over_52, last_updated, repo_archived_at IS NULL, repo_missing_at IS NULL,
       pypi_version, pypi_license, pypi_requires_python, pypi_development_status,
       pypi_classifiers, supports_python3, documentation_url, COALESCE(s.failures, 0),
       last_fetched IS NULL, s.lease_until IS NULL
FROM packages_package p LEFT JOIN fetch_packagefetchstate s ON s.package_id = p.id
ORDER BY slug
"""
VERSIONS_SQL = """
SELECT p.slug, v.number, v.upload_time, v.is_yanked, v.is_prerelease, v.requires_python
FROM packages_version v JOIN packages_package p ON p.id = v.package_id ORDER BY 1, 2
"""


def checksum(path):
    with sqlite3.connect(path) as db:
        rows = db.execute(CHECKSUM_SQL).fetchall() + db.execute(VERSIONS_SQL).fetchall()
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def fetched_count(path):
    with sqlite3.connect(path, timeout=5) as db:
        return db.execute(
            "SELECT COUNT(*) FROM packages_package WHERE last_fetched IS NOT NULL"
        ).fetchone()[0]


def manage(env, *args, **kwargs):
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env, cwd=ROOT, capture_output=True, text=True, check=True, timeout=120, **kwargs,
    )  # fmt: skip


@pytest.mark.slow
def test_killed_run_then_rerun_matches_a_clean_run(tmp_path, upstream):
    count = 24
    for i in range(count):
        path = f"o/p{i}"
        repo = dict(fixture("github_repo.json"), full_name=path, stargazers_count=10 * i)
        upstream.json(f"/github/repos/{path}", repo)
        upstream.json(f"/github/repos/{path}/contributors", "github_contributors_1.json")
        upstream.json(f"/github/repos/{path}/stats/participation", "github_participation.json")
        upstream.json(f"/github/repos/{path}/commits", "github_commits.json")
        serve_pypi(upstream, f"p{i}")
    upstream.delay = 0.03
    killed, clean = tmp_path / "killed.sqlite3", tmp_path / "clean.sqlite3"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "FETCH_"))},
        "DJANGO_SETTINGS_MODULE": "djangopackages.settings",
        "DJANGOPACKAGES_DOTENV": "0",
        "DEBUG": "0",
        "SECRET_KEY": "kill-test-only-not-secret-0123456789abcdefghijklmnopqrstuvwxyz-0123",
        "DATABASE_URL": f"sqlite:///{killed}",
        "GITHUB_API_URL": f"{upstream.url}/github",
        "PYPI_URL": f"{upstream.url}/pypi",
        "FETCH_LEASE_SECONDS": "1",
        "LOG_LEVEL": "ERROR",
    }
    manage(env, "migrate", "--noinput")
    manage(env, "shell", "-c", SETUP.format(n=count))
    shutil.copy(killed, clean)

    run = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "fetch_stats", "--workers", "3"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while fetched_count(killed) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(run.pid, signal.SIGKILL)
    run.wait()
    done = fetched_count(killed)
    assert 0 < done < count, "the kill should land mid-run"
    with sqlite3.connect(killed) as db:
        states = db.execute(
            "SELECT last_fetched IS NOT NULL, repo_watchers, pypi_version,"
            " (SELECT COUNT(*) FROM packages_version v WHERE v.package_id = p.id)"
            " FROM packages_package p"
        ).fetchall()
    for is_done, watchers, version, versions in states:
        if is_done:  # fully updated ...
            assert (version, versions) == ("1.10", 5)
        else:  # ... or untouched
            assert (watchers, version, versions) == (0, None, 0)

    time.sleep(1.2)  # the killed run's leases (FETCH_LEASE_SECONDS=1) expire
    manage(env, "fetch_stats", "--workers", "3")
    manage({**env, "DATABASE_URL": f"sqlite:///{clean}"}, "fetch_stats", "--workers", "3")
    assert fetched_count(killed) == count
    assert checksum(killed) == checksum(clean)


def waiting_before(cls, name, event, monkeypatch):
    """Make `cls.name` wait for `event` first: an edit that loaded the row, then stalls."""
    original = getattr(cls, name)

    def waiting(self, *args, **kwargs):
        assert event.wait(20), "the fetch never finished"
        return original(self, *args, **kwargs)

    monkeypatch.setattr(cls, name, waiting)


@pytest.mark.django_db(transaction=True)
def test_api_and_admin_edits_during_a_fetch_keep_both_edits_and_fetched_stats(
    fetch_settings, upstream, monkeypatch
):
    from django.test import Client
    from rest_framework.test import APIClient

    from api.serializers.write import PackageWriteSerializer
    from packages.admin import PackageAdmin
    from tests.factories import UserFactory
    from tests.packages.conftest import serve_github_repo

    serve_github_repo(upstream)
    serve_pypi(upstream)
    in_flight, proceed, fetched = threading.Event(), threading.Event(), threading.Event()
    repo_reply = upstream.routes["/github/repos/octo/widgets"][0]

    def slow_repo(handler):
        in_flight.set()
        proceed.wait(20)
        upstream.routes["/github/repos/octo/widgets"] = [repo_reply]
        upstream.handle(handler)

    upstream.add("/github/repos/octo/widgets", slow_repo)
    package = PackageFactory(
        slug="widgets", repo_url="https://github.com/octo/widgets", pypi_url="django-widgets"
    )
    staff = UserFactory(is_staff=True, is_superuser=True)
    api, admin = APIClient(), Client()
    api.force_authenticate(staff)
    admin.force_login(staff)
    # Both edits load the row while the fetch is in flight and write after it committed
    # (PostgreSQL: the admin's load happens inside its transaction, so it waits there).
    waiting_before(PackageWriteSerializer, "update", fetched, monkeypatch)
    if connection.vendor == "postgresql":
        waiting_before(PackageAdmin, "save_model", fetched, monkeypatch)
    answers = {}

    def fetch():
        config = FetcherConfig.from_settings(workers=1)
        clients = build_clients(config)
        run = FetchRun(clients, config)
        answers["summary"] = run.run(run.select())
        clients.close()
        fetched.set()

    def api_edit():
        answers["api"] = api.patch(
            f"/api/v4/packages/{package.pk}/", {"title": "Edited by API"}, format="json"
        )

    def admin_edit():
        fresh = Package.objects.get(pk=package.pk)
        url = reverse("admin:packages_package_change", args=[package.pk])
        answers["admin"] = admin.post(
            url, admin_package_form(fresh, documentation_url="https://docs.example.org/")
        )

    def in_thread(work):
        def target():
            try:
                work()
            finally:
                connections.close_all()

        return threading.Thread(target=target)

    threads = [in_thread(fetch)]
    threads[0].start()
    assert in_flight.wait(20)
    threads += [in_thread(api_edit), in_thread(admin_edit)]
    if connection.vendor == "postgresql":
        for thread in threads[1:]:
            thread.start()
        time.sleep(0.5)  # both edits have loaded the row and wait
    else:
        # SQLite: the admin's whole transaction runs during the fetch, before the API edit
        # opens its own (an IMMEDIATE transaction that waits holds the write lock).
        threads[2].start()
        threads[2].join(20)
        threads[1].start()
    proceed.set()
    for thread in threads:
        thread.join(30)

    assert answers["summary"].fetched == 1
    assert answers["api"].status_code == 200, answers["api"].content
    assert answers["admin"].status_code == 302, answers["admin"].content
    package.refresh_from_db()
    assert package.title == "Edited by API"
    assert package.documentation_url == "https://docs.example.org/"
    assert (package.repo_watchers, package.pypi_version) == (120, "1.10")
    assert package.last_fetched is not None
    assert len(package.participants) > 0
    assert package.score > 0


def new_run():
    config = FetcherConfig.from_settings(workers=1)
    return FetchRun(build_clients(config), config)


@pytest.mark.django_db(transaction=True)
def test_a_run_skips_what_an_overlapping_run_fetched_after_it_began(fetch_settings, upstream):
    for i in range(5):
        serve_pypi(upstream, f"p{i}")
        PackageFactory(slug=f"p{i}", repo_url="", pypi_url=f"p{i}")
    earlier, later = new_run(), new_run()
    earlier_rows, later_rows = earlier.select(), later.select()
    assert len(earlier_rows) == len(later_rows) == 5  # both took the same snapshot

    later.run(later_rows)
    earlier.run(earlier_rows)

    assert (later.summary.fetched, earlier.summary.fetched) == (5, 0)
    assert earlier.summary.skipped == 5
    assert sorted(upstream.paths()) == sorted(f"/pypi/pypi/p{i}/json" for i in range(5))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_run_skips_a_package_another_run_holds_instead_of_waiting(fetch_settings, upstream):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (advisory locks)")
    for name in ("held", "free"):
        serve_pypi(upstream, name)
        PackageFactory(slug=name, repo_url="", pypi_url=name)
    holding, release = threading.Event(), threading.Event()

    def hold_the_row():
        held = Package.objects.get(slug="held")
        try:
            with new_run().claims.claim(held.pk, write_lock=contextlib.nullcontext()) as package:
                assert package is not None
                holding.set()
                release.wait(15)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_the_row)
    holder.start()
    try:
        assert holding.wait(10)
        run = new_run()
        began = time.monotonic()
        run.run(run.select())
        elapsed = time.monotonic() - began
    finally:
        release.set()
        holder.join(20)
    assert elapsed < 5  # not blocked behind the other run's lock
    assert (run.summary.fetched, run.summary.skipped) == (1, 1)
    assert Package.objects.get(slug="held").last_fetched is None
