"""`make run` serves the API and works off the task queue: one command, Ctrl-C stops both."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from tests.djangopackages.test_settings import _SETTINGS_VARS
from tests.packages.conftest import FakeUpstream, serve_github_repo, serve_pypi

ROOT = Path(__file__).resolve().parents[2]
SLUG = "djangorestframework"

pytestmark = pytest.mark.slow


def free_port():
    """A port the OS says is free now (port 0), so no fixed port can clash with another server."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_free_port_is_free_while_the_old_fixed_range_is_held():
    held = []
    try:
        for port in range(18300, 18400):
            holder = socket.socket()
            try:
                holder.bind(("127.0.0.1", port))
            except OSError:
                holder.close()
                continue
            holder.listen()
            held.append(holder)
        port = free_port()
        with socket.socket() as server:
            server.bind(("127.0.0.1", port))  # raises if free_port named a held port
    finally:
        for holder in held:
            holder.close()


def run_env(tmp_path, upstream, port):
    inherited = _SETTINGS_VARS | {"REDIS_URL", "TASKS_BACKEND", "MAKEFLAGS", "MFLAGS", "MAKELEVEL"}
    env = {key: value for key, value in os.environ.items() if key not in inherited}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'run.sqlite3'}",
        DJANGOPACKAGES_DOTENV="0",
        DEBUG="1",
        SECRET_KEY="insecure-test-only-make-run",
        PORT=str(port),
        WEB_CONCURRENCY="1",
        GITHUB_API_URL=f"{upstream.url}/github",
        PYPI_URL=f"{upstream.url}/pypi",
        FETCH_MAX_WAIT="0",
        FETCH_RETRY_BACKOFF_MS="1",
        FETCH_COMPUTING_DELAY_MS="1",
    )
    return env


@pytest.fixture
def upstream():
    fake = FakeUpstream()
    yield fake
    fake.close()


def get_json(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return json.loads(response.read())
    except OSError:
        return None


def wait_for(predicate, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    return None


def test_make_run_serves_and_its_worker_fetches_an_enqueued_package(tmp_path, upstream):
    serve_github_repo(upstream, "encode/django-rest-framework")
    serve_pypi(upstream, SLUG)
    port = free_port()
    env = run_env(tmp_path, upstream, port)
    detail = f"http://127.0.0.1:{port}/api/v4/packages/{SLUG}/"
    # `-o .env`: the environment above is the configuration; no .env is written or read.
    make = subprocess.Popen(
        ["make", "-o", ".env", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, as in a terminal
    )
    lines = []
    reader = threading.Thread(target=lambda: lines.extend(make.stdout), daemon=True)
    reader.start()
    try:
        before = wait_for(lambda: get_json(detail), timeout=240)
        assert before is not None, "make run never served:\n" + "".join(lines)
        assert before["repo_watchers"] != 120

        queued = subprocess.run(
            [sys.executable, "manage.py", "fetch_stats", "--enqueue", SLUG],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert queued.stdout.strip() == "fetch_stats: Queued 1 package; a worker fetches them."

        after = wait_for(lambda: (get_json(detail) or {}).get("repo_watchers") == 120, 60)
        assert after, "the worker never fetched the package:\n" + "".join(lines)
    finally:
        os.killpg(make.pid, signal.SIGINT)  # Ctrl-C
        make.wait(60)
        reader.join(5)
    output = "".join(lines)
    assert any(line.startswith("worker | ") for line in lines), output
    assert "serve: stopped" in output
    started = dict(re.findall(r"serve: (web|worker) started \(pid (\d+)\)", output))
    assert set(started) == {"web", "worker"}
    for pid in started.values():
        with pytest.raises(ProcessLookupError):
            os.kill(int(pid), 0)
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0  # nothing serves any more
