"""pypistats.org's recent downloads: `GET {PYPISTATS_URL}/packages/{name}/recent` -> last month's
count, stored on the package as `pypi_downloads`.

A secondary, scarce source, fetched by a pass of its own (`fetch_stats --source downloads`) so it
never sets the pace of the repository and PyPI fetch, and polite to a small volunteer service:
its requests go through the run's HttpClient under their own origin (so their own host budget
and stored ETags), at most PYPISTATS_REQUESTS_PER_SECOND start per second from one run however
many workers it has, and each package is asked at most once per PYPISTATS_STALE_AFTER_HOURS
(pypistats updates daily; packages.fetch.claims). A failure keeps the old count and never
touches the package's fetch failures. An empty PYPISTATS_URL turns the source off.
"""

import logging
import threading
import time
from collections.abc import Callable
from urllib.parse import quote

from packages.fetch.errors import FetchError, HostStoppedError, NotFoundError, UpstreamDataError
from packages.fetch.forges.base import expect_ok
from packages.fetch.http import HttpClient, Validators

logger = logging.getLogger(__name__)

MAX_COUNT = 2_147_483_647


class Pacer:
    """At most `rate` request starts per second, shared by every thread of a run."""

    def __init__(
        self,
        rate: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.clock = clock
        self.sleep = sleep
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = self.clock()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            self.sleep(start - now)


class PyPIStatsClient:
    label = "pypistats"

    def __init__(self, http: HttpClient, *, base_url: str, requests_per_second: float) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.pacer = Pacer(requests_per_second)

    def fetch(self, name: str, *, validators: Validators | None = None) -> int:
        """Last month's downloads of the PyPI project `name` (PEP 503 form)."""
        self.pacer.wait()
        url = f"{self.base_url}/packages/{quote(name)}/recent"
        response = self.http.get(url, validators=validators)
        if response.status == 404:
            raise NotFoundError(f"pypistats: no download counts for {name!r}")
        expect_ok(response, self.label)
        return parse_recent(response.json())


def parse_recent(document: object) -> int:
    """`{"data": {"last_day", "last_week", "last_month"}, "package", "type"}` -> last_month."""
    data = document.get("data") if isinstance(document, dict) else None
    if not isinstance(data, dict):
        raise UpstreamDataError("pypistats: no 'data' object")
    count = data.get("last_month")
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise UpstreamDataError("pypistats: 'last_month' is not a non-negative integer")
    return min(count, MAX_COUNT)


def fetch_downloads(
    client: PyPIStatsClient, name: str, *, validators: Validators | None = None
) -> tuple[int | None, FetchError | None]:
    """The project's last-month downloads, or None and why not (the stored count stays).

    HostStoppedError (its budget spent beyond --max-wait, or unreachable) propagates: the
    package was not asked, and is due again.
    """
    try:
        return client.fetch(name, validators=validators), None
    except HostStoppedError:
        raise
    except FetchError as exc:
        return None, exc
    except Exception as exc:  # a bug here must cost one package, never the run
        logger.exception("fetching %s from pypistats", name)
        return None, FetchError(f"pypistats: {exc!r}", reason="error")
