"""App config for demo (it holds the `load_demo` command)."""

from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "demo"
    verbose_name = "Demo catalogue"
