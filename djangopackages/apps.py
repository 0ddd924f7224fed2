"""App config for the project package (it holds site-wide management commands)."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_migrate


class DjangopackagesConfig(AppConfig):
    name = "djangopackages"
    verbose_name = "djangopackages"

    def ready(self) -> None:
        from common.postgresql.base import (
            lift_bounds_for_migrations,
            restore_bounds_after_migrations,
        )

        pre_migrate.connect(lift_bounds_for_migrations, dispatch_uid="db-bounds-lifted")
        post_migrate.connect(restore_bounds_after_migrations, dispatch_uid="db-bounds-restored")
