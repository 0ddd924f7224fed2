"""`python manage.py load_demo`: load the demo catalogue (idempotent)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo.loader import DemoDataError, load_demo_catalogue
from packages.models import Package


class Command(BaseCommand):
    help = "Create the demo catalogue: real Django packages with sample stats, and grids."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the database already holds packages (used by `make run`).",
        )

    def handle(self, *args: Any, if_empty: bool = False, **options: Any) -> None:
        if if_empty and Package.objects.exists():
            self.stdout.write("demo catalogue skipped: the database already holds packages")
            return
        try:
            report = load_demo_catalogue()
        except DemoDataError as exc:
            raise CommandError(str(exc)) from exc
        if report.total:
            self.stdout.write(f"demo catalogue loaded: created {report}")
        else:
            self.stdout.write("demo catalogue already complete: nothing to create")
