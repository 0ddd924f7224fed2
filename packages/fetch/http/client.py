"""HttpClient: every request to a forge or PyPI goes through `HttpClient.get`.

It puts together, once for all clients: the SSRF guard (guard.py) on every URL and redirect,
same-origin redirects only, conditional requests (If-None-Match / If-Modified-Since from stored
validators; a 304 reuses the stored body), retries with jittered backoff on 5xx and connection
errors, and the per-host rate budget (budget.py), which every request gives back on every exit
path. One bounded exchange is transport.py's job.
"""

import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urljoin

import requests

from packages.fetch.errors import (
    BodyTooLargeError,
    HostStoppedError,
    RefusedURLError,
    TransportError,
    UpstreamDataError,
)
from packages.fetch.http.budget import HostBudget, is_rate_limited
from packages.fetch.http.config import HttpConfig
from packages.fetch.http.guard import Origin, OriginGuard, Resolver, origin_of
from packages.fetch.http.response import Response
from packages.fetch.http.transport import Transport

MAX_REDIRECTS = 3
REDIRECTS = {301, 302, 303, 307, 308}


class StoredValidatorLike(Protocol):
    """What an earlier answer left: its validators and its body (read-only)."""

    @property
    def etag(self) -> str: ...

    @property
    def last_modified(self) -> str: ...

    @property
    def body(self) -> bytes: ...


class Validators(Protocol):
    """Where ETag / Last-Modified and bodies of earlier answers are kept (store.py)."""

    def lookup(self, url: str) -> StoredValidatorLike | None: ...

    def remember(self, url: str, etag: str, last_modified: str, body: bytes) -> None: ...


@dataclass
class CallStats:
    calls: Counter[str] = field(default_factory=Counter)
    not_modified: Counter[str] = field(default_factory=Counter)
    retries: Counter[str] = field(default_factory=Counter)


class HttpClient:
    """GET JSON from configured origins, politely and safely (see the module docstring)."""

    def __init__(
        self,
        origins: Mapping[str, Origin],
        *,
        config: HttpConfig | None = None,
        sleep: Callable[[float], object] = time.sleep,
        clock: Callable[[], float] = time.time,
        resolver: Resolver | None = None,
        probes: Mapping[str, str] | None = None,
    ) -> None:
        self.config = config or HttpConfig.from_settings()
        self.guard = OriginGuard(origins, resolver=resolver)
        self.transport = Transport(self.config)
        self.sleep = sleep
        self.clock = clock
        self.stats = CallStats()
        self._lock = threading.Lock()
        self._budgets: dict[str, HostBudget] = {}
        # {label: URL} answering the current rate limit without spending it (GitHub's
        # /rate_limit): asked once before the first real request, so a run that starts after
        # another spent the budget never sends a request past the limit to find out.
        self.probes = dict(probes or {})
        self._probe_lock = threading.Lock()

    # -- public -------------------------------------------------------------------------
    def get(
        self,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        validators: Validators | None = None,
    ) -> Response:
        """GET `url`; 304s come back as the stored 200 with `not_modified` set.

        Non-2xx answers other than 5xx are returned for the caller to interpret (404 means
        something different to each API); 5xx and transport errors raise after retries.
        """
        url = str(requests.Request("GET", url, params=params).prepare().url)
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

    def check_url(self, url: str) -> Origin:
        """The URL's configured Origin, or RefusedURLError (see guard.py)."""
        return self.guard.check(url)

    def budget(self, label: str) -> HostBudget:
        with self._lock:
            if label not in self._budgets:
                self._budgets[label] = HostBudget(
                    label, self.config.max_wait, clock=self.clock, sleep=self.sleep
                )
            return self._budgets[label]

    def stopped_hosts(self) -> dict[str, str]:
        with self._lock:
            return {label: b.stopped for label, b in self._budgets.items() if b.stopped}

    def unreachable_hosts(self) -> dict[str, str]:
        """The stopped hosts that could not be reached at all (rather than rate-limited)."""
        with self._lock:
            return {label: b.stopped for label, b in self._budgets.items() if b.unreachable}

    def close(self) -> None:
        self.transport.close()

    # -- internals ----------------------------------------------------------------------
    def _send(self, url: str, headers: Mapping[str, str]) -> Response:
        """One request with retries on 5xx and connection errors; rate limits wait or stop.

        The host budget taken by `acquire` is given back whatever happens to the request.
        """
        origin = origin_of(url)
        checked = self.check_url(url)
        label = checked.label
        budget = self.budget(label)
        if label in self.probes and budget.limited is None:
            self._probe(label, budget)
        attempt = 0
        while True:
            budget.acquire()
            answer: Response | None = None
            try:
                self.stats.calls[label] += 1
                answer = self._once(origin, url, headers, public_only=not checked.trusted)
            except TransportError as exc:
                budget.release()
                if exc.unreachable and budget.connection_failed(
                    exc.unreachable, self.config.unreachable_after
                ):
                    raise HostStoppedError(budget.stopped) from exc
                if not exc.retryable or attempt >= self.config.retries:
                    raise
            except BaseException:
                budget.release()  # body too large, a bug below us, an interrupt: never held
                raise
            else:
                budget.release(answer.status, answer.headers)
            if answer is None:  # a retryable transport error
                attempt += 1
                self.stats.retries[label] += 1
                self.sleep(self._backoff(attempt))
                continue
            status = answer.status
            if status in (403, 429) and is_rate_limited(status, answer.headers):
                continue  # acquire() now waits for the reset or stops the host
            if status >= 500 and attempt < self.config.retries:
                attempt += 1
                self.stats.retries[label] += 1
                self.sleep(self._backoff(attempt))
                continue
            if status >= 500:
                raise TransportError(f"{url}: HTTP {status}", reason=f"http_{status}")
            return answer

    def _once(
        self, origin: str, url: str, headers: Mapping[str, str], *, public_only: bool = False
    ) -> Response:
        return self.transport.send(origin, url, headers, public_only=public_only)

    def _probe(self, label: str, budget: HostBudget) -> None:
        with self._probe_lock:
            url = self.probes.pop(label, None)
            if url is None:
                return
            try:
                public_only = not self.check_url(url).trusted
                answer = self._once(origin_of(url), url, {}, public_only=public_only)
            except (TransportError, BodyTooLargeError, RefusedURLError):
                return  # the first real request probes instead
            self.stats.calls[label] += 1
            if answer.status == 200:
                budget.observe(answer.headers)

    def _backoff(self, attempt: int) -> float:
        return self.config.backoff * (2 ** (attempt - 1)) * random.uniform(0.5, 1.5)
