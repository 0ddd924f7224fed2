"""App config for the project package (it holds site-wide management commands): lifts the
database bounds around migrations, and has this process's view of Redis
(`common.redis_cache.outage()`) made afresh when the cache settings change (`setting_changed`)."""

from django.apps import AppConfig
from django.core.signals import setting_changed
from django.db.models.signals import post_migrate, pre_migrate


class DjangopackagesConfig(AppConfig):
    name = "djangopackages"
    verbose_name = "djangopackages"

    def ready(self) -> None:
        from common import redis_cache
        from common.postgresql.base import (
            lift_bounds_for_migrations,
            restore_bounds_after_migrations,
        )

        pre_migrate.connect(lift_bounds_for_migrations, dispatch_uid="db-bounds-lifted")
        post_migrate.connect(restore_bounds_after_migrations, dispatch_uid="db-bounds-restored")
        setting_changed.connect(
            redis_cache.forget_process_state, dispatch_uid="common.redis_cache.process-state"
        )
