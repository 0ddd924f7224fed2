"""`manage.py compute_scores [SLUG ...]`: recompute the stored package scores."""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from packages.models import Package
from packages.scoring import update_scores


class Command(BaseCommand):
    help = "Recompute the 0-100 score of the named packages (default: every package)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slugs", nargs="*", metavar="SLUG", help="Only these packages.")

    def handle(self, *args: Any, slugs: list[str], **options: Any) -> None:
        queryset = Package.objects.all()
        if slugs:
            queryset = queryset.filter(slug__in=slugs)
            unknown = sorted(set(slugs) - set(queryset.values_list("slug", flat=True)))
            if unknown:
                raise CommandError(f"Unknown package slug(s): {', '.join(unknown)}")
        started = time.monotonic()
        count = queryset.count()
        changed = update_scores(queryset)
        self.stdout.write(
            f"Scored {count} package(s): {changed} changed in {time.monotonic() - started:.2f}s."
        )
