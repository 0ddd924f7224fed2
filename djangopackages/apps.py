"""App config for the project package (it holds site-wide management commands)."""

from django.apps import AppConfig


class DjangopackagesConfig(AppConfig):
    name = "djangopackages"
    verbose_name = "djangopackages"
