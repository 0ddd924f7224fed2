"""App config for the API: wires catalogue writes to the response cache."""

from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_save


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "API"

    def ready(self):
        from api.caching import bump_catalogue_version
        from categories.models import Category
        from grids.models import Element, Feature, Grid, GridPackage
        from packages.models import Package, Version

        for model in (Category, Package, Version, Grid, GridPackage, Feature, Element):
            post_save.connect(bump_catalogue_version, sender=model, dispatch_uid=f"api-{model}")
            post_delete.connect(bump_catalogue_version, sender=model, dispatch_uid=f"api-{model}")
        m2m_changed.connect(
            bump_catalogue_version, sender=GridPackage, dispatch_uid="api-grid-packages"
        )
