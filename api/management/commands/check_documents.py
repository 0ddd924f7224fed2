"""`manage.py check_documents [--fix]`: rebuild every stored API document in memory and name
those that differ from what is stored, and any kept list count that is not its table's (exit
1, one line each); exit 0 when all match."""

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from api import documents, list_pages


class Command(BaseCommand):
    help = (
        "Rebuild every stored API document in memory; print one line per document that differs "
        "from the stored one and exit 1, or exit 0 when none does. --fix stores the rebuilt ones."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--fix", action="store_true", help="Store the rebuilt documents that differ."
        )

    def handle(self, *args: Any, fix: bool, **options: Any) -> None:
        models = {kind: model for kind, (model, _shape) in documents.SHAPES.items()}
        found = [*documents.differences(), *list_pages.count_differences(models)]
        for line in found:
            self.stdout.write(line)
        if found and fix:
            changed = documents.rebuild_all()
            list_pages.recount(models)
            self.stdout.write(f"fixed: {changed} documents rewritten, list counts recounted")
            return
        if found:
            sys.exit(1)
        self.stdout.write("All stored documents match their rows.")
