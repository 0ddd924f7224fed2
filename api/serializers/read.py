"""API v4 read representations; field names and order are the public contract (see the seed).

What clients may send lives apart, in `api.serializers.write`.
"""

from rest_framework import serializers

from api.rendering import (
    CATEGORY_JSON,
    GRID_JSON,
    PACKAGE_JSON,
    Links,
    detail_link,
)
from categories.models import Category
from grids.models import Element, Feature, Grid, GridPackage
from packages.identifiers import pypi_project_url
from packages.models import Package


class PyPIURLField(serializers.CharField):
    """The stored PEP 503 project name, shown as its PyPI project page ("" when not on PyPI)."""

    def to_representation(self, value: str) -> str:
        return pypi_project_url(value)


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = list(CATEGORY_JSON.fields)

    def to_representation(self, instance: Category) -> dict:
        return CATEGORY_JSON.from_instance(instance, (), links_of(self))


class PackageSerializer(serializers.ModelSerializer):
    category = serializers.HyperlinkedRelatedField(view_name="category-detail", read_only=True)
    grids = serializers.HyperlinkedRelatedField(view_name="grid-detail", many=True, read_only=True)
    pypi_url = PyPIURLField(read_only=True)

    class Meta:
        model = Package
        fields = list(PACKAGE_JSON.fields)

    def to_representation(self, instance: Package) -> dict:
        """The JSON DRF's declared fields would give, built by `api.rendering` (the list and
        detail pages build it from rows, without instances)."""
        grids = [grid.pk for grid in instance.grids.all()]
        return PACKAGE_JSON.from_instance(instance, grids, links_of(self))


def links_of(serializer: serializers.BaseSerializer) -> Links:
    """The serializer's `Links`, made once: a list's rows share their child serializer."""
    links = getattr(serializer, "_links", None)
    if links is None:
        context = serializer.context
        links = serializer._links = Links(context.get("request"), context.get("format"))  # type: ignore[attr-defined]
    return links


# For callers linking to one kind of detail (the comparison's package rows).
detail_url_builder = detail_link


class GridSerializer(serializers.ModelSerializer):
    packages = serializers.HyperlinkedRelatedField(
        view_name="package-detail", many=True, read_only=True
    )

    class Meta:
        model = Grid
        fields = list(GRID_JSON.fields)

    def to_representation(self, instance: Grid) -> dict:
        packages = [package.pk for package in instance.packages.all()]
        return GRID_JSON.from_instance(instance, packages, links_of(self))


class SearchResultSerializer(serializers.Serializer):
    """One search hit: djangopackages.org's keys in its order, then our `id` and API `url`."""

    description = serializers.CharField()
    title = serializers.CharField()
    title_no_prefix = serializers.CharField(help_text="The title without a leading django-/_.")
    slug_no_prefix = serializers.CharField(help_text="The slug without a leading django-/_.")
    clean_title = serializers.CharField(help_text="The title lower-cased, - and _ as spaces.")
    absolute_url = serializers.CharField(
        help_text="The site path, /packages/p/<slug>/ or /grids/g/<slug>/ (redirects here)."
    )
    created = serializers.DateTimeField()
    modified = serializers.DateTimeField()
    weight = serializers.IntegerField(
        help_text="0-100: 100 exact name match, 75 name prefix, 50 words in the name, "
        "25 words anywhere, 0 a misspelled name (PostgreSQL)."
    )
    item_type = serializers.ChoiceField(choices=["package", "grid"])
    slug = serializers.CharField()
    category = serializers.CharField(help_text='The package\'s category title; "" for grids.')
    repo_watchers = serializers.IntegerField(help_text="Stars; 0 for grids.")
    repo_forks = serializers.IntegerField(help_text="0 for grids.")
    pypi_downloads = serializers.IntegerField(
        help_text="PyPI downloads last month (pypistats.org); 0 until counted, and for grids."
    )
    score = serializers.IntegerField(help_text="0-100; 0 for grids.")
    usage = serializers.IntegerField(help_text="Signed-in users who use it; 0 for grids.")
    participants = serializers.CharField(help_text="Contributors' logins, comma-separated.")
    last_committed = serializers.DateTimeField(allow_null=True)
    last_released = serializers.DateTimeField(allow_null=True)
    id = serializers.IntegerField()
    url = serializers.URLField(help_text="The item's API URL.")


class GridPackageSerializer(serializers.ModelSerializer):
    """One row of a grid: the package's membership."""

    grid = serializers.HyperlinkedRelatedField(view_name="grid-detail", read_only=True)
    package = serializers.HyperlinkedRelatedField(view_name="package-detail", read_only=True)

    class Meta:
        model = GridPackage
        fields = ["grid", "package", "created"]


class GridFeatureSerializer(serializers.ModelSerializer):
    """A column of a grid."""

    grid = serializers.HyperlinkedRelatedField(view_name="grid-detail", read_only=True)

    class Meta:
        model = Feature
        fields = ["id", "grid", "title", "description", "created", "modified"]


class GridCellSerializer(serializers.ModelSerializer):
    """A cell of a grid: what it says about one package (row) for one feature (column)."""

    package = serializers.HyperlinkedRelatedField(
        source="grid_package.package", view_name="package-detail", read_only=True
    )
    feature = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Element
        fields = ["id", "package", "feature", "text", "created", "modified"]
