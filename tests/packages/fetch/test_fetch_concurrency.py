"""Overlapping runs never fetch a package twice (PostgreSQL), and a run killed with SIGKILL then
rerun ends in the same database state as a clean run."""

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
from django.db import connection

from packages.fetch.config import FetcherConfig
from packages.fetch.run import FetchRun
from packages.fetch.sources import build_clients
from tests.factories import PackageFactory
from tests.packages.conftest import fixture, serve_pypi

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_never_fetch_the_same_package(fetch_settings, upstream):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (SELECT ... FOR UPDATE SKIP LOCKED)")
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
       pypi_classifiers, supports_python3, documentation_url, fetch_failures,
       last_fetched IS NULL, fetch_lease_until IS NULL
FROM packages_package ORDER BY slug
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
