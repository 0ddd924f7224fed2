"""The v3 objects (package, grid, category): djangopackages.org's keys in its order.

Links are relative paths; `Links` reverses the v3 root once per response and builds the rest
from the resource names `api.v3.urls` routes.
"""

from django.urls import reverse

from api.site_paths import site_path
from categories.models import Category
from grids.models import Grid
from packages.identifiers import pypi_project_url
from packages.models import Package

PACKAGES, GRIDS, CATEGORIES = "packages", "grids", "categories"


class Links:
    """The relative v3 paths of one response."""

    def __init__(self) -> None:
        self.root = reverse("v3:root")

    def list(self, resource: str) -> str:
        return f"{self.root}{resource}/"

    def detail(self, resource: str, slug: str) -> str:
        return f"{self.root}{resource}/{slug}/"


def _base(obj: Package | Grid | Category, kind: str) -> dict:
    return {
        "absolute_url": site_path(kind, obj.slug),
        "created": obj.created,
        "modified": obj.modified,
        "slug": obj.slug,
        "title": obj.title,
    }


def package_resource(package: Package, links: Links) -> dict:
    """Needs `category` selected, `grids` prefetched (by title) and `usage_count` annotated."""
    weekly = ",".join(str(count) for count in package.commits_over_52)
    return {
        **_base(package, "package"),
        "category": links.detail(CATEGORIES, package.category.slug),
        "commit_list": weekly,
        "commits_over_52": weekly,
        "created_by": None,
        "documentation_url": package.documentation_url,
        "grids": [links.detail(GRIDS, grid.slug) for grid in package.grids.all()],
        "last_fetched": package.last_fetched,
        "last_modified_by": None,
        "participants": ",".join(package.participants),
        "pypi_url": pypi_project_url(package.pypi_url),
        "pypi_version": package.pypi_version or "",
        "repo_description": package.repo_description,
        "repo_forks": package.repo_forks,
        "repo_url": package.repo_url,
        "repo_watchers": package.repo_watchers,
        "resource_uri": links.detail(PACKAGES, package.slug),
        "usage_count": package.usage_count,  # type: ignore[attr-defined]  # an annotation
    }


def grid_resource(grid: Grid, links: Links) -> dict:
    """Needs `packages` prefetched (by title)."""
    return {
        **_base(grid, "grid"),
        "description": grid.description,
        "is_locked": grid.is_locked,
        "resource_uri": links.detail(GRIDS, grid.slug),
        "header": grid.header,
        "packages": [links.detail(PACKAGES, package.slug) for package in grid.packages.all()],
    }


def category_resource(category: Category, links: Links) -> dict:
    return {
        **_base(category, "category"),
        "description": category.description,
        "resource_uri": links.detail(CATEGORIES, category.slug),
        "show_pypi": category.show_pypi,
        "title_plural": category.title_plural,
    }
