"""Catalogue writes invalidate the response cache: every model the API shows bumps its version."""

from django.db.models.signals import m2m_changed, post_delete, post_save

from api.caching import bump_catalogue_version


def connect_cache_invalidation():
    """Connect once (dispatch_uid): a save, delete or membership change of any shown row."""
    from categories.models import Category
    from grids.models import Element, Feature, Grid, GridPackage
    from grids.signals import catalogue_imported
    from packages.models import Package, Usage, Version

    for model in (Category, Package, Version, Usage, Grid, GridPackage, Feature, Element):
        post_save.connect(bump_catalogue_version, sender=model, dispatch_uid=f"api-{model}")
        post_delete.connect(bump_catalogue_version, sender=model, dispatch_uid=f"api-{model}")
    m2m_changed.connect(
        bump_catalogue_version, sender=GridPackage, dispatch_uid="api-grid-packages"
    )
    catalogue_imported.connect(bump_catalogue_version, dispatch_uid="api-catalogue-imported")
