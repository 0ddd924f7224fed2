"""App config for the API: connects the response cache's invalidation signals (api.signals)."""

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "API"

    def ready(self):
        from api.signals import connect_cache_invalidation

        connect_cache_invalidation()
