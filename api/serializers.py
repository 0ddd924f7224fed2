"""API v4 representations; field names and order are the public contract (see the seed)."""

from rest_framework import serializers

from categories.models import Category
from grids.models import Grid
from packages.models import Package


class PyPIURLField(serializers.CharField):
    """The stored PEP 503 project name, shown as its PyPI project page ("" when not on PyPI)."""

    def to_representation(self, value):
        return f"https://pypi.org/project/{value}/" if value else ""


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = [
            "id",
            "title",
            "slug",
            "description",
            "title_plural",
            "show_pypi",
            "created",
            "modified",
        ]


class PackageSerializer(serializers.ModelSerializer):
    category = serializers.HyperlinkedRelatedField(view_name="category-detail", read_only=True)
    grids = serializers.HyperlinkedRelatedField(view_name="grid-detail", many=True, read_only=True)
    pypi_url = PyPIURLField(read_only=True)

    class Meta:
        model = Package
        fields = [
            "category",
            "grids",
            "id",
            "title",
            "slug",
            "last_updated",
            "last_fetched",
            "repo_url",
            "pypi_version",
            "created",
            "modified",
            "repo_forks",
            "repo_description",
            "pypi_url",
            "documentation_url",
            "repo_watchers",
            "commits_over_52",
            "participants",
        ]


class GridSerializer(serializers.ModelSerializer):
    packages = serializers.HyperlinkedRelatedField(
        view_name="package-detail", many=True, read_only=True
    )

    class Meta:
        model = Grid
        fields = [
            "id",
            "title",
            "slug",
            "description",
            "is_locked",
            "packages",
            "header",
            "created",
            "modified",
        ]


class SearchResultSerializer(serializers.Serializer):
    """One search hit (documents the plain list `/search/` returns)."""

    item_type = serializers.ChoiceField(choices=["package", "grid"])
    title = serializers.CharField()
    slug = serializers.CharField()
    description = serializers.CharField()
    category = serializers.CharField(allow_null=True, help_text="The package's category title.")
    absolute_url = serializers.URLField(help_text="The item's API URL.")
    repo_watchers = serializers.IntegerField(allow_null=True, help_text="Stars (packages only).")
    repo_forks = serializers.IntegerField(allow_null=True)
    last_committed = serializers.DateTimeField(allow_null=True)
    last_released = serializers.DateTimeField(allow_null=True)
    weight = serializers.IntegerField(
        help_text="4 exact name match, 3 name prefix, 2 words in the name, 1 words anywhere."
    )
