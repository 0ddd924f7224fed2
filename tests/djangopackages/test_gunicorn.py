"""gunicorn as `make run` and the image start it (settings from ./gunicorn.conf.py): it trusts no
forwarded header itself, and long request lines reach Django's JSON answers (issue 16, 7 and 8).
"""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """The server's HOME and XDG_RUNTIME_DIR: where gunicorn would put per-user files."""
    return tmp_path_factory.mktemp("home")


@pytest.fixture(scope="module")
def served(tmp_path_factory, home):
    """One gunicorn worker in production mode, TRUST_X_FORWARDED_PROTO unset."""
    port = _free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"TRUST_X_FORWARDED_PROTO", "REDIS_URL", "DEBUG"}
    }
    env.update(
        HOME=str(home),
        XDG_RUNTIME_DIR=str(home / "run"),
        DJANGOPACKAGES_DOTENV="0",
        SECRET_KEY="gunicorn-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        DATABASE_URL=f"sqlite:///{tmp_path_factory.mktemp('gunicorn') / 'db.sqlite3'}",
    )
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "djangopackages.wsgi"]
        + ["--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"{base}/api/v4/", timeout=10)
                break
            except (requests.ConnectionError, requests.Timeout):
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.slow
def test_forwarded_proto_from_loopback_is_not_trusted_unless_configured(served):
    response = requests.get(f"{served}/api/v4/", headers={"X-Forwarded-Proto": "https"}, timeout=10)

    assert response.status_code == 200
    links = response.json()
    assert links["packages"].startswith("http://127.0.0.1:")


@pytest.mark.slow
@pytest.mark.parametrize("length", [4100, 8000])
def test_long_request_lines_get_django_json_answers(served, length):
    response = requests.get(f"{served}/api/v4/{'x' * length}/", timeout=10)

    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


@pytest.mark.slow
def test_anonymous_trace_is_json_405_through_gunicorn(served):
    response = requests.request("TRACE", f"{served}/api/v4/packages/", timeout=10)

    assert response.status_code == 405
    assert response.headers["Content-Type"] == "application/json"


@pytest.mark.slow
def test_no_control_socket_is_shared_by_the_users_checkouts(served, home):
    """gunicorn's control socket defaults to one path per user ($XDG_RUNTIME_DIR or
    ~/.gunicorn/gunicorn.ctl): two `make run`s on different ports would fight over it."""
    assert sorted(p.name for p in home.rglob("*.ctl")) == []
