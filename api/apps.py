"""App config for the API: connects the stored documents' receivers (api.documents), builds
any missing ones after `migrate`, registers the proxy set-up's deploy check
(api.client_address), and has this process's throttle buckets, wrong tokens, proxy
observations, health answers and read cache made afresh when a setting they follow changes
(`setting_changed`)."""

from typing import Any

from django.apps import AppConfig
from django.core.signals import setting_changed
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.db.models.signals import post_migrate


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "API"

    def ready(self) -> None:
        from api import (
            authentication,
            client_address,  # also registers its deploy check
            documents,
            rate_limits,
            read_cache,
            site_views,
        )

        for module in (authentication, client_address, rate_limits, read_cache, site_views):
            setting_changed.connect(
                module.forget_process_state, dispatch_uid=f"{module.__name__}.process-state"
            )

        documents.connect()
        post_migrate.connect(_documents_after_migrate, sender=self, dispatch_uid="documents")


def _documents_after_migrate(using: str = DEFAULT_DB_ALIAS, **_signal_kwargs: Any) -> None:
    """After `migrate`: rows a migration or a hand-made write left without a document get one,
    once every table is at its newest (a migrate back, to an older state, leaves tables the
    documents are not built from, or none)."""
    from api import documents

    executor = MigrationExecutor(connections[using])
    if not executor.migration_plan(executor.loader.graph.leaf_nodes()):
        documents.rebuild_missing()
