"""App config for catalogue (it holds the `import_catalogue` command)."""

from django.apps import AppConfig


class CatalogueConfig(AppConfig):
    name = "catalogue"
    verbose_name = "Catalogue import"
