"""Running a fetch: which packages, who owns each one, a pool of workers, and the summary.

Work is claimed in the database so overlapping runs (cron overlap, several machines) never fetch
the same package: on PostgreSQL each worker holds the package row with SELECT ... FOR UPDATE
SKIP LOCKED for the length of its fetch and write (a killed run's locks vanish with its
connection); elsewhere a `fetch_lease_until` lease, which expires after FETCH_LEASE_SECONDS.
Packages are taken stalest first, so a run stopped by a rate limit resumes where it left off.
"""

import contextlib
import logging
import queue
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connection, connections, transaction
from django.db.models import Q
from django.utils import timezone

from packages.fetch.forges import build_forges, forge_sites, parse_repo_url
from packages.fetch.forges.base import FetchError, HostStoppedError, NotFoundError
from packages.fetch.http import HttpClient, HttpConfig, Origin
from packages.fetch.pypi import PyPIClient
from packages.fetch.store import FetchResult, Outcome, StoredValidators, record_fetch
from packages.identifiers import IdentifierError, normalize_pypi_name
from packages.models import Package

logger = logging.getLogger(__name__)

SOURCES = ("github", "gitlab", "bitbucket", "codeberg", "pypi")
_SOURCE_KIND = {
    "github": "github",
    "gitlab": "gitlab",
    "bitbucket": "bitbucket",
    "codeberg": "forgejo",
}


@dataclass(frozen=True)
class FetcherConfig:
    """Everything the fetcher reads from settings, read when a run starts (never at import)."""

    sites: tuple
    pypi_url: str
    http: HttpConfig
    workers: int = 8
    stale_after_hours: float = 24
    max_pages: int = 20
    lease_seconds: int = 600
    max_failures: int = 5
    failure_backoff_hours: float = 168
    computing_delay: float = 1.0

    @classmethod
    def from_settings(cls, *, workers=None, max_wait=None):
        def setting(name, default):
            return getattr(settings, name, default)

        urls = {
            "GITHUB_API_URL": setting("GITHUB_API_URL", "https://api.github.com"),
            "GITLAB_API_URL": setting("GITLAB_API_URL", "https://gitlab.com/api/v4"),
            "BITBUCKET_API_URL": setting("BITBUCKET_API_URL", "https://api.bitbucket.org/2.0"),
            "CODEBERG_API_URL": setting("CODEBERG_API_URL", "https://codeberg.org/api/v1"),
            "PYPI_URL": setting("PYPI_URL", "https://pypi.org"),
        }
        for name, url in urls.items():
            if not isinstance(url, str) or not url.startswith(("http://", "https://")):
                raise ImproperlyConfigured(f"{name} must be an http(s) URL, not {url!r}")
        sites = forge_sites(
            github_api_url=urls["GITHUB_API_URL"],
            gitlab_api_url=urls["GITLAB_API_URL"],
            bitbucket_api_url=urls["BITBUCKET_API_URL"],
            codeberg_api_url=urls["CODEBERG_API_URL"],
            github_token=setting("GITHUB_TOKEN", ""),
            gitlab_token=setting("GITLAB_TOKEN", ""),
            gitlab_hosts=setting("GITLAB_HOSTS", []),
            forgejo_hosts=setting("FORGEJO_HOSTS", []),
        )
        workers = workers or setting("FETCH_WORKERS", 8)
        if workers < 1:
            raise ImproperlyConfigured("--workers must be at least 1")
        http = HttpConfig(
            connect_timeout=setting("FETCH_CONNECT_TIMEOUT", 10),
            read_timeout=setting("FETCH_READ_TIMEOUT", 10),
            deadline=setting("FETCH_DEADLINE", 20),
            max_bytes=setting("FETCH_MAX_BYTES", 10 * 1024 * 1024),
            retries=setting("FETCH_RETRIES", 3),
            backoff=setting("FETCH_RETRY_BACKOFF_MS", 500) / 1000,
            max_wait=max_wait if max_wait is not None else setting("FETCH_MAX_WAIT", 60),
            pool_size=workers,
        )
        return cls(
            sites=tuple(sites),
            pypi_url=urls["PYPI_URL"],
            http=http,
            workers=workers,
            stale_after_hours=setting("FETCH_STALE_AFTER_HOURS", 24),
            max_pages=setting("FETCH_MAX_PAGES", 20),
            lease_seconds=setting("FETCH_LEASE_SECONDS", 600),
            max_failures=setting("FETCH_MAX_FAILURES", 5),
            failure_backoff_hours=setting("FETCH_FAILURE_BACKOFF_HOURS", 168),
            computing_delay=setting("FETCH_COMPUTING_DELAY_MS", 1000) / 1000,
        )


@dataclass
class Clients:
    http: object
    forges: dict
    pypi: object

    def forge_for(self, repo_url):
        ref = parse_repo_url(repo_url)
        forge = self.forges.get(ref.host) if ref else None
        return (forge, ref) if forge else (None, ref)

    def close(self):
        self.http.close()


def build_clients(config, *, http=None):
    """The HTTP client and one client per configured site, sharing pools and rate budgets."""
    if http is None:
        origins = {s.api_url: Origin(s.label, trusted=s.trusted) for s in config.sites}
        origins[config.pypi_url] = Origin("pypi")
        probes = {s.label: f"{s.api_url.rstrip('/')}/rate_limit" for s in config.sites}
        probes = {label: url for label, url in probes.items() if label == "github"}
        http = HttpClient(origins, config=config.http, probes=probes)
    forges = build_forges(http, config.sites, max_pages=config.max_pages)
    for forge in forges.values():
        if hasattr(forge, "computing_delay"):
            forge.computing_delay = config.computing_delay
    return Clients(http=http, forges=forges, pypi=PyPIClient(http, base_url=config.pypi_url))


def fetch_package(package, clients, *, source=None, validators=None, now=None):
    """Fetch every source of one package (or only `source`); no database writes."""
    result = FetchResult()
    if package.repo_url:
        forge, ref = clients.forge_for(package.repo_url)
        if forge is None:
            result.notes.append("repository host is not a configured forge: not fetched")
        elif source is not None and _SOURCE_KIND.get(source) != forge.kind:
            result.complete = False
        else:
            try:
                stats = forge.fetch(ref, validators=validators, now=now)
            except NotFoundError:
                result.repo_missing = True
            except HostStoppedError:
                raise
            except FetchError as exc:
                result.errors.append(FetchError(f"{forge.label}: {exc}", reason=exc.reason))
            except Exception as exc:  # a bug must cost one package, never the run
                logger.exception("fetching %s from %s", package.repo_url, forge.label)
                result.errors.append(FetchError(f"{forge.label}: {exc!r}", reason="error"))
            else:
                result.repo = stats
                result.errors += list(stats.errors)
                result.notes += [f"{forge.label}: {n}" for n in stats.notes]
    if package.pypi_url:
        if source not in (None, "pypi"):
            result.complete = False
        else:
            try:
                name = normalize_pypi_name(package.pypi_url)
                result.project = clients.pypi.fetch(name, validators=validators)
            except IdentifierError as exc:
                result.errors.append(FetchError(f"pypi: {exc}", reason="bad_name"))
            except HostStoppedError:
                raise
            except FetchError as exc:
                result.errors.append(FetchError(f"pypi: {exc}", reason=exc.reason))
            except Exception as exc:
                logger.exception("fetching %s from PyPI", package.pypi_url)
                result.errors.append(FetchError(f"pypi: {exc!r}", reason="error"))
    return result


@dataclass
class Summary:
    selected: int = 0
    fetched: int = 0
    unchanged: int = 0
    missing: int = 0
    failed: Counter = field(default_factory=Counter)
    skipped: int = 0
    calls: Counter = field(default_factory=Counter)
    not_modified: Counter = field(default_factory=Counter)
    stopped_hosts: dict = field(default_factory=dict)
    wall_time: float = 0.0
    dry_run: bool = False

    def count(self, outcome):
        if outcome.status == "failed":
            self.failed[outcome.reason] += 1
        elif outcome.status == "skipped":
            self.skipped += 1
        else:
            setattr(self, outcome.status, getattr(self, outcome.status) + 1)

    def as_dict(self):
        total_calls = sum(self.calls.values())
        return {
            "selected": self.selected,
            "fetched": self.fetched,
            "unchanged": self.unchanged,
            "missing": self.missing,
            "failed": sum(self.failed.values()),
            "failed_by_reason": dict(sorted(self.failed.items())),
            "skipped": self.skipped,
            "calls_by_host": dict(sorted(self.calls.items())),
            "calls": total_calls,
            "not_modified": sum(self.not_modified.values()),
            "not_modified_share": round(sum(self.not_modified.values()) / total_calls, 4)
            if total_calls
            else 0.0,
            "stopped_hosts": self.stopped_hosts,
            "wall_time_s": round(self.wall_time, 3),
            "dry_run": self.dry_run,
        }

    def line(self):
        d = self.as_dict()
        failed = ", ".join(f"{k} {v}" for k, v in d["failed_by_reason"].items())
        calls = ", ".join(f"{k} {v}" for k, v in d["calls_by_host"].items()) or "none"
        parts = [
            f"{d['selected']} selected",
            f"{d['fetched']} fetched",
            f"{d['unchanged']} unchanged",
            f"{d['missing']} missing",
            f"{d['failed']} failed" + (f" ({failed})" if failed else ""),
            f"{d['skipped']} skipped",
            f"API calls: {calls}",
            f"304s: {d['not_modified']} ({d['not_modified_share']:.0%})",
        ]
        if self.stopped_hosts:
            parts.append("stopped: " + "; ".join(self.stopped_hosts.values()))
        prefix = "dry run: " if self.dry_run else ""
        return f"{prefix}" + ", ".join(parts) + f", {d['wall_time_s']:.1f}s"


SKIPPED = Outcome("skipped", [])


class FetchRun:
    """One run over a snapshot of package ids, claimed one at a time by `workers` threads."""

    def __init__(
        self,
        clients,
        config,
        *,
        source=None,
        dry_run=False,
        explicit=False,
        include_all=False,
        on_done=None,
    ):
        self.clients = clients
        self.config = config
        self.source = source
        self.dry_run = dry_run
        self.explicit = explicit
        self.include_all = include_all
        self.on_done = on_done
        self.started = timezone.now()
        self.summary = Summary(dry_run=dry_run)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._row_locks = connection.vendor == "postgresql"
        # SQLite has one writer at a time and fails lock upgrades at once instead of waiting:
        # the workers of one run take turns to write.
        self._write_lock = contextlib.nullcontext() if self._row_locks else threading.Lock()

    # -- selection ----------------------------------------------------------------------
    def select(self, *, slugs=None, ids=None, stale_after_hours=None, limit=None):
        """Package ids to visit, stalest and never-fetched first."""
        queryset = Package.objects.all()
        if slugs is not None:
            queryset = queryset.filter(slug__in=slugs)
        elif ids is not None:
            queryset = queryset.filter(pk__in=ids)
        else:
            if not self.include_all:
                hours = stale_after_hours
                if hours is None:
                    hours = self.config.stale_after_hours
                queryset = queryset.stale(self.started - timedelta(hours=hours))
            backoff = self.started - timedelta(hours=self.config.failure_backoff_hours)
            queryset = queryset.exclude(
                fetch_failures__gte=self.config.max_failures, fetch_error_at__gt=backoff
            ).exclude(repo_url="", pypi_url="")
        if self.source:
            queryset = queryset.filter(self._source_filter())
        queryset = queryset.stalest_first().values_list("id", "repo_url", "pypi_url")
        rows = list(queryset[:limit] if limit else queryset)
        self.summary.selected = len(rows)
        return rows

    def _source_filter(self):
        if self.source == "pypi":
            return ~Q(pypi_url="")
        kind = _SOURCE_KIND[self.source]
        condition = Q(pk__in=[])
        for site in self.config.sites:
            if site.kind == kind:
                condition |= Q(repo_url__startswith=f"https://{site.host}/")
        return condition

    def _claimable(self):
        """Still worth fetching now: nobody fetched it (or failed it) since this run began."""
        hours = 0 if (self.explicit or self.include_all) else self.config.stale_after_hours
        cutoff = self.started - timedelta(hours=hours)
        return (Q(last_fetched__isnull=True) | Q(last_fetched__lt=cutoff)) & ~Q(
            fetch_error_at__gte=self.started
        )

    # -- running ------------------------------------------------------------------------
    def run(self, rows):
        began = time.monotonic()
        work = queue.SimpleQueue()
        for row in rows:
            work.put(row)
        workers = max(1, min(self.config.workers, len(rows)))
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
        except KeyboardInterrupt:
            self._stop.set()
            raise
        finally:
            http = self.clients.http
            self.summary.calls = Counter(http.stats.calls)
            self.summary.not_modified = Counter(http.stats.not_modified)
            self.summary.stopped_hosts = http.stopped_hosts()
            self.summary.wall_time = time.monotonic() - began
        return self.summary

    def _work(self, work, close_connection=True):
        try:
            while not self._stop.is_set():
                try:
                    package_id, repo_url, pypi_url = work.get_nowait()
                except queue.Empty:
                    return
                if self._host_stopped(repo_url, pypi_url):
                    outcome, slug = SKIPPED, None
                else:
                    outcome, slug = self._process(package_id)
                with self._lock:
                    self.summary.count(outcome)
                    if self.on_done:
                        self.on_done(slug, outcome)
        finally:
            if close_connection:
                connections.close_all()

    def _host_stopped(self, repo_url, pypi_url):
        stopped = self.clients.http.stopped_hosts()
        if not stopped:
            return False
        forge, _ref = self.clients.forge_for(repo_url) if repo_url else (None, None)
        return (forge is not None and forge.label in stopped) or (
            bool(pypi_url) and self.clients.pypi.label in stopped
        )

    def _process(self, package_id):
        if self.dry_run:
            package = Package.objects.filter(pk=package_id).first()
            if package is None:
                return SKIPPED, None
            return self._fetch_and_record(package), package.slug
        if self._row_locks:
            with transaction.atomic():
                package = (
                    Package.objects.select_for_update(skip_locked=True)
                    .filter(self._claimable(), pk=package_id)
                    .first()
                )
                if package is None:
                    return SKIPPED, None
                return self._fetch_and_record(package), package.slug
        with self._write_lock:
            package = self._lease(package_id)
        if package is None:
            return SKIPPED, None
        return self._fetch_and_record(package), package.slug

    def _lease(self, package_id):
        now = timezone.now()
        claimed = (
            Package.objects.filter(self._claimable(), pk=package_id)
            .filter(Q(fetch_lease_until__isnull=True) | Q(fetch_lease_until__lt=now))
            .update(fetch_lease_until=now + timedelta(seconds=self.config.lease_seconds))
        )
        return Package.objects.filter(pk=package_id).first() if claimed else None

    def _fetch_and_record(self, package):
        validators = StoredValidators()
        try:
            result = fetch_package(package, self.clients, source=self.source, validators=validators)
        except HostStoppedError:
            if not self._row_locks and not self.dry_run:
                with self._write_lock:
                    Package.objects.filter(pk=package.pk).update(fetch_lease_until=None)
            return SKIPPED
        with self._write_lock:
            try:
                outcome = record_fetch(package, result, validators=validators, dry_run=self.dry_run)
            except DatabaseError as exc:  # e.g. a rename colliding with a concurrent edit
                logger.warning("writing %s failed: %r", package.slug, exc)
                package.refresh_from_db()
                failure = FetchResult(errors=[FetchError(f"write failed: {exc}", reason="write")])
                outcome = record_fetch(package, failure, dry_run=self.dry_run)
        if outcome.status == "failed":
            logger.info("%s: %s", package.slug, outcome.error)
        return outcome


def reset_failures(queryset):
    """Forget consecutive failures, so a backed-off package is fetched by the next run."""
    return queryset.filter(fetch_failures__gt=0).update(fetch_failures=0, fetch_error="")


def fetch_now(queryset, *, config=None, clients=None):
    """Fetch these packages right away (the admin action): the same code as the command."""
    config = config or FetcherConfig.from_settings(workers=1, max_wait=0)
    own = clients is None
    clients = clients or build_clients(config)
    try:
        run = FetchRun(clients, config, explicit=True)
        return run.run(run.select(ids=list(queryset.values_list("pk", flat=True))))
    finally:
        if own:
            clients.close()
