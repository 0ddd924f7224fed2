"""Running a fetch: a pool of workers over a snapshot of package ids, and the entry points.

Each worker claims a package (packages.fetch.claims), fetches it (packages.fetch.sources) and
writes it (packages.fetch.store); the summary counts what was stored (packages.fetch.summary).
A host that is stopped (rate limit spent, or unreachable) leaves its packages untouched for the
next run. Database or cache trouble while writing stops the whole run with FetchRunError: it is
never reported as a quiet, empty success.
"""

import contextlib
import dataclasses
import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable

from django.db import DatabaseError, connections
from django.db.models import QuerySet
from django.utils import timezone

from common.db_errors import is_lock_timeout
from packages.fetch.claims import Claims, Row, RunScope
from packages.fetch.config import DOWNLOADS, FetcherConfig
from packages.fetch.forges.base import FetchError, HostStoppedError
from packages.fetch.models import PackageFetchState, Source, fetch_state_of
from packages.fetch.sources import (
    Clients,
    build_clients,
    fetch_package,
    fetch_package_downloads,
)
from packages.fetch.state import (
    FORGE_SOURCES,
    SourceResult,
    run_finished,
    run_sources,
    run_started,
    save_states,
)
from packages.fetch.store import SKIPPED, UNCLAIMED, FetchResult, Outcome, record_fetch
from packages.fetch.summary import Summary
from packages.fetch.validators import StoredValidators
from packages.models import Package
from packages.repositories import RepoRef, parse_repo_url

# FetcherConfig and build_clients are re-exported: callers of FetchRun (the command, the tasks)
# build a run from this one module.
__all__ = [
    "FetchRun",
    "FetchRunError",
    "FetcherConfig",
    "build_clients",
    "reset_failures",
]

logger = logging.getLogger(__name__)

OnDone = Callable[[int, Outcome], None]
OnHostStopped = Callable[[str, str], None]


class FetchRunError(Exception):
    """The run could not go on (database or cache unreachable while writing)."""


class FetchRun:
    """One run over a snapshot of package ids, claimed one at a time by `workers` threads.

    `on_done(package_id, outcome)` is called once per package (`outcome.is_claimed` is false
    for one it left to another run, or to a stopped host, before claiming it) and
    `on_host_stopped(label, reason)` once per stopped host, both from one thread at a time.
    """

    def __init__(
        self,
        clients: Clients,
        config: FetcherConfig,
        *,
        source: str | None = None,
        dry_run: bool = False,
        explicit: bool = False,
        include_all: bool = False,
        on_done: OnDone | None = None,
        on_host_stopped: OnHostStopped | None = None,
    ) -> None:
        self.clients = clients
        self.config = config
        self.source = source
        self.dry_run = dry_run
        self.on_done = on_done
        self.on_host_stopped = on_host_stopped
        self.started = timezone.now()
        scope = RunScope(source, explicit, include_all, dry_run)
        self.claims = Claims(config, started=self.started, scope=scope)
        self.summary = Summary(dry_run=dry_run, source=source)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._reported_stops: set[str] = set()
        self._fatal: BaseException | None = None
        # SQLite has one writer at a time and fails lock upgrades at once instead of waiting:
        # the workers of one run take turns to write.
        self._write_lock: contextlib.AbstractContextManager = (
            contextlib.nullcontext() if self.claims.advisory_locks else threading.Lock()
        )

    def select(
        self,
        *,
        slugs: list[str] | None = None,
        ids: list[int] | None = None,
        stale_after_hours: float | None = None,
        limit: int | None = None,
    ) -> list[Row]:
        """Package ids to visit, stalest and never-fetched first (see Claims.select)."""
        rows = self.claims.select(
            slugs=slugs, ids=ids, stale_after_hours=stale_after_hours, limit=limit
        )
        self.summary.selected = len(rows)
        return rows

    def run(self, rows: Iterable[Row]) -> Summary:
        """Visit `rows` with the configured workers; raises FetchRunError on database trouble."""
        began = time.monotonic()
        if not self.dry_run:
            with self._write_lock:
                run_started(run_sources(self.source), at=self.started)
        work: queue.SimpleQueue[Row] = queue.SimpleQueue()
        count = 0
        for row in rows:
            work.put(row)
            count += 1
        workers = max(1, min(self.config.workers, count))
        try:
            if workers == 1:
                self._work(work, close_connection=False)
            else:
                threads = [
                    threading.Thread(target=self._work, args=(work,), daemon=True)
                    for _ in range(workers)
                ]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    while thread.is_alive():
                        thread.join(0.2)
        except BaseException:  # Ctrl-C, or SystemExit from a worker's second SIGTERM
            self._stop.set()
            raise
        finally:
            http = self.clients.http
            self.summary.calls = Counter(http.stats.calls)
            self.summary.not_modified = Counter(http.stats.not_modified)
            self.summary.stopped_hosts = http.stopped_hosts()
            self.summary.unreachable_hosts = http.unreachable_hosts()
            self.summary.wall_time = time.monotonic() - began
        if self._fatal is not None:
            raise FetchRunError(_one_line(self._fatal)) from self._fatal
        if not self.dry_run:
            try:
                run_finished(run_sources(self.source), started=self.started, at=timezone.now())
            except DatabaseError as exc:  # the packages are written: only the record is lost
                logger.warning("recording the run's end: %s", _one_line(exc))
        return self.summary

    def _work(self, work: "queue.SimpleQueue[Row]", close_connection: bool = True) -> None:
        try:
            while not self._stop.is_set():
                try:
                    package_id, repo_url, pypi_url = work.get_nowait()
                except queue.Empty:
                    return
                try:
                    outcome = self._visit(package_id, repo_url, pypi_url)
                except Exception as exc:  # database or cache trouble: stop every worker
                    logger.debug("stopping the run", exc_info=True)
                    with self._lock:
                        self._fatal = self._fatal or exc
                    self._stop.set()
                    return
                with self._lock:
                    self.summary.count(outcome)
                    self._report_stopped_hosts()
                    if self.on_done:
                        self.on_done(package_id, outcome)
        finally:
            if close_connection:
                connections.close_all()

    def _report_stopped_hosts(self) -> None:
        for label, reason in self.clients.http.stopped_hosts().items():
            if label not in self._reported_stops:
                self._reported_stops.add(label)
                if self.on_host_stopped:
                    self.on_host_stopped(label, reason)

    def _host_stopped(self, repo: RepoRef | None, pypi_url: str) -> Outcome | None:
        """A skipped outcome naming why, if a host this package needs has been stopped."""
        stopped = self.clients.http.stopped_hosts()
        needed = self.clients.hosts_of(repo, pypi_url, source=self.source)
        hosts = sorted(needed & set(stopped)) if stopped else []
        if not hosts:
            return None
        why = "host stopped: " + "; ".join(stopped[host] for host in hosts)
        return Outcome("skipped", [], reason="host_stopped", error=why)

    def _visit(self, package_id: int, repo_url: str, pypi_url: str) -> Outcome:
        repo = parse_repo_url(repo_url)  # once per fetch: passed along from here
        skipped = self._host_stopped(repo, pypi_url)
        if skipped:
            return dataclasses.replace(skipped, is_claimed=False)
        with self.claims.claim(package_id, write_lock=self._write_lock) as package:
            if package is None:
                return UNCLAIMED
            if package.repo_url != repo_url:  # edited since the snapshot
                repo = parse_repo_url(package.repo_url)
            outcome = self._fetch_and_record(package, repo)
            if outcome.reason == "host_stopped":
                self.claims.give_back(package)
            return outcome

    def _fetch(
        self, package: Package, repo: RepoRef | None, validators: StoredValidators
    ) -> FetchResult:
        if self.source == DOWNLOADS:
            return fetch_package_downloads(package, self.clients, validators=validators)
        return fetch_package(package, repo, self.clients, source=self.source, validators=validators)

    def _fetch_and_record(self, package: Package, repo: RepoRef | None) -> Outcome:
        validators = StoredValidators()
        try:
            result = self._fetch(package, repo, validators)
        except HostStoppedError:
            stopped = self._host_stopped(repo, package.pypi_url) or SKIPPED
            with self._write_lock:
                self._save_skipped(package, repo, stopped)
            return stopped
        if result.errors:
            skipped = self._host_stopped(repo, package.pypi_url)
            if skipped:  # its host stopped during the fetch: no fault of the package
                with self._write_lock:
                    self._save_skipped(package, repo, skipped)
                return skipped
        with self._write_lock:
            try:
                return record_fetch(package, result, validators=validators, dry_run=self.dry_run)
            except DatabaseError as exc:  # e.g. a rename colliding with a concurrent edit
                if is_lock_timeout(exc):  # an edit held the row past DB_LOCK_TIMEOUT_MS
                    logger.warning("writing %s: %s", package.slug, _one_line(exc))
                    why = "its row was locked by another writer: left for the next run"
                    # No state row: writing one would wait for the same lock.
                    return Outcome("skipped", [], reason="locked", error=why)
                logger.warning("writing %s failed: %s", package.slug, _one_line(exc))
                package.refresh_from_db()
                failure = FetchResult(
                    errors=[FetchError(f"write failed: {_one_line(exc)}", reason="write")]
                )
                return record_fetch(package, failure, dry_run=self.dry_run)

    def _save_skipped(self, package: Package, repo: RepoRef | None, outcome: Outcome) -> None:
        """Record `outcome` (skipped) for each source this run would have fetched."""
        if self.dry_run:
            return
        sources: list[str] = []
        if self.source == DOWNLOADS:
            sources = [Source.PYPISTATS] if package.pypi_url else []
        else:
            forge = self.clients.forge_for(repo)
            if forge is not None and self.source in (None, FORGE_SOURCES[forge.kind]):
                sources.append(FORGE_SOURCES[forge.kind])
            if package.pypi_url and self.source in (None, Source.PYPI):
                sources.append(Source.PYPI)
        results = [SourceResult(s, "skipped", outcome.reason, outcome.error) for s in sources]
        failures = fetch_state_of(package).failures
        try:
            save_states(package.pk, results, failures=failures, now=timezone.now())
        except DatabaseError as exc:  # e.g. the package row locked by an edit: only a record
            logger.warning("recording %s as skipped: %s", package.slug, _one_line(exc))


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if type(exc).__module__ != "builtins" else text


def reset_failures(queryset: QuerySet[Package]) -> int:
    """Forget consecutive failures, so a backed-off package is fetched by the next run."""
    failing = PackageFetchState.objects.filter(package__in=queryset.values("pk"), failures__gt=0)
    return failing.update(failures=0, error="", failing_since=None)
