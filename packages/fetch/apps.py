"""App config for the stats fetcher: it owns each package's fetch state (packages.fetch.models)."""

from django.apps import AppConfig


class FetchConfig(AppConfig):
    name = "packages.fetch"
    label = "fetch"
    verbose_name = "Fetcher"
