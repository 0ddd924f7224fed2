"""Tests own their services: a run of the suite never reads, writes or clears the Redis a
developer's `REDIS_URL` names (their cache, their queue)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import redis

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_the_suite_leaves_the_developers_redis_alone(redis_url):
    developers_url = redis_url.rsplit("/", 1)[0] + "/3"  # another database of the test's Redis
    developers = redis.Redis.from_url(developers_url)
    developers.flushdb()
    developers.set("developer:own-key", "kept")
    env = {**os.environ, "REDIS_URL": developers_url}
    env.pop("TEST_REDIS_URL", None)
    # On SQLite: on this run's DATABASE_URL the child would make and then drop the very
    # `test_` database this run is using.
    env.pop("DATABASE_URL", None)

    # API tests clear the default cache before and after each test and count throttles in the
    # throttle cache: both would land in the developer's Redis if the suite used REDIS_URL.
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-x",
            "tests/api/test_packages.py",
            "tests/api/test_throttling.py",
            "-m",
            "not slow",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )

    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert developers.get("developer:own-key") == b"kept"
    assert developers.dbsize() == 1


@pytest.mark.slow
@pytest.mark.postgres
def test_the_suite_leaves_the_developers_database_alone(tmp_path):
    """With DATABASE_URL naming a developer's PostgreSQL database, the suite works in a
    `test_` database of its own and leaves theirs as it was."""
    import uuid

    import psycopg

    name = f"dp_developer_{uuid.uuid4().hex[:8]}"
    server = "postgres://postgres@127.0.0.1:5432"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        with psycopg.connect(f"{server}/{name}", autocommit=True) as developers:
            developers.execute("CREATE TABLE own_work (note text)")
            developers.execute("INSERT INTO own_work VALUES ('kept')")
        env = {**os.environ, "DATABASE_URL": f"{server}/{name}"}
        env.pop("TEST_REDIS_URL", None)

        run = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x",
             "tests/api/test_packages.py", "-m", "not slow"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
        )  # fmt: skip

        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
        with psycopg.connect(f"{server}/{name}") as developers:
            tables = developers.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
            ).fetchall()
            rows = developers.execute("SELECT note FROM own_work").fetchall()
        assert tables == [("own_work",)]
        assert rows == [("kept",)]
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            admin.execute(f"DROP DATABASE IF EXISTS test_{name} WITH (FORCE)")
