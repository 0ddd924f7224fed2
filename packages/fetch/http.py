"""The stats fetcher's HTTP layer: every request to a forge or PyPI goes through `HttpClient.get`.

It owns, once for all clients: one pooled keep-alive `requests.Session` per host, connect and
read timeouts plus a total deadline per request, a cap on body size (read in small pieces, so
memory stays flat), retries with jittered backoff on 5xx and connection errors, same-origin
redirects only, conditional requests (If-None-Match / If-Modified-Since from stored validators,
a 304 reuses the stored body), per-host rate-limit accounting, and the SSRF guard: only the
configured origins are ever contacted.
"""

import ipaddress
import json
import logging
import random
import socket
import ssl
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from http.cookiejar import DefaultCookiePolicy
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter

from packages.fetch.forges.base import (
    BodyTooLargeError,
    HostStoppedError,
    RefusedURLError,
    TransportError,
    UpstreamDataError,
)

logger = logging.getLogger(__name__)

MAX_REDIRECTS = 3
REDIRECTS = {301, 302, 303, 307, 308}
CHUNK = 64 * 1024


@dataclass(frozen=True)
class HttpConfig:
    connect_timeout: float = 10.0
    read_timeout: float = 10.0
    deadline: float = 20.0
    max_bytes: int = 10 * 1024 * 1024
    retries: int = 3
    backoff: float = 0.5
    max_wait: float = 60.0
    unreachable_after: int = 3
    pool_size: int = 8
    user_agent: str = "djangopackages-fetcher/1.0 (+https://djangopackages.org)"


@dataclass(frozen=True)
class Origin:
    """A host we may talk to: its label in the summary, and whether it is trusted by name.

    Configured API base URLs are trusted even when they resolve to loopback (tests, a local
    stub); self-hosted instances must resolve to public addresses.
    """

    label: str
    trusted: bool = True


@dataclass
class Response:
    status: int
    headers: dict
    body: bytes
    url: str
    not_modified: bool = False
    redirected: bool = False

    def json(self):
        """The body as JSON; HTML, truncated or non-UTF-8 bodies raise UpstreamDataError."""
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            ctype = self.headers.get("content-type", "?")
            raise UpstreamDataError(
                f"{self.url}: not JSON ({ctype}, {len(self.body)} bytes)", reason="invalid_json"
            ) from exc

    def link(self, rel="next"):
        """The URL of a `Link: <...>; rel="next"` header, or None."""
        for part in self.headers.get("link", "").split(","):
            pieces = part.split(";")
            target = pieces[0].strip()
            if target.startswith("<") and target.endswith(">"):
                for param in pieces[1:]:
                    key, _, value = param.strip().partition("=")
                    if key.strip() == "rel" and rel in value.strip().strip('"').split():
                        return target[1:-1]
        return None


@dataclass
class HostBudget:
    """Rate-limit accounting for one origin, shared by every worker thread.

    A request is allowed only while the known remaining budget exceeds the requests already in
    flight; while the budget is unknown (at the start, and again after each reset) one request
    at a time probes it. When the budget is spent we wait for the reset if it comes within
    `max_wait`, else the host is stopped for the rest of the run. A host whose first answer
    carries no rate-limit headers publishes no limit and is not gated.
    """

    label: str
    max_wait: float
    clock: object = time.time
    sleep: object = time.sleep
    remaining: int | None = None
    limit: int | None = None
    reset_at: float | None = None
    inflight: int = 0
    stopped: str = ""
    unreachable: bool = False  # stopped because connections failed, not by a rate limit
    connection_failures: int = 0  # in a row; any answer resets it
    waited: float = 0.0
    limited: bool | None = None  # None until the first answer says whether limits apply
    _cond: threading.Condition = field(default_factory=threading.Condition)

    def acquire(self):
        while True:
            with self._cond:
                if self.stopped:
                    raise HostStoppedError(self.stopped)
                now = self.clock()
                if self.reset_at is not None and now >= self.reset_at:
                    self.remaining, self.reset_at = None, None
                if self.remaining is None:
                    if self.limited is False or self.inflight == 0:
                        self.inflight += 1
                        return
                    self._cond.wait(0.05)
                    continue
                if self.remaining - self.inflight > 0:
                    self.inflight += 1
                    return
                if self.reset_at is None:
                    # Spent, reset unknown: wait for an in-flight answer to tell us more.
                    if self.inflight:
                        self._cond.wait(0.05)
                        continue
                    self.reset_at = now + 1.0
                wait = self.reset_at - now + 0.25
                if wait > self.max_wait:
                    self.stopped = (
                        f"{self.label}: rate limit spent, resets in {wait:.0f}s "
                        f"(more than --max-wait {self.max_wait:.0f}s)"
                    )
                    logger.info("stopping %s", self.stopped)
                    self._cond.notify_all()
                    raise HostStoppedError(self.stopped)
            self.waited += wait
            logger.info("%s: rate limit spent, waiting %.1fs for the reset", self.label, wait)
            self.sleep(wait)

    def connection_failed(self, why, limit):
        """Count a connection-level failure; `limit` in a row stop the host. True once stopped."""
        with self._cond:
            self.connection_failures += 1
            if not self.stopped and self.connection_failures >= limit:
                self.stopped = f"{self.label}: unreachable ({why})"
                self.unreachable = True
                self._cond.notify_all()
            return bool(self.stopped)

    def release(self, status=None, headers=None):
        with self._cond:
            self.inflight = max(0, self.inflight - 1)
            if headers is not None:
                self.connection_failures = 0
                if "x-ratelimit-remaining" in headers or status in (403, 429):
                    self.limited = True
                elif self.limited is None:
                    self.limited = False
                self._account(status, headers)
            self._cond.notify_all()

    def observe(self, headers):
        """Take the budget from an answer that did not spend it."""
        with self._cond:
            if _int_header(headers, "x-ratelimit-remaining") is not None:
                self.limited = True
                self._account(200, headers)
            self._cond.notify_all()

    def _account(self, status, headers):
        now = self.clock()
        limit = _int_header(headers, "x-ratelimit-limit")
        if limit is not None:
            self.limit = limit
        remaining = _int_header(headers, "x-ratelimit-remaining")
        reset = _int_header(headers, "x-ratelimit-reset")
        retry_after = _retry_after(headers, now)
        if status in (403, 429) and (retry_after is not None or remaining == 0):
            self.remaining = 0
            self.reset_at = retry_after if retry_after is not None else reset or now + 60
            return
        if remaining is None:
            return
        if reset is not None and (self.reset_at is None or reset > self.reset_at + 0.5):
            self.remaining, self.reset_at = remaining, float(reset)  # a new window
        else:
            self.remaining = remaining if self.remaining is None else min(self.remaining, remaining)


def _int_header(headers, name):
    try:
        return int(float(headers.get(name, "")))
    except (TypeError, ValueError):
        return None


def _retry_after(headers, now):
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return now + max(0.0, float(value))
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None


def origin_of(url):
    """`https://API.github.com:443/x` -> `https://api.github.com`."""
    parts = urlsplit(url)
    scheme = (parts.scheme or "").lower()
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        return ""
    if port is None or (scheme, port) in {("http", 80), ("https", 443)}:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def _base_of(url):
    """Origin plus path without a trailing slash: what configured base URLs are compared by."""
    return origin_of(url) + urlsplit(url).path.rstrip("/")


def is_public_address(address):
    ip = ipaddress.ip_address(address.split("%")[0])
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
    )


class _NoCookies(DefaultCookiePolicy):
    def set_ok(self, cookie, request):
        return False


@dataclass
class CallStats:
    calls: Counter = field(default_factory=Counter)
    not_modified: Counter = field(default_factory=Counter)
    retries: Counter = field(default_factory=Counter)


class HttpClient:
    """GET JSON from configured origins, politely and safely (see the module docstring)."""

    def __init__(
        self,
        origins,
        *,
        config=None,
        sleep=time.sleep,
        clock=time.time,
        resolver=None,
        probes=None,
    ):
        self.config = config or HttpConfig()
        # Longest base first: several APIs may share one origin (a local stub serves them all).
        self.bases = sorted(
            ((_base_of(url), origin) for url, origin in origins.items()),
            key=lambda item: len(item[0]),
            reverse=True,
        )
        self.sleep = sleep
        self.clock = clock
        self.resolver = resolver or socket.getaddrinfo
        self.stats = CallStats()
        self._lock = threading.Lock()
        self._sessions = {}
        self._budgets = {}
        # {label: URL} answering the current rate limit without spending it (GitHub's
        # /rate_limit): asked once before the first real request, so a run that starts after
        # another spent the budget never sends a request past the limit to find out.
        self.probes = dict(probes or {})
        self._probe_lock = threading.Lock()

    # -- public -------------------------------------------------------------------------
    def get(self, url, *, params=None, headers=None, validators=None):
        """GET `url`; 304s come back as the stored 200 with `not_modified` set.

        Non-2xx answers other than 5xx are returned for the caller to interpret (404 means
        something different to each API); 5xx and transport errors raise after retries.
        """
        url = requests.Request("GET", url, params=params).prepare().url
        self.check_url(url)
        stored = validators.lookup(url) if validators is not None else None
        sent = dict(headers or {})
        if stored is not None:
            if stored.etag:
                sent["If-None-Match"] = stored.etag
            if stored.last_modified:
                sent["If-Modified-Since"] = stored.last_modified
        target, redirected = url, False
        for _hop in range(MAX_REDIRECTS + 1):
            response = self._send(target, sent)
            if response.status not in REDIRECTS:
                break
            location = response.headers.get("location")
            if not location:
                raise UpstreamDataError(f"{target}: redirect without Location")
            following = urljoin(target, location)
            if origin_of(following) != origin_of(target):
                raise RefusedURLError(
                    f"{target}: refused redirect to another host ({origin_of(following)})"
                )
            self.check_url(following)
            target, redirected = following, True
        else:
            raise TransportError(f"{url}: more than {MAX_REDIRECTS} redirects")
        response.url, response.redirected = target, redirected
        if response.status == 304:
            if stored is None:
                raise UpstreamDataError(f"{url}: 304 to a request without validators")
            self.stats.not_modified[self.check_url(target).label] += 1
            response.status, response.body, response.not_modified = 200, stored.body, True
            return response
        if response.status == 200 and validators is not None:
            etag = response.headers.get("etag", "")
            last_modified = response.headers.get("last-modified", "")
            if etag or last_modified:
                validators.remember(url, etag, last_modified, response.body)
        return response

    def check_url(self, url):
        """Refuse anything but http(s) to a configured origin (and, if untrusted, public IPs)."""
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise RefusedURLError(f"refused non-http(s) URL {url!r}")
        if parts.username or parts.password:
            raise RefusedURLError(f"refused URL with credentials {url!r}")
        here = _base_of(url)
        origin = next(
            (o for base, o in self.bases if here == base or here.startswith(base + "/")), None
        )
        if origin is None:
            raise RefusedURLError(f"refused {origin_of(url)}{parts.path}: not a configured API")
        if not origin.trusted:
            self._check_resolves_public(parts.hostname, parts.port or 443)
        return origin

    def budget(self, label):
        with self._lock:
            if label not in self._budgets:
                self._budgets[label] = HostBudget(
                    label, self.config.max_wait, clock=self.clock, sleep=self.sleep
                )
            return self._budgets[label]

    def stopped_hosts(self):
        return {label: b.stopped for label, b in self._budgets.items() if b.stopped}

    def unreachable_hosts(self):
        """The stopped hosts that could not be reached at all (rather than rate-limited)."""
        return {label: b.stopped for label, b in self._budgets.items() if b.unreachable}

    def close(self):
        for session in self._sessions.values():
            session.close()

    # -- internals ----------------------------------------------------------------------
    def _check_resolves_public(self, host, port):
        try:
            infos = self.resolver(host, port, proto=socket.IPPROTO_TCP)
        except OSError as exc:
            error = TransportError(f"{host}: cannot resolve ({exc})")
            error.unreachable = "DNS lookup failed"
            raise error from exc
        for info in infos:
            address = info[4][0]
            if not is_public_address(address):
                raise RefusedURLError(f"refused {host}: resolves to non-public {address}")

    def _session(self, origin):
        with self._lock:
            session = self._sessions.get(origin)
            if session is None:
                session = requests.Session()
                session.cookies.set_policy(_NoCookies())
                session.trust_env = False  # no proxies or .netrc credentials from the env
                adapter = HTTPAdapter(
                    pool_connections=1, pool_maxsize=self.config.pool_size, max_retries=0
                )
                session.mount("http://", adapter)
                session.mount("https://", adapter)
                session.headers.update(
                    {"User-Agent": self.config.user_agent, "Accept": "application/json"}
                )
                self._sessions[origin] = session
            return session

    def _send(self, url, headers):
        """One request with retries on 5xx and connection errors; rate limits wait or stop."""
        origin = origin_of(url)
        label = self.check_url(url).label
        budget = self.budget(label)
        if label in self.probes and budget.limited is None:
            self._probe(label, budget)
        attempt = 0
        while True:
            budget.acquire()
            status, answer = None, None
            try:
                self.stats.calls[label] += 1
                answer = self._once(origin, url, headers)
                status = answer.status
            except TransportError as exc:
                budget.release()
                if exc.unreachable and budget.connection_failed(
                    exc.unreachable, self.config.unreachable_after
                ):
                    raise HostStoppedError(budget.stopped) from exc
                if not exc.retryable or attempt >= self.config.retries:
                    raise
                attempt += 1
                self.stats.retries[label] += 1
                self.sleep(self._backoff(attempt))
                continue
            budget.release(status, answer.headers)
            if status in (403, 429) and _is_rate_limited(answer):
                continue  # acquire() now waits for the reset or stops the host
            if status >= 500 and attempt < self.config.retries:
                attempt += 1
                self.stats.retries[label] += 1
                self.sleep(self._backoff(attempt))
                continue
            if status >= 500:
                raise TransportError(f"{url}: HTTP {status}", reason=f"http_{status}")
            return answer

    def _probe(self, label, budget):
        with self._probe_lock:
            url = self.probes.pop(label, None)
            if url is None:
                return
            try:
                answer = self._once(origin_of(url), url, {})
            except (TransportError, BodyTooLargeError):
                return  # the first real request probes instead
            self.stats.calls[label] += 1
            if answer.status == 200:
                budget.observe(answer.headers)

    def _backoff(self, attempt):
        return self.config.backoff * (2 ** (attempt - 1)) * random.uniform(0.5, 1.5)

    def _once(self, origin, url, headers):
        config = self.config
        started = time.monotonic()
        try:
            raw = self._session(origin).get(
                url,
                headers=headers,
                timeout=(config.connect_timeout, config.read_timeout),
                stream=True,
                allow_redirects=False,
            )
        except requests.exceptions.ConnectTimeout as exc:
            raise _transport(f"{url}: connect timeout", "timeout", True, "connect timeout") from exc
        except requests.exceptions.ReadTimeout as exc:
            raise _transport(f"{url}: read timeout", "timeout", False) from exc
        except requests.exceptions.ConnectionError as exc:
            why = _unreachable_reason(exc)
            raise _transport(f"{url}: {why}", "connection", True, why) from exc
        except requests.exceptions.RequestException as exc:
            raise _transport(f"{url}: {type(exc).__name__}", "connection", True) from exc
        try:
            body = self._read_body(raw, url, started)
        finally:
            raw.close()
        return Response(raw.status_code, {k.lower(): v for k, v in raw.headers.items()}, body, url)

    def _read_body(self, raw, url, started):
        config = self.config
        declared = _int_header(raw.headers, "Content-Length")
        if declared is not None and declared > config.max_bytes:
            raise BodyTooLargeError(f"{url}: body of {declared} bytes > cap {config.max_bytes}")
        pieces, size = [], 0
        try:
            while True:
                if time.monotonic() - started > config.deadline:
                    raise _transport(
                        f"{url}: no complete answer within {config.deadline:g}s", "deadline", False
                    )
                piece = raw.raw.read1(CHUNK, decode_content=True)
                if not piece:
                    return b"".join(pieces)
                size += len(piece)
                if size > config.max_bytes:
                    raise BodyTooLargeError(f"{url}: body over the cap of {config.max_bytes} bytes")
                pieces.append(piece)
        except urllib3.exceptions.ReadTimeoutError as exc:
            raise _transport(f"{url}: read timeout", "timeout", False) from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            message = f"{url}: body cut off ({type(exc).__name__})"
            raise _transport(message, "connection", True) from exc


def _transport(message, reason, retryable, unreachable=""):
    error = TransportError(message, reason=reason)
    error.retryable = retryable
    error.unreachable = unreachable
    return error


_SOCKET_ERRORS = (
    (socket.gaierror, "DNS lookup failed"),
    (ConnectionRefusedError, "connection refused"),
    (ConnectionResetError, "connection reset"),
    (ssl.SSLError, "TLS error"),
    (TimeoutError, "connect timeout"),
)


def _unreachable_reason(exc):
    """A short why for a connection that carried no answer (requests nests the socket error)."""
    todo, seen = [exc], set()
    while todo:
        error = todo.pop()
        if id(error) in seen:
            continue
        seen.add(id(error))
        for kind, why in _SOCKET_ERRORS:
            if isinstance(error, kind):
                return why
        nested = [getattr(error, "reason", None), error.__cause__, error.__context__, *error.args]
        todo += [e for e in nested if isinstance(e, BaseException)]
    return "connection failed"


def _is_rate_limited(answer):
    if answer.status == 429:
        return True
    return answer.headers.get("x-ratelimit-remaining") == "0" or "retry-after" in answer.headers
