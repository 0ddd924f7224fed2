"""App config for the API: connects the stored documents' receivers (api.documents), builds
any missing ones after `migrate`, and registers the proxy set-up's deploy check
(api.client_address)."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "API"

    def ready(self):
        from api import (
            client_address,  # noqa: F401  (registers its deploy check)
            documents,
        )

        documents.connect()
        # Rows a migration or a hand-made write left without a document get one.
        post_migrate.connect(documents.rebuild_missing, sender=self, dispatch_uid="documents")
