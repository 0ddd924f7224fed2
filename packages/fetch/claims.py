"""Which packages a run visits, and who owns each one while it is fetched.

Work is claimed in the database so overlapping runs (cron overlap, several machines) never fetch
the same package, and skip (never wait for) what another run holds. No row lock is held while a
package is fetched: an edit made meanwhile never waits for an upstream, and the write
(packages.fetch.store) re-reads the row under its lock for a moment. On PostgreSQL a claim is a
session-level advisory lock on the package id (pg_try_advisory_lock), which vanishes with a
killed run's connection; elsewhere a lease (`PackageFetchState.lease_until`), which expires
after FETCH_LEASE_SECONDS and is given back when the package was not written.

Packages are taken stalest first, so a run stopped by a rate limit resumes where it left off.
The downloads source (pypistats) has its own staleness and order, most-viewed first; its claim
is the stamp `pypi_downloads_checked_at`, set by a compare-and-set, so a count is asked at most
once per PYPISTATS_STALE_AFTER_HOURS whichever run asks.
"""

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import DatabaseError, connection
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from packages.fetch.config import DOWNLOADS, SOURCE_KIND, FetcherConfig
from packages.fetch.models import PackageFetchState
from packages.models import Package, PackageQuerySet

Row = tuple[int, str, str]  # id, repo_url, pypi_url

# The first key of our advisory locks (the second is the package id): "dpft".
ADVISORY_NAMESPACE = 0x64706674
INT4 = 2**31


@dataclass(frozen=True)
class RunScope:
    """What a run visits: one source or all (`source`), only the packages named (`explicit`),
    fresh ones too (`include_all`), and whether it writes nothing (`dry_run`)."""

    source: str | None = None
    explicit: bool = False
    include_all: bool = False
    dry_run: bool = False


class Claims:
    """Selection and ownership of packages for one run that began at `started`."""

    def __init__(
        self, config: FetcherConfig, *, started: datetime, scope: RunScope | None = None
    ) -> None:
        scope = scope or RunScope()
        self.config = config
        self.started = started
        self.source = scope.source
        self.explicit = scope.explicit
        self.include_all = scope.include_all
        self.dry_run = scope.dry_run
        self.advisory_locks = connection.vendor == "postgresql"
        self.downloads = scope.source == DOWNLOADS
        self._stamps: dict[int, datetime | None] = {}

    def select(
        self,
        *,
        slugs: list[str] | None = None,
        ids: list[int] | None = None,
        stale_after_hours: float | None = None,
        limit: int | None = None,
    ) -> list[Row]:
        """Package ids to visit: stalest and never-fetched first (downloads: most-viewed first)."""
        queryset = Package.objects.all()
        if slugs is not None:
            queryset = queryset.filter(slug__in=slugs)
        elif ids is not None:
            queryset = queryset.filter(pk__in=ids)
        elif self.downloads:
            if not self.include_all:
                queryset = queryset.filter(self._downloads_due(stale_after_hours))
        else:
            if not self.include_all:
                hours = self.config.stale_after_hours
                if stale_after_hours is not None:
                    hours = stale_after_hours
                queryset = queryset.stale(self.started - timedelta(hours=hours))
            backoff = self.started - timedelta(hours=self.config.failure_backoff_hours)
            queryset = queryset.exclude(
                fetch_state__failures__gte=self.config.max_failures,
                fetch_state__error_at__gt=backoff,
            ).exclude(repo_url="", pypi_url="")
        if self.source:
            queryset = queryset.filter(self._source_filter())
        rows = self._ordered(queryset).values_list("id", "repo_url", "pypi_url")
        return list(rows[:limit] if limit else rows)

    def claimable(self) -> Q:
        """Still worth fetching now: nobody fetched it (or failed it) since this run began."""
        hours = 0 if (self.explicit or self.include_all) else self.config.stale_after_hours
        cutoff = self.started - timedelta(hours=hours)
        is_stale = Q(last_fetched__isnull=True) | Q(last_fetched__lt=cutoff)
        return is_stale & ~Q(fetch_state__error_at__gte=self.started)

    @contextmanager
    def claim(
        self, package_id: int, *, write_lock: AbstractContextManager
    ) -> Iterator[Package | None]:
        """The package, owned by this worker until the block ends; None if someone else has it.

        The block holds no transaction and no row lock: fetch inside it, then write (the
        write takes the row lock for its own short transaction). The package comes with its
        `fetch_state` when it has one.
        """
        if self.dry_run:
            yield _with_state(Package.objects.filter(pk=package_id))
        elif self.downloads:
            with write_lock:
                stamped = self._stamp_downloads(package_id)
            yield stamped
        elif self.advisory_locks:
            if not _try_advisory_lock(package_id):
                yield None
                return
            try:
                yield _with_state(Package.objects.filter(self.claimable(), pk=package_id))
            finally:
                _advisory_unlock(package_id)
        else:
            with write_lock:
                package = self._lease(package_id)
            try:
                yield package
            finally:
                if package is not None and package.fetch_state.lease_until is not None:
                    with write_lock:
                        self.release(package)

    def release(self, package: Package) -> None:
        """Give back this worker's lease (never another run's) when no write did: a stored
        outcome gives it back itself (packages.fetch.store)."""
        state = package.fetch_state
        PackageFetchState.objects.filter(pk=package.pk, lease_until=state.lease_until).update(
            lease_until=None
        )
        state.lease_until = None

    def give_back(self, package: Package) -> None:
        """A package this run claimed but left unasked (its host stopped): due again at once."""
        if self.downloads and package.pk in self._stamps:
            Package.objects.filter(
                pk=package.pk, pypi_downloads_checked_at=package.pypi_downloads_checked_at
            ).update(pypi_downloads_checked_at=self._stamps.pop(package.pk))

    def _lease(self, package_id: int) -> Package | None:
        now = timezone.now()
        until = now + timedelta(seconds=self.config.lease_seconds)
        PackageFetchState.objects.bulk_create(
            [PackageFetchState(package_id=package_id)], ignore_conflicts=True
        )
        worth_it = Package.objects.filter(self.claimable(), pk=package_id).values("pk")
        claimed = (
            PackageFetchState.objects.filter(pk=package_id, package__in=worth_it)
            .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
            .update(lease_until=until)
        )
        return _with_state(Package.objects.filter(pk=package_id)) if claimed else None

    def _downloads_due(self, stale_after_hours: float | None = None) -> Q:
        hours = self.config.downloads_stale_after_hours
        if stale_after_hours is not None:
            hours = stale_after_hours
        cutoff = self.started - timedelta(hours=hours)
        return Q(pypi_downloads_checked_at__isnull=True) | Q(pypi_downloads_checked_at__lt=cutoff)

    def _stamp_downloads(self, package_id: int) -> Package | None:
        """Claim a download count: stamp it asked now, unless someone asked since it was due."""
        due = (
            Q(pypi_downloads_checked_at__isnull=True)
            | Q(pypi_downloads_checked_at__lt=self.started)
            if (self.explicit or self.include_all)
            else self._downloads_due()
        )
        previous = (
            Package.objects.filter(due, pk=package_id)
            .values_list("pypi_downloads_checked_at", flat=True)
            .first()
        )
        stamped = (
            Package.objects.filter(pk=package_id, pypi_downloads_checked_at=previous)
            .exclude(pypi_url="")
            .update(pypi_downloads_checked_at=timezone.now())
        )
        if not stamped:
            return None
        self._stamps[package_id] = previous
        return _with_state(Package.objects.filter(pk=package_id))

    def _ordered(self, queryset: PackageQuerySet) -> QuerySet[Package]:
        if self.downloads:
            # Most-viewed first; no page views are counted, so last month's downloads (then
            # stars) stand for them.
            return queryset.order_by(F("pypi_downloads").desc(), F("repo_watchers").desc(), "id")
        return queryset.stalest_first()

    def _source_filter(self) -> Q:
        if self.source in ("pypi", DOWNLOADS):
            return ~Q(pypi_url="")
        kind = SOURCE_KIND[self.source or ""]
        condition = Q(pk__in=[])
        for site in self.config.sites:
            if site.kind == kind:
                condition |= Q(repo_url__startswith=f"https://{site.host}/")
        return condition


def _with_state(packages: QuerySet[Package]) -> Package | None:
    return packages.select_related("fetch_state").first()


def _try_advisory_lock(package_id: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_try_advisory_lock(%s, %s)", [ADVISORY_NAMESPACE, package_id % INT4]
        )
        row = cursor.fetchone()
    return bool(row and row[0])


def _advisory_unlock(package_id: int) -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_unlock(%s, %s)", [ADVISORY_NAMESPACE, package_id % INT4]
            )
    except DatabaseError:
        pass  # the connection is gone, and the lock with it
