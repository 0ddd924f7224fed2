"""`manage.py fetch_stats`: refresh package stats from the forges and PyPI (packages.fetch.run).

Output contract: the summary (one line, or one JSON object with --json) is the only thing on
stdout. stderr carries a progress bar on a terminal, one line per stopped host, and with -v one
line per failed package; logging goes there at WARNING (INFO with -v, silent with --json).
"""

import json
import logging
import math
import sys
from argparse import ArgumentParser
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper
from django.db import DatabaseError, connection

from common.commands import EX_USAGE, exit_64_on_usage_errors
from packages.fetch.config import SOURCES, FetcherConfig
from packages.fetch.http import CallStats
from packages.fetch.run import FetchRun, FetchRunError
from packages.fetch.sources import build_clients
from packages.fetch.store import Outcome
from packages.fetch.summary import EXIT_CANNOT_RUN, EXIT_DEGRADED, EXIT_OK
from packages.models import Package
from packages.tasks import RefreshQueueError, enqueue_refresh

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress


class Command(BaseCommand):
    help = (
        "Fetch repository and PyPI stats. Without SLUGs: packages not fetched for --stale-after "
        f"hours, stalest first. Exit codes: {EXIT_OK} the run completed (some packages may have "
        f"failed; the summary says which); {EXIT_DEGRADED} a host was stopped as unreachable, "
        f"or every attempted package failed; {EXIT_CANNOT_RUN} it could not run (bad "
        f"configuration, database or cache unreachable); {EX_USAGE} a usage error (an unknown "
        "option or slug, a bad value); the last two with a one-line reason. -v takes a level: "
        "`-v 2 SLUG` names each failed package."
    )

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        return exit_64_on_usage_errors(super().create_parser(prog_name, subcommand, **kwargs))

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("slugs", nargs="*", metavar="SLUG", help="Only these packages.")
        parser.add_argument("--all", action="store_true", help="Ignore staleness.")
        parser.add_argument(
            "--stale-after", type=float, metavar="HOURS", help="FETCH_STALE_AFTER_HOURS (24)."
        )
        parser.add_argument("--workers", type=int, metavar="N", help="Default FETCH_WORKERS (8).")
        parser.add_argument("--limit", type=int, metavar="N", help="At most N packages.")
        parser.add_argument("--source", choices=SOURCES, help="Only this source.")
        parser.add_argument("--dry-run", action="store_true", help="Fetch, but write nothing.")
        parser.add_argument(
            "--json",
            action="store_true",
            help="Print the summary as one JSON object, and nothing else (stderr too, unless -v).",
        )
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

    def handle(self, *args: Any, slugs: list[str], **options: Any) -> None:
        as_json, verbose = options["json"], options["verbosity"] >= 2
        if options["workers"] is not None and options["workers"] < 1:
            raise CommandError("--workers must be at least 1", returncode=EX_USAGE)
        if options["limit"] is not None and options["limit"] < 1:
            raise CommandError("--limit must be at least 1", returncode=EX_USAGE)
        max_wait = options["max_wait"]
        if max_wait is not None and not 0 <= max_wait < math.inf:
            raise CommandError(
                f"--max-wait must be 0 or more seconds, not {max_wait}", returncode=EX_USAGE
            )
        if options["enqueue"] and (options["dry_run"] or options["source"]):
            raise CommandError(
                "--enqueue fetches every source for real: drop --dry-run/--source",
                returncode=EX_USAGE,
            )
        with _logging_at(logging.INFO if verbose else None if as_json else logging.WARNING):
            try:
                config = FetcherConfig.from_settings(
                    workers=options["workers"], max_wait=options["max_wait"]
                )
                _check_services()
                _check_slugs(slugs)
            except ImproperlyConfigured as exc:
                raise CommandError(f"cannot run: {exc}") from None

            clients = build_clients(config)
            report = _Report(self.stderr, quiet=as_json and not verbose, verbose=verbose)
            run = FetchRun(
                clients,
                config,
                source=options["source"],
                dry_run=options["dry_run"],
                explicit=bool(slugs),
                include_all=options["all"],
                on_done=report.package_done,
                on_host_stopped=report.host_stopped,
            )
            try:
                rows = run.select(
                    slugs=slugs or None,
                    stale_after_hours=options["stale_after"],
                    limit=options["limit"],
                )
                if options["enqueue"]:
                    self._enqueue([row[0] for row in rows], as_json=as_json)
                    return
                report.start(len(rows), clients.http.stats)
                summary = run.run(rows)
            except DatabaseError as exc:
                raise CommandError(f"cannot run: database unavailable ({_one_line(exc)})") from None
            except FetchRunError as exc:
                raise CommandError(f"cannot run: {exc}") from None
            finally:
                report.stop()
                clients.close()
        if as_json:
            self.stdout.write(json.dumps(summary.as_dict(), sort_keys=True))
        else:
            self.stdout.write(f"fetch_stats: {summary.line()}")
        if summary.exit_code != EXIT_OK:
            self.stdout.flush()
            sys.exit(summary.exit_code)

    def _enqueue(self, package_ids: list[int], *, as_json: bool) -> None:
        try:
            queued = enqueue_refresh(package_ids, by="command")
        except RefreshQueueError as exc:
            raise CommandError(f"cannot queue: {exc}") from None
        if as_json:
            counts = {"queued": len(queued.queued), "already_queued": len(queued.already_queued)}
            self.stdout.write(json.dumps(counts, sort_keys=True))
        else:
            self.stdout.write(f"fetch_stats: {queued.message()}")


def _check_services() -> None:
    """Fail before fetching anything when the database cannot be reached. Redis is not asked:
    it is an accelerator (throttles, status), and no stored response waits on the fetcher's
    writes to be invalidated."""
    try:
        connection.ensure_connection()
    except DatabaseError as exc:
        raise CommandError(f"cannot run: database unavailable ({_one_line(exc)})") from None


def _check_slugs(slugs: list[str]) -> None:
    if not slugs:
        return
    try:
        known = set(Package.objects.filter(slug__in=slugs).values_list("slug", flat=True))
    except DatabaseError as exc:
        raise CommandError(f"cannot run: database unavailable ({_one_line(exc)})") from None
    unknown = sorted(set(slugs) - known)
    if unknown:
        raise CommandError(f"unknown package slug(s): {', '.join(unknown)}", returncode=EX_USAGE)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


@contextmanager
def _logging_at(level: int | None) -> Iterator[None]:
    """The root logger at `level` (None: silent) for the length of the command."""
    root = logging.getLogger()
    previous = root.level
    root.setLevel(logging.CRITICAL + 1 if level is None else level)
    try:
        yield
    finally:
        root.setLevel(previous)


class _Report:
    """What the run says on stderr while it works: a progress bar on a terminal (not with --json).

    Lines: one per stopped host (unless quiet) and, when verbose, one per failed package.
    """

    def __init__(self, stderr: OutputWrapper, *, quiet: bool, verbose: bool) -> None:
        self.stderr = stderr
        self.quiet = quiet
        self.verbose = verbose
        self.bar: Any = None
        self.task: Any = None
        self.stats: CallStats | None = None
        self.failed = 0

    def start(self, total: int, stats: CallStats) -> None:
        self.stats = stats
        if not total or self.quiet or not self.stderr.isatty():
            return  # --json: the object alone, on a terminal too
        from rich.console import Console

        self.bar = progress_bar(Console(file=sys.stderr))
        self.bar.start()
        self.task = self.bar.add_task("fetching", total=total, failed=0, calls="none")

    def package_done(self, package_id: int, outcome: Outcome) -> None:
        if outcome.status == "failed":
            self.failed += 1
            if self.verbose:
                slug = Package.objects.filter(pk=package_id).values_list("slug", flat=True).first()
                self._say(f"{slug or package_id}: failed: {outcome.error}")
        if self.bar is not None:
            calls = self.stats.calls if self.stats else {}
            self.bar.update(self.task, advance=1, failed=self.failed, calls=calls_by_host(calls))

    def host_stopped(self, label: str, reason: str) -> None:
        if not self.quiet:
            self._say(f"stopped {reason}")

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None

    def _say(self, line: str) -> None:
        if self.bar is not None:
            self.bar.console.print(line, highlight=False, markup=False)
        else:
            self.stderr.write(line)


# What the bar's columns other than the per-host calls take at most: those come last and are
# cut to the rest of the terminal's width, so done/total, failures and time left stay in view.
_FIXED_COLUMNS_WIDTH = 56


def progress_bar(console: "Console") -> "Progress":
    """The run's progress line: `fetching ━━━  12/300 failed 0 0:00:41 calls github 24, …`."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )
    from rich.table import Column

    calls_width = max(0, console.width - _FIXED_COLUMNS_WIDTH)
    return Progress(
        TextColumn("fetching"),
        BarColumn(bar_width=20),
        MofNCompleteColumn(),
        TextColumn("failed {task.fields[failed]}"),
        TimeRemainingColumn(),
        TextColumn(
            "calls {task.fields[calls]}",
            table_column=Column(no_wrap=True, overflow="ellipsis", max_width=calls_width),
        ),
        console=console,
        transient=True,
    )


def calls_by_host(calls: Mapping[str, int]) -> str:
    """`github 1,204, pypi 310` (by host name), or `none`."""
    return ", ".join(f"{host} {n:,}" for host, n in sorted(calls.items())) or "none"
