"""`python manage.py load_demo`: load the demo catalogue (idempotent)."""

from django.core.management.base import BaseCommand, CommandError

from demo.loader import DemoDataError, load_demo_catalogue
from packages.models import Package


class Command(BaseCommand):
    help = "Create the demo catalogue: real Django packages with sample stats, and grids."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the database already holds packages (used by `make run`).",
        )

    def handle(self, *args, if_empty=False, **options):
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
