"""Which packages a run visits, and who owns each one while it is fetched.

Work is claimed in the database so overlapping runs (cron overlap, several machines) never fetch
the same package, and skip (never wait for) what another run holds: on PostgreSQL each worker
holds the package row with SELECT ... FOR UPDATE SKIP LOCKED for the length of its fetch and
write (a killed run's locks vanish with its connection); elsewhere a `fetch_lease_until` lease,
which expires after FETCH_LEASE_SECONDS and is given back when the package was not written.
Packages are taken stalest first, so a run stopped by a rate limit resumes where it left off.
"""

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from packages.fetch.config import SOURCE_KIND, FetcherConfig
from packages.models import Package

Row = tuple[int, str, str]  # id, repo_url, pypi_url


class Claims:
    """Selection and ownership of packages for one run that began at `started`."""

    def __init__(
        self,
        config: FetcherConfig,
        *,
        started: datetime,
        source: str | None = None,
        explicit: bool = False,
        include_all: bool = False,
        dry_run: bool = False,
    ) -> None:
        self.config = config
        self.started = started
        self.source = source
        self.explicit = explicit
        self.include_all = include_all
        self.dry_run = dry_run
        self.row_locks = connection.vendor == "postgresql"

    def select(
        self,
        *,
        slugs: list[str] | None = None,
        ids: list[int] | None = None,
        stale_after_hours: float | None = None,
        limit: int | None = None,
    ) -> list[Row]:
        """Package ids to visit, stalest and never-fetched first."""
        queryset = Package.objects.all()
        if slugs is not None:
            queryset = queryset.filter(slug__in=slugs)
        elif ids is not None:
            queryset = queryset.filter(pk__in=ids)
        else:
            if not self.include_all:
                hours = self.config.stale_after_hours
                if stale_after_hours is not None:
                    hours = stale_after_hours
                queryset = queryset.stale(self.started - timedelta(hours=hours))
            backoff = self.started - timedelta(hours=self.config.failure_backoff_hours)
            queryset = queryset.exclude(
                fetch_failures__gte=self.config.max_failures, fetch_error_at__gt=backoff
            ).exclude(repo_url="", pypi_url="")
        if self.source:
            queryset = queryset.filter(self._source_filter())
        queryset = queryset.stalest_first().values_list("id", "repo_url", "pypi_url")
        return list(queryset[:limit] if limit else queryset)

    def claimable(self) -> Q:
        """Still worth fetching now: nobody fetched it (or failed it) since this run began."""
        hours = 0 if (self.explicit or self.include_all) else self.config.stale_after_hours
        cutoff = self.started - timedelta(hours=hours)
        is_stale = Q(last_fetched__isnull=True) | Q(last_fetched__lt=cutoff)
        return is_stale & ~Q(fetch_error_at__gte=self.started)

    @contextmanager
    def claim(
        self, package_id: int, *, write_lock: AbstractContextManager
    ) -> Iterator[Package | None]:
        """The package, owned by this worker until the block ends; None if someone else has it.

        On PostgreSQL the block is one transaction holding the row lock: write inside it. With
        leases, a package the block did not write (its lease still set) is given back at the end.
        """
        if self.dry_run:
            yield Package.objects.filter(pk=package_id).first()
            return
        if self.row_locks:
            with transaction.atomic():
                yield (
                    Package.objects.select_for_update(skip_locked=True)
                    .filter(self.claimable(), pk=package_id)
                    .first()
                )
            return
        with write_lock:
            package = self._lease(package_id)
        try:
            yield package
        finally:
            if package is not None and package.fetch_lease_until is not None:
                with write_lock:
                    self.release(package)

    def release(self, package: Package) -> None:
        """Give back this worker's lease (never another run's)."""
        Package.objects.filter(pk=package.pk, fetch_lease_until=package.fetch_lease_until).update(
            fetch_lease_until=None
        )
        package.fetch_lease_until = None

    def _lease(self, package_id: int) -> Package | None:
        now = timezone.now()
        until = now + timedelta(seconds=self.config.lease_seconds)
        claimed = (
            Package.objects.filter(self.claimable(), pk=package_id)
            .filter(Q(fetch_lease_until__isnull=True) | Q(fetch_lease_until__lt=now))
            .update(fetch_lease_until=until)
        )
        return Package.objects.filter(pk=package_id).first() if claimed else None

    def _source_filter(self) -> Q:
        if self.source == "pypi":
            return ~Q(pypi_url="")
        kind = SOURCE_KIND[self.source or ""]
        condition = Q(pk__in=[])
        for site in self.config.sites:
            if site.kind == kind:
                condition |= Q(repo_url__startswith=f"https://{site.host}/")
        return condition
