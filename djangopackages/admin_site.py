"""The admin site as curators see it: the site's name, and models grouped by what they are for.

Django lists models by app ("Auth Token", "Grids", "Packages"); a curator thinks in the
catalogue (packages, grids, categories), what a grid holds (its rows, columns and cells),
what the fetcher stores, and who may sign in. Models a ModelAdmin hides from the index (their
`get_model_perms` is empty) stay reachable by URL for staff who need them.
"""

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest

# (heading, [(app label, model name), ...]) in the order the index shows them.
GROUPS = [
    (
        "Catalogue",
        [("packages", "Package"), ("grids", "Grid"), ("categories", "Category")],
    ),
    ("Grid contents", [("grids", "Feature"), ("grids", "GridPackage"), ("grids", "Element")]),
    ("Fetched from PyPI", [("packages", "Version")]),
    ("Background tasks", [("django_tasks_database", "DBTaskResult")]),
    (
        "People and API access",
        [("auth", "User"), ("auth", "Group"), ("authtoken", "TokenProxy"), ("packages", "Usage")],
    ),
]

# Names curators use, where the model's own name says how it is stored.
SHOWN_NAMES = {
    ("grids", "Feature"): "Features (grid columns)",
    ("grids", "GridPackage"): "Grid rows (a package in a grid)",
    ("grids", "Element"): "Cells",
    ("authtoken", "TokenProxy"): "API tokens",
    ("django_tasks_database", "DBTaskResult"): "Task results (stats refreshes)",
}


class CatalogueAdminSite(admin.AdminSite):
    """Django's admin under SITE_NAME, with the index grouped by GROUPS."""

    index_title = "Curate the catalogue"

    def each_context(self, request: HttpRequest) -> dict[str, Any]:
        context = super().each_context(request)
        context["site_header"] = f"{settings.SITE_NAME} administration"
        context["site_title"] = f"{settings.SITE_NAME} admin"
        return context

    def get_app_list(
        self, request: HttpRequest, app_label: str | None = None
    ) -> list[dict[str, Any]]:
        apps = super().get_app_list(request, app_label)
        if app_label is not None:
            return apps
        models: dict[tuple[str, str], dict[str, Any]] = {}
        for app in apps:
            for model in app["models"]:
                key = (app["app_label"], model["object_name"])
                model["name"] = SHOWN_NAMES.get(key, model["name"])
                models[key] = model
        grouped = []
        for heading, members in GROUPS:
            listed = [models.pop(member) for member in members if member in models]
            if listed:
                grouped.append(_group(heading, listed, apps))
        if models:
            grouped.append(_group("Other", list(models.values()), apps))
        return grouped


def _group(
    heading: str, models: list[dict[str, Any]], apps: list[dict[str, Any]]
) -> dict[str, Any]:
    first_app = next(app for app in apps if models[0] in app["models"])
    return {**first_app, "name": heading, "models": models}


class CatalogueAdminConfig(AdminConfig):
    default_site = "djangopackages.admin_site.CatalogueAdminSite"
