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
