"""A flood on default settings: 3,000 requests from one client over 8 connections is slowed to
its budget, every refusal says an honest `Retry-After` of at most 10 s (waiting it, the next
request is served); and a client with a valid token is served from an address whose anonymous
budget bad tokens spent."""

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.clients.conftest import WORKERS, Client, new_address

pytestmark = pytest.mark.slow

FLOOD = 3000
CONNECTIONS = 8


def flood(server, address, total, **headers):
    """`total` requests from `address` over CONNECTIONS connections: (responses, seconds)."""
    urls = [f"/api/v4/packages/{pk}/" for pk in list(server.catalogue.packages)[:50]]

    def one_connection(n):
        client = Client(server.port, address, headers)
        return [client.get(urls[i % len(urls)]) for i in range(n, total, CONNECTIONS)]

    started = time.monotonic()
    with ThreadPoolExecutor(CONNECTIONS) as pool:
        responses = [r for batch in pool.map(one_connection, range(CONNECTIONS)) for r in batch]
    return responses, time.monotonic() - started


def test_a_flood_is_slowed_with_an_honest_short_retry_after(catalogue_server):
    address = new_address()

    responses, seconds = flood(catalogue_server, address, FLOOD)
    last = Client(catalogue_server.port, address).get("/api/v4/categories/")

    served = [r for r in responses if r.status == 200]
    refused = [r for r in responses if r.status == 429]
    assert len(served) + len(refused) == FLOOD
    q, w = map(
        int, re.fullmatch(r'"anon";q=(\d+);w=(\d+)', served[0].headers["RateLimit-Policy"]).groups()
    )
    # Without Redis each worker keeps its own buckets: at most a burst and the refill each.
    budget = (1 if catalogue_server.shared_buckets else WORKERS) * (q + q / w * seconds)
    assert len(served) <= budget + 1, (len(served), seconds)
    assert {int(r.headers["Retry-After"]) for r in refused} <= set(range(1, 11))
    assert all(r.json()["detail"].startswith("Request was throttled.") for r in refused)
    assert all(r.headers["X-RateLimit-Remaining"] == "0" for r in refused)
    if last.status == 429:
        time.sleep(int(last.headers["Retry-After"]))
        last = Client(catalogue_server.port, address).get("/api/v4/categories/")
    assert last.status == 200


def test_the_flood_did_not_spend_another_clients_budget(catalogue_server):
    flood(catalogue_server, new_address(), 1500)

    other = Client(catalogue_server.port).get("/api/v4/categories/")

    assert other.status == 200
    assert int(other.headers["X-RateLimit-Remaining"]) > 900  # a full budget of its own


# With Redis only: without, spending the address's budget takes each worker's (a longer flood).
@pytest.mark.parametrize("catalogue_server", ["redis"], indirect=True)
def test_a_valid_token_is_served_while_bad_tokens_flood_from_its_address(catalogue_server):
    address = new_address()
    statuses, stop = [], threading.Event()

    def bad_tokens():
        client = Client(catalogue_server.port, address, {"Authorization": f"Token {'0' * 40}"})
        while not stop.is_set() and len(statuses) < 20_000:
            statuses.append((time.monotonic(), client.get("/api/v4/categories/").status))

    with ThreadPoolExecutor(CONNECTIONS) as pool:
        for _ in range(CONNECTIONS):
            pool.submit(bad_tokens)
        deadline = time.monotonic() + 60
        while not _spent(statuses) and time.monotonic() < deadline:
            time.sleep(0.05)
        valid = Client(
            catalogue_server.port, address, {"Authorization": f"Token {catalogue_server.token}"}
        )
        started = time.monotonic()
        served = [valid.get("/api/v4/categories/") for _ in range(10)]
        time.sleep(0.2)
        stop.set()

    during = [status for at, status in statuses if at >= started]  # and 0.2 s after
    assert {status for _at, status in statuses} == {401, 429}
    assert 429 in during  # the bad tokens were refused meanwhile: the address's budget is spent
    assert [r.status for r in served] == [200] * 10
    assert all('"user"' in r.headers["RateLimit-Policy"] for r in served)


def _spent(statuses):
    """Whether bad tokens spent the address's budget: most of the last 100 answers were 429s
    (the others spent the tokens the buckets regained meanwhile)."""
    recent = [status for _at, status in statuses[-100:]]
    return len(recent) == 100 and recent.count(429) > 50
