"""The fetcher's HTTP layer against a local fake server: deadlines, caps, retries, redirects,
conditional requests, rate limits and the SSRF guard."""

import socket
import threading
import time
import tracemalloc
from functools import partial

import pytest

from packages.fetch.errors import (
    BodyTooLargeError,
    HostStoppedError,
    RefusedURLError,
    TransportError,
    UpstreamDataError,
)
from packages.fetch.http import HostBudget, HttpClient, HttpConfig, Origin
from tests.packages.conftest import Reply, hang, huge, trickle, trickle_headers


class MemoryValidators:
    def __init__(self):
        self.stored = {}

    def lookup(self, url):
        return self.stored.get(url)

    def remember(self, url, etag, last_modified, body):
        from packages.fetch.validators import StoredValidator

        self.stored[url] = StoredValidator(etag, last_modified, body)


def make_client(upstream, sleep=None, **config):
    defaults = {"retries": 2, "backoff": 0.001, "read_timeout": 1, "deadline": 2, "max_wait": 0}
    return HttpClient(
        {f"{upstream.url}/api": Origin("api")},
        config=HttpConfig.from_settings(**{**defaults, **config}),
        sleep=sleep or time.sleep,
    )


def test_get_returns_status_headers_and_json(upstream):
    upstream.add("/api/thing", Reply({"ok": True}))
    response = make_client(upstream).get(f"{upstream.url}/api/thing", params={"a": 1})
    assert response.status == 200
    assert response.json() == {"ok": True}
    assert upstream.paths() == ["/api/thing?a=1"]


def test_answers_read_to_the_end_keep_the_connection_for_the_next_request(upstream):
    upstream.add("/api/thing", Reply({"ok": True}))
    client = make_client(upstream)
    for _ in range(3):
        client.get(f"{upstream.url}/api/thing")
    assert len(upstream.requests) == 3
    assert len(upstream.connections) == 1


def test_html_body_is_invalid_json(upstream):
    upstream.add("/api/x", Reply("<html>oops</html>", headers={"Content-Type": "text/html"}))
    response = make_client(upstream).get(f"{upstream.url}/api/x")
    with pytest.raises(UpstreamDataError, match="not JSON"):
        response.json()


def test_hanging_upstream_is_cut_at_the_read_timeout(upstream):
    upstream.add("/api/slow", partial(hang, seconds=3))
    started = time.monotonic()
    with pytest.raises(TransportError) as caught:
        make_client(upstream, read_timeout=0.5).get(f"{upstream.url}/api/slow")
    assert caught.value.reason == "timeout"
    assert time.monotonic() - started < 2.5


@pytest.mark.parametrize("trickler", [trickle, trickle_headers], ids=["body", "headers"])
def test_trickling_upstream_is_cut_at_the_total_deadline(upstream, trickler):
    # One byte every 0.3 s, well inside the read timeout: only the total deadline stops it.
    upstream.add("/api/trickle", partial(trickler, every=0.3, total=100))
    started = time.monotonic()
    with pytest.raises(TransportError) as caught:
        make_client(upstream, read_timeout=1, deadline=1.5).get(f"{upstream.url}/api/trickle")
    assert caught.value.reason == "deadline"
    assert 0.5 <= time.monotonic() - started <= 2.5  # the deadline, +-1 s
    assert len(upstream.requests) == 1  # a spent deadline is not retried


def test_huge_body_is_cut_at_the_cap_with_flat_memory(upstream):
    upstream.add("/api/huge", partial(huge, megabytes=200))
    client = make_client(upstream, max_bytes=2 * 1024 * 1024)
    tracemalloc.start()
    try:
        with pytest.raises(BodyTooLargeError):
            client.get(f"{upstream.url}/api/huge")
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024


def test_declared_length_over_the_cap_is_refused_before_reading(upstream):
    upstream.add("/api/big", Reply(b"[" + b"1," * 5000 + b"1]"))
    with pytest.raises(BodyTooLargeError):
        make_client(upstream, max_bytes=1000).get(f"{upstream.url}/api/big")


def test_5xx_is_retried_then_succeeds(upstream):
    gateway = Reply("<html>502</html>", status=502, headers={"Content-Type": "text/html"})
    upstream.add("/api/flaky", [gateway, gateway, Reply({"ok": 1})])
    client = make_client(upstream)
    assert client.get(f"{upstream.url}/api/flaky").json() == {"ok": 1}
    assert client.stats.retries["api"] == 2


def test_5xx_gives_up_after_the_retries(upstream):
    upstream.add("/api/down", Reply({"message": "Server Error"}, status=500))
    with pytest.raises(TransportError) as caught:
        make_client(upstream, retries=3).get(f"{upstream.url}/api/down")
    assert caught.value.reason == "http_500"
    assert len(upstream.requests) == 4  # one try and three retries


def test_connection_refused_is_retried_then_raised():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = HttpClient(
        {f"http://127.0.0.1:{port}/api": Origin("api")},
        config=HttpConfig.from_settings(
            retries=2, backoff=0.001, connect_timeout=1, unreachable_after=9
        ),
    )
    with pytest.raises(TransportError) as caught:
        client.get(f"http://127.0.0.1:{port}/api/x")
    assert caught.value.reason == "connection"
    assert client.stats.calls["api"] == 3


def test_same_origin_redirect_is_followed(upstream):
    upstream.add("/api/old", Reply(status=301, headers={"Location": "{base}/api/new"}))
    upstream.add("/api/new", Reply({"moved": True}))
    response = make_client(upstream).get(f"{upstream.url}/api/old")
    assert response.json() == {"moved": True}
    assert response.redirected
    assert response.url == f"{upstream.url}/api/new"


@pytest.mark.parametrize(
    "location",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.1:1/api/x",
        "http://10.0.0.1/api/x",
        "https://evil.example/api/x",
        "file:///etc/passwd",
        "{base}/elsewhere",
    ],
)
def test_redirect_outside_the_configured_api_is_refused(upstream, location):
    upstream.add("/api/r", Reply(status=302, headers={"Location": location}))
    with pytest.raises(RefusedURLError):
        make_client(upstream).get(f"{upstream.url}/api/r")
    assert upstream.paths() == ["/api/r"]


@pytest.mark.parametrize(
    "url",
    ["https://example.com/api/x", "ftp://127.0.0.1/api/x", "http://user:pw@127.0.0.1/api/x"],
)
def test_urls_outside_the_configured_hosts_are_refused(upstream, url):
    with pytest.raises(RefusedURLError):
        make_client(upstream).get(url)
    assert upstream.requests == []


def test_untrusted_host_resolving_to_a_private_address_is_refused():
    def resolver(host, port, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("192.168.1.5", port))]

    client = HttpClient(
        {"https://git.example.org/api/v1": Origin("git.example.org", trusted=False)},
        resolver=resolver,
    )
    with pytest.raises(RefusedURLError, match="non-public"):
        client.get("https://git.example.org/api/v1/repos/a/b")


def test_untrusted_host_with_one_public_and_one_private_address_is_refused():
    def resolver(host, port, **kwargs):
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.5", port)),
        ]

    client = HttpClient(
        {"https://git.example.org/api/v1": Origin("git.example.org", trusted=False)},
        resolver=resolver,
    )
    # check_url, not get: even a broken guard must never open a socket from a test.
    with pytest.raises(RefusedURLError, match="non-public 10.0.0.5"):
        client.check_url("https://git.example.org/api/v1/repos/a/b")


def test_untrusted_host_that_resolves_again_to_a_private_address_is_refused(upstream):
    # The guard's lookup says public; the connection then lands on loopback (DNS rebinding).
    def resolver(host, port, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port))]

    upstream.add("/api/x", Reply({"secret": True}))
    client = HttpClient(
        {f"{upstream.url}/api": Origin("self-hosted", trusted=False)},
        config=HttpConfig.from_settings(retries=0),
        resolver=resolver,
    )
    with pytest.raises(RefusedURLError, match="connected to non-public 127.0.0.1"):
        client.get(f"{upstream.url}/api/x")
    assert upstream.requests == []  # refused before a byte was sent
    assert client.budget("self-hosted").inflight == 0


def test_304_reuses_the_stored_body(upstream):
    upstream.add("/api/doc", Reply({"v": 1}))
    client, validators = make_client(upstream), MemoryValidators()
    first = client.get(f"{upstream.url}/api/doc", validators=validators)
    second = client.get(f"{upstream.url}/api/doc", validators=validators)
    assert first.json() == second.json() == {"v": 1}
    assert second.not_modified
    assert not first.not_modified
    assert upstream.requests[1][1]["If-None-Match"] == validators.stored[first.url].etag
    assert client.stats.not_modified["api"] == 1


def test_rate_limit_waits_for_a_near_reset(upstream):
    reset = int(time.time()) + 2
    upstream.add(
        "/api/a",
        Reply({"n": 1}, headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)}),
    )
    upstream.add("/api/b", Reply({"n": 2}))
    slept = []
    client = make_client(upstream, max_wait=10, sleep=slept.append)
    client.get(f"{upstream.url}/api/a")
    client.get(f"{upstream.url}/api/b")
    assert slept
    assert 0 < slept[0] <= 3
    assert upstream.paths() == ["/api/a", "/api/b"]


def test_rate_limit_with_a_far_reset_stops_the_host(upstream):
    reset = int(time.time()) + 3600
    upstream.add(
        "/api/a",
        Reply({"n": 1}, headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)}),
    )
    client = make_client(upstream, max_wait=60)
    client.get(f"{upstream.url}/api/a")
    with pytest.raises(HostStoppedError):
        client.get(f"{upstream.url}/api/b")
    assert upstream.paths() == ["/api/a"]  # never asked past the limit
    assert "api" in client.stopped_hosts()


def test_429_retry_after_is_honoured_then_the_request_repeated(upstream):
    upstream.add(
        "/api/a",
        [Reply("Too Many Requests", status=429, headers={"Retry-After": "1"}), Reply({"ok": 1})],
    )
    slept = []
    client = make_client(upstream, max_wait=5, sleep=slept.append)
    assert client.get(f"{upstream.url}/api/a").json() == {"ok": 1}
    assert slept
    assert slept[0] <= 1.5


def test_github_style_403_limit_stops_the_host_when_the_reset_is_far(upstream):
    headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(time.time()) + 900)}
    upstream.add("/api/a", Reply({"message": "API rate limit exceeded"}, 403, headers))
    with pytest.raises(HostStoppedError):
        make_client(upstream, max_wait=30).get(f"{upstream.url}/api/a")


def test_budget_never_lets_more_requests_out_than_remain():
    clock = [1000.0]
    budget = HostBudget("h", max_wait=0, clock=lambda: clock[0])
    budget.acquire()
    budget.release(200, {"x-ratelimit-remaining": "2", "x-ratelimit-reset": "1100"})
    budget.acquire()
    budget.acquire()
    with pytest.raises(HostStoppedError):
        budget.acquire()  # two in flight, two remaining: a third would go past the limit


def test_budget_refills_after_the_reset():
    clock = [1000.0]
    budget = HostBudget("h", max_wait=100, clock=lambda: clock[0], sleep=lambda s: None)
    budget.acquire()
    budget.release(200, {"x-ratelimit-limit": "5", "x-ratelimit-remaining": "0",
                         "x-ratelimit-reset": "1010"})  # fmt: skip
    clock[0] = 1011.0
    budget.acquire()  # the new window's budget is probed again by one request
    assert budget.inflight == 1
    budget.release(200, {"x-ratelimit-remaining": "4", "x-ratelimit-reset": "1020"})
    assert budget.remaining == 4


def test_unknown_budget_is_probed_by_one_request_at_a_time():
    budget = HostBudget("h", max_wait=0)
    budget.acquire()
    second = threading.Thread(target=budget.acquire)
    second.start()
    second.join(0.2)
    assert second.is_alive()  # waits for the probe's answer
    budget.release(200, {})
    second.join(1)
    assert not second.is_alive()


def _refused_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize(
    ("route", "error"),
    [
        (partial(huge, megabytes=20), BodyTooLargeError),
        (Reply(b"[" + b"1," * 5000 + b"1]"), BodyTooLargeError),
        (partial(trickle, every=0.3, total=100), TransportError),
        (partial(trickle_headers, every=0.3, total=100), TransportError),
        (partial(hang, seconds=3), TransportError),
        (Reply({"message": "Server Error"}, status=500), TransportError),
    ],
    ids=["huge", "declared-too-large", "trickled-body", "trickled-headers", "hang", "5xx"],
)
def test_every_failed_request_gives_back_its_host_budget(upstream, route, error):
    upstream.add("/api/bad", route)
    client = make_client(upstream, max_bytes=1000, read_timeout=0.5, deadline=1)
    with pytest.raises(error):
        client.get(f"{upstream.url}/api/bad")
    assert client.budget("api").inflight == 0


def test_a_connection_error_gives_back_its_host_budget():
    port = _refused_port()
    client = HttpClient(
        {f"http://127.0.0.1:{port}/api": Origin("api")},
        config=HttpConfig.from_settings(retries=1, backoff=0.001, connect_timeout=1),
    )
    with pytest.raises(TransportError):
        client.get(f"http://127.0.0.1:{port}/api/x")
    assert client.budget("api").inflight == 0


def test_an_unexpected_exception_gives_back_its_host_budget(upstream, monkeypatch):
    client = make_client(upstream)

    def broken_send(origin, url, headers, *, public_only=False):
        raise RuntimeError("a bug below the client")

    monkeypatch.setattr(client.transport, "send", broken_send)
    with pytest.raises(RuntimeError):
        client.get(f"{upstream.url}/api/x")
    assert client.budget("api").inflight == 0


def test_spent_budget_of_an_over_cap_answer_never_blocks_the_next_request(upstream):
    # A host that published a budget once (its reset now past) probes one request at a time:
    # the over-cap answer must free its slot, or the next request waits forever.
    past = str(int(time.time()) - 60)
    limits = {"X-RateLimit-Remaining": "10", "X-RateLimit-Reset": past}
    upstream.add("/api/first", Reply({"ok": 1}, headers=limits))
    upstream.add("/api/huge", partial(huge, megabytes=5))
    upstream.add("/api/next", Reply({"ok": 2}))
    client = make_client(upstream, max_bytes=1000)
    client.get(f"{upstream.url}/api/first")
    with pytest.raises(BodyTooLargeError):
        client.get(f"{upstream.url}/api/huge")
    done = []
    worker = threading.Thread(target=lambda: done.append(client.get(f"{upstream.url}/api/next")))
    worker.start()
    worker.join(5)
    assert done, "the next request never got the host's budget"


def test_host_that_stops_publishing_its_budget_is_not_serialized():
    clock = [1000.0]
    budget = HostBudget("h", max_wait=0, clock=lambda: clock[0])
    budget.acquire()
    budget.release(200, {"x-ratelimit-remaining": "4999", "x-ratelimit-reset": "900"})  # stale
    budget.acquire()
    budget.release(200, {})  # answers without rate-limit headers from here on
    budget.acquire()
    second = threading.Thread(target=budget.acquire)
    second.start()
    second.join(1)
    assert not second.is_alive()  # two requests in flight at once
    assert budget.inflight == 2


def test_host_whose_probe_publishes_a_stale_budget_is_not_serialized():
    # GitHub's recorded /rate_limit: headers whose reset is long past, then none on real answers.
    budget = HostBudget("h", max_wait=0, clock=lambda: 1000.0)
    budget.observe({"x-ratelimit-remaining": "4999", "x-ratelimit-reset": "900"})
    budget.acquire()
    budget.release(200, {})
    budget.acquire()
    second = threading.Thread(target=budget.acquire)
    second.start()
    second.join(1)
    assert not second.is_alive()
