"""README's production set-up behind a real reverse proxy process (tests/clients/reverse_proxy.py,
appending each client's address to `X-Forwarded-For` as nginx does) in front of gunicorn with
two workers and Redis: each client has its own budget and signed webhooks are never refused
for what other clients did. Without `TRUSTED_PROXY_COUNT` every client is the proxy; the
start-up log and /healthz say so."""

import hashlib
import hmac
import re
import secrets
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.clients.conftest import ROOT, Client, new_address, start_server

pytestmark = pytest.mark.slow

HOST = "djangopackages.example.org"
WEBHOOK_SECRET = "proxy-test-secret"
FLOOD = 2000  # more than one client's burst (1,000) and what it regains meanwhile (20/s)


def readme_production_env() -> dict[str, str]:
    """The variables of README's `prod.env` block, placeholders left out."""
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"### prod\.env.*?```ini\n(.*?)```", readme, re.S).group(1)
    pairs = (line.split("=", 1) for line in block.splitlines() if "=" in line)
    return {name: value for name, value in pairs if "<" not in value}


@pytest.fixture
def behind_proxy(tmp_path, catalogue_database, redis_url):
    """Start README's production set-up (its database and Redis swapped for the test's own)
    with `changes`, and a reverse proxy in front: (server, proxy port)."""
    started = []

    def start(**changes):
        env = readme_production_env() | {
            "SECRET_KEY": secrets.token_urlsafe(50),
            "REDIS_URL": redis_url,
            "CACHE_KEY_PREFIX": f"proxy-{secrets.token_hex(8)}",
            "GITHUB_WEBHOOK_SECRET": WEBHOOK_SECRET,
        }
        env = {name: value for name, value in (env | changes).items() if value is not None}
        database, catalogue, token = catalogue_database
        server_context = start_server(tmp_path / "server", database, catalogue, token, **env)
        server = server_context.__enter__()
        started.append(server_context)
        proxy = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("reverse_proxy.py")), str(server.port)],
            stdout=subprocess.PIPE,
            text=True,
        )
        started.append(proxy)
        return server, int(proxy.stdout.readline())

    yield start
    for thing in reversed(started):
        if isinstance(thing, subprocess.Popen):
            thing.terminate()
            thing.wait(timeout=10)
        else:
            thing.__exit__(None, None, None)


def browser(proxy_port, address=None, **headers):
    return Client(proxy_port, address, {"Host": HOST, **headers})


def flood(proxy_port, address, total):
    """`total` requests from `address` over 8 connections: (statuses, the most it may be served:
    a burst and what it regained meanwhile)."""

    def one_connection(n):
        client = browser(proxy_port, address)
        return [client.get("/api/v4/categories/").status for _ in range(n, total, 8)]

    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        statuses = [status for batch in pool.map(one_connection, range(8)) for status in batch]
    return statuses, 1000 + 20 * (time.monotonic() - started) + 1


def signed_ping(proxy_port, address):
    body = b"{}"
    signature = hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": "application/json",
        "X-GitHub-Event": "ping",
        "X-Hub-Signature-256": f"sha256={signature}",
    }
    client = browser(proxy_port, address)
    return client.request("POST", "/api/v4/webhooks/github/", body, headers).status


def test_readme_shows_how_many_proxies_to_trust():
    assert readme_production_env()["TRUSTED_PROXY_COUNT"] == "1"


def test_each_client_behind_the_proxy_has_its_own_budget(behind_proxy):
    server, proxy = behind_proxy()
    greedy, other = new_address(), new_address()

    statuses, budget = flood(proxy, greedy, FLOOD)
    forged = browser(proxy, greedy, **{"X-Forwarded-For": "203.0.113.9"}).get("/api/v4/")
    others = browser(proxy, other).get("/api/v4/categories/")
    health = [browser(proxy).get("/healthz").json() for _ in range(6)]

    assert 1000 <= statuses.count(200) <= budget
    assert statuses.count(429) == FLOOD - statuses.count(200) > 0
    # A client cannot pick a fresh budget by forging the header: it spends what its flood
    # left (the few tokens regained since), not a full bucket.
    assert int(forged.headers["X-RateLimit-Remaining"]) < 100
    assert others.status == 200
    assert int(others.headers["X-RateLimit-Remaining"]) > 900  # its own (a shared one: < 100)
    assert [signed_ping(proxy, greedy), signed_ping(proxy, other)] == [200, 200]
    assert all(answer["warnings"] == [] for answer in health)
    assert "TRUSTED_PROXY_COUNT" not in server.log.read_text()


def test_without_trusted_proxies_every_client_is_the_proxy_and_it_is_reported(behind_proxy):
    server, proxy = behind_proxy(TRUSTED_PROXY_COUNT=None)
    greedy, other = new_address(), new_address()

    statuses, budget = flood(proxy, greedy, FLOOD)
    others = browser(proxy, other).get("/api/v4/categories/")
    pings = [signed_ping(proxy, other) for _ in range(3)]
    health = [browser(proxy).get("/healthz").json() for _ in range(6)]

    assert 1000 <= statuses.count(200) <= budget
    # The stranger's flood spent everyone's budget: what is left is what it regained since.
    assert int(others.headers["X-RateLimit-Remaining"]) < 100
    assert pings == [200, 200, 200]  # signed webhooks are never throttled
    startup = "TRUST_X_FORWARDED_PROTO=1 (a TLS proxy in front) with TRUSTED_PROXY_COUNT=0"
    assert server.log.read_text().count(startup) == 2  # each worker, as it starts
    for answer in health:
        assert answer["status"] == "ok"
        assert answer["warnings"][0].startswith(startup)
        assert answer["warnings"][1].startswith("Every request came from 127.0.0.1 with X-Fo")
