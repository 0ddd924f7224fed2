"""`manage.py fetch_stats`: refresh package stats from the forges and PyPI (packages.fetch.run)."""

import json
import sys

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from packages.fetch.run import SOURCES, FetcherConfig, FetchRun, build_clients
from packages.models import Package
from packages.tasks import RefreshQueueError, enqueue_refresh


class Command(BaseCommand):
    help = (
        "Fetch repository and PyPI stats. Without SLUGs: packages not fetched for --stale-after "
        "hours, stalest first. Exits 0 when it ran, even if some packages failed."
    )

    def add_arguments(self, parser):
        parser.add_argument("slugs", nargs="*", metavar="SLUG", help="Only these packages.")
        parser.add_argument("--all", action="store_true", help="Ignore staleness.")
        parser.add_argument(
            "--stale-after", type=float, metavar="HOURS", help="FETCH_STALE_AFTER_HOURS (24)."
        )
        parser.add_argument("--workers", type=int, metavar="N", help="Default FETCH_WORKERS (8).")
        parser.add_argument("--limit", type=int, metavar="N", help="At most N packages.")
        parser.add_argument("--source", choices=SOURCES, help="Only this source.")
        parser.add_argument("--dry-run", action="store_true", help="Fetch, but write nothing.")
        parser.add_argument("--json", action="store_true", help="Print the summary as JSON.")
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Queue the selected packages for the task workers instead of fetching here.",
        )
        parser.add_argument(
            "--max-wait",
            type=float,
            metavar="S",
            help="Longest wait for a rate-limit reset before a host is stopped (FETCH_MAX_WAIT).",
        )

    def handle(self, *args, slugs, **options):
        if options["workers"] is not None and options["workers"] < 1:
            raise CommandError("--workers must be at least 1")
        if options["limit"] is not None and options["limit"] < 1:
            raise CommandError("--limit must be at least 1")
        if options["enqueue"] and (options["dry_run"] or options["source"]):
            raise CommandError("--enqueue fetches every source for real: drop --dry-run/--source")
        try:
            config = FetcherConfig.from_settings(
                workers=options["workers"], max_wait=options["max_wait"]
            )
            if slugs:
                known = set(Package.objects.filter(slug__in=slugs).values_list("slug", flat=True))
                unknown = sorted(set(slugs) - known)
                if unknown:
                    raise CommandError(f"unknown package slug(s): {', '.join(unknown)}")
        except ImproperlyConfigured as exc:
            raise CommandError(f"cannot run: {exc}") from None
        except DatabaseError as exc:
            raise CommandError(f"cannot run: database unavailable ({exc})".strip()) from None

        clients = build_clients(config)
        progress = _Progress(self.stdout, quiet=options["json"])
        run = FetchRun(
            clients,
            config,
            source=options["source"],
            dry_run=options["dry_run"],
            explicit=bool(slugs),
            include_all=options["all"],
            on_done=progress.advance,
        )
        try:
            rows = run.select(
                slugs=slugs or None,
                stale_after_hours=options["stale_after"],
                limit=options["limit"],
            )
            if options["enqueue"]:
                self._enqueue([row[0] for row in rows], as_json=options["json"])
                return
            progress.start(len(rows))
            summary = run.run(rows)
        except DatabaseError as exc:
            raise CommandError(f"cannot run: database unavailable ({exc})".strip()) from None
        finally:
            progress.stop()
            clients.close()
        if options["json"]:
            self.stdout.write(json.dumps(summary.as_dict(), sort_keys=True))
        else:
            self.stdout.write(f"fetch_stats: {summary.line()}")

    def _enqueue(self, package_ids, *, as_json):
        try:
            queued = enqueue_refresh(package_ids, by="command")
        except RefreshQueueError as exc:
            raise CommandError(f"cannot queue: {exc}") from None
        if as_json:
            counts = {"queued": len(queued.queued), "already_queued": len(queued.already_queued)}
            self.stdout.write(json.dumps(counts, sort_keys=True))
        else:
            self.stdout.write(f"fetch_stats: {queued.message()}")


class _Progress:
    """A rich progress bar on a terminal; otherwise one quiet line per failed package."""

    def __init__(self, stdout, *, quiet):
        self.stdout = stdout
        self.quiet = quiet
        self.bar = None
        self.task = None

    def start(self, total):
        if self.quiet or not total or not self.stdout.isatty():
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        self.bar = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            transient=True,
            file=sys.stderr,
        )
        self.bar.start()
        self.task = self.bar.add_task("fetching", total=total)

    def advance(self, slug, outcome):
        if self.bar is not None:
            self.bar.advance(self.task)
            if outcome.status == "failed":
                self.bar.console.print(f"{slug}: failed: {outcome.error}", highlight=False)
        elif outcome.status == "failed" and not self.quiet:
            self.stdout.write(f"{slug}: failed: {outcome.error}")

    def stop(self):
        if self.bar is not None:
            self.bar.stop()
            self.bar = None
