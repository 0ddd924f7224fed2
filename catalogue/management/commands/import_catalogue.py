"""`manage.py import_catalogue SOURCE`: upsert categories, packages and grids from API v4 JSON."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

from catalogue import importer


class Command(BaseCommand):
    help = (
        "Import categories, packages and grids from an API v4 JSON file or base URL "
        "(e.g. https://djangopackages.org/api/v4/). Re-running updates by id. "
        "Exits with status 1 when any record was skipped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", help="A JSON file, or the base URL of an API v4.")
        parser.add_argument(
            "--timeout", type=float, default=30, help="Seconds to wait for each page (URL)."
        )
        parser.add_argument(
            "--retries", type=int, default=3, help="Retries per page on errors, 429 and 5xx."
        )

    def handle(self, *args: Any, source: str, timeout: float, retries: int, **options: Any) -> None:
        try:
            if source.startswith(("http://", "https://")):
                bundle = self._fetch(source, timeout, retries)
            else:
                bundle = importer.load_file(source)
        except importer.ImporterError as exc:
            raise CommandError(str(exc)) from None
        report = self._import(bundle)

        for kind in importer.KINDS:
            self.stdout.write(
                f"{kind}: {report.created[kind]} created, {report.updated[kind]} updated"
            )
        for warning in report.warnings:
            self.stdout.write(f"warning: {warning}")
        for skipped in report.skipped:
            self.stderr.write(f"skipped {skipped}")
        if report.skipped:
            raise CommandError(f"{len(report.skipped)} record(s) skipped", returncode=1)
        self.stdout.write(self.style.SUCCESS("import complete"))

    def _import(self, bundle: importer.Bundle) -> importer.ImportReport:
        """Import with a progress bar per kind when stderr is a terminal."""
        console = Console(file=self.stderr, stderr=True)  # type: ignore[arg-type]
        if not console.is_terminal:
            return importer.import_bundle(bundle)
        columns = [TextColumn("importing {task.description}"), BarColumn(), MofNCompleteColumn()]
        with Progress(*columns, console=console, transient=True) as progress:
            tasks: dict[str, TaskID] = {}

            def on_progress(kind: str, done: int, total: int) -> None:
                if kind not in tasks:
                    tasks[kind] = progress.add_task(kind, total=total)
                progress.update(tasks[kind], completed=done)

            return importer.import_bundle(bundle, on_progress=on_progress)

    def _fetch(self, url: str, timeout: float, retries: int) -> importer.Bundle:
        console = Console(file=self.stderr, stderr=True)  # type: ignore[arg-type]
        columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn()]
        with Progress(
            *columns, console=console, transient=True, disable=not console.is_terminal
        ) as progress:
            tasks: dict[str, TaskID] = {}

            def on_page(kind: str, fetched: int, total: Any) -> None:
                if kind not in tasks:
                    tasks[kind] = progress.add_task(kind, total=total)
                progress.update(tasks[kind], completed=fetched, total=total)

            return importer.load_url(
                url,
                session=importer.build_session(retries),
                timeout=(min(5, timeout), timeout),
                on_page=on_page,
            )
