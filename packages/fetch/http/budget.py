"""Rate-limit accounting per host: how many requests may be in flight, and when to wait or stop.

Read from the answers' `X-RateLimit-*` and `Retry-After` headers (GitHub, GitLab and the stub
publish them); a host whose answers publish no budget is never gated.
"""

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

from packages.fetch.errors import HostStoppedError

logger = logging.getLogger(__name__)

Headers = Mapping[str, str]


@dataclass
class HostBudget:
    """Rate-limit accounting for one origin, shared by every worker thread.

    A request is allowed only while the known remaining budget exceeds the requests already in
    flight. While the budget is unknown and the last answer published one (at the start, and
    after each reset) one request at a time probes it; while the answers publish none, requests
    are not gated at all. When the budget is spent we wait for the reset if it comes within
    `max_wait`, else the host is stopped for the rest of the run.
    """

    label: str
    max_wait: float
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], object] = time.sleep
    remaining: int | None = None
    limit: int | None = None
    reset_at: float | None = None
    inflight: int = 0
    stopped: str = ""
    unreachable: bool = False  # stopped because connections failed, not by a rate limit
    connection_failures: int = 0  # in a row; any answer resets it
    waited: float = 0.0
    # None until an answer says; then whether the latest answer published a budget.
    limited: bool | None = None
    _cond: threading.Condition = field(default_factory=threading.Condition)

    def acquire(self) -> None:
        """Take a slot for one request: may wait for a reset; HostStoppedError if too far."""
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

    def connection_failed(self, why: str, limit: int) -> bool:
        """Count a connection-level failure; `limit` in a row stop the host. True once stopped."""
        with self._cond:
            self.connection_failures += 1
            if not self.stopped and self.connection_failures >= limit:
                self.stopped = f"{self.label}: unreachable ({why})"
                self.unreachable = True
                self._cond.notify_all()
            return bool(self.stopped)

    def release(self, status: int | None = None, headers: Headers | None = None) -> None:
        """Give the slot back; with an answer's headers, learn the budget from them."""
        with self._cond:
            self.inflight = max(0, self.inflight - 1)
            if headers is not None:
                self.connection_failures = 0
                self.limited = "x-ratelimit-remaining" in headers or status in (403, 429)
                self._account(status, headers)
            self._cond.notify_all()

    def observe(self, headers: Headers) -> None:
        """Take the budget from an answer that did not spend it."""
        with self._cond:
            if int_header(headers, "x-ratelimit-remaining") is not None:
                self.limited = True
                self._account(200, headers)
            self._cond.notify_all()

    def _account(self, status: int | None, headers: Headers) -> None:
        now = self.clock()
        limit = int_header(headers, "x-ratelimit-limit")
        if limit is not None:
            self.limit = limit
        remaining = int_header(headers, "x-ratelimit-remaining")
        reset = int_header(headers, "x-ratelimit-reset")
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


def is_rate_limited(status: int, headers: Headers) -> bool:
    """A 403/429 that says the budget is spent (not a plain "forbidden")."""
    if status == 429:
        return True
    return headers.get("x-ratelimit-remaining") == "0" or "retry-after" in headers


def int_header(headers: Headers, name: str) -> int | None:
    try:
        return int(float(headers.get(name, "")))
    except (TypeError, ValueError):
        return None


def _retry_after(headers: Headers, now: float) -> float | None:
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
