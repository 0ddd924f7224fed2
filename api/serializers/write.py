"""What API v4 clients may send: one `*WriteSerializer` per writable resource.

Each lists the fields a client may send, refuses any other (read-only ones by name, the rest as
unknown), and answers in the read representation (`api.serializers.read`).
"""

from typing import Any
from urllib.parse import urlsplit

from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.reverse import reverse

from api.permissions import is_staff
from api.serializers.write_base import (
    SLUG_RULE,
    CatalogueRelatedField,
    WriteSerializer,
    line_field,
    slug_field,
    text_field,
)
from categories.editing import create_category, update_category
from categories.models import Category
from grids.editing import (
    NOT_IN_GRID,
    add_package,
    create_feature,
    create_grid,
    set_cell,
    update_cell,
    update_feature,
    update_grid,
)
from grids.models import Element, Feature, Grid, GridPackage
from packages.editing import create_package, update_package
from packages.identifiers import (
    IdentifierError,
    normalize_pypi_name,
    normalize_repo_url,
    validate_public_url,
)
from packages.models import Package
from packages.repositories import parse_repo_url, supported_repo_hosts

SET_BY_SERVER = "Read-only: set by the server."
FETCHED = "Read-only: filled in by the stats fetcher."


class PackageWriteSerializer(WriteSerializer):
    """What a client may set on a package; everything else comes from the stats fetcher."""

    category = CatalogueRelatedField(
        view_name="category-detail",
        queryset=Category.objects.order_by("title"),
        help_text="The category's API URL, id or slug.",
    )
    title = line_field(100)
    slug = slug_field()
    repo_url = serializers.CharField(
        max_length=255,
        required=False,
        allow_blank=True,
        help_text="The repository's web URL (http(s), public host); stored normalized.",
    )
    pypi_url = serializers.CharField(
        max_length=255,
        required=False,
        allow_blank=True,
        help_text="A PyPI project name or project page URL; stored as the PEP 503 name.",
    )
    documentation_url = serializers.CharField(max_length=255, required=False, allow_blank=True)
    repo_description = text_field(
        help_text="Writable until the repository's stats are first fetched."
    )

    refused_fields = {
        "id": SET_BY_SERVER,
        "created": SET_BY_SERVER,
        "modified": SET_BY_SERVER,
        "grids": "Read-only: add a package to a grid with POST /api/v4/grids/{grid}/packages/.",
        **dict.fromkeys(
            (
                "last_fetched",
                "last_updated",
                "repo_watchers",
                "repo_forks",
                "commits_over_52",
                "participants",
                "pypi_version",
            ),
            FETCHED,
        ),
    }

    class Meta:
        model = Package

    def validate_repo_url(self, value: str) -> str:
        try:
            value = normalize_repo_url(validate_public_url(value))
        except IdentifierError as exc:
            raise serializers.ValidationError(str(exc)) from None
        if not value:
            return value
        host = urlsplit(value).netloc
        if host in supported_repo_hosts() and parse_repo_url(value) is None:
            raise serializers.ValidationError(
                f"Not a repository URL: expected https://{host}/OWNER/NAME."
            )
        others = Package.objects.with_repository(value)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        existing = others.first()
        if existing is not None:
            url = reverse(
                "package-detail", kwargs={"pk": existing.pk}, request=self.context.get("request")
            )
            raise serializers.ValidationError(f"Another package already has this repository: {url}")
        return value

    def validate_pypi_url(self, value: str) -> str:
        try:
            return normalize_pypi_name(value)
        except IdentifierError as exc:
            raise serializers.ValidationError(str(exc)) from None

    def validate_documentation_url(self, value: str) -> str:
        try:
            return validate_public_url(value)
        except IdentifierError as exc:
            raise serializers.ValidationError(str(exc)) from None

    def validate_repo_description(self, value: str) -> str:
        package = self.instance
        if package is not None and value != package.repo_description and _has_repo_stats(package):
            raise serializers.ValidationError(
                "Read-only once the repository's stats exist: the fetcher keeps it in sync."
            )
        return value

    def create(self, validated_data: dict[str, Any]) -> Package:
        return create_package(user=self.user, **validated_data)

    def update(self, instance: Package, validated_data: dict[str, Any]) -> Package:
        return update_package(package=instance, user=self.user, changes=validated_data)


def _has_repo_stats(package: Package) -> bool:
    return package.last_updated is not None or bool(package.repo_watchers or package.repo_forks)


class GridWriteSerializer(WriteSerializer):
    title = line_field(100)
    slug = slug_field()
    description = text_field()
    is_locked = serializers.BooleanField(required=False, help_text="Staff only.")
    header = serializers.BooleanField(required=False, help_text="Staff only.")

    refused_fields = {
        "id": SET_BY_SERVER,
        "created": SET_BY_SERVER,
        "modified": SET_BY_SERVER,
        "packages": "Read-only: add a package with POST /api/v4/grids/{grid}/packages/.",
    }

    class Meta:
        model = Grid

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not is_staff(self.user):
            changed = [
                name
                for name in ("is_locked", "header")
                if name in attrs and attrs[name] != getattr(self.instance, name, False)
            ]
            if changed:
                raise PermissionDenied(f"Only staff may change {' and '.join(changed)}.")
        return attrs

    def create(self, validated_data: dict[str, Any]) -> Grid:
        return create_grid(user=self.user, **validated_data)

    def update(self, instance: Grid, validated_data: dict[str, Any]) -> Grid:
        return update_grid(grid=instance, user=self.user, changes=validated_data)


class CategoryWriteSerializer(WriteSerializer):
    title = line_field(50)
    slug = serializers.CharField(max_length=50, validators=[SLUG_RULE])
    description = text_field()
    title_plural = line_field(50, required=False, allow_blank=True)
    show_pypi = serializers.BooleanField(required=False)

    refused_fields = {"id": SET_BY_SERVER, "created": SET_BY_SERVER, "modified": SET_BY_SERVER}

    class Meta:
        model = Category

    def create(self, validated_data: dict[str, Any]) -> Category:
        return create_category(**validated_data)

    def update(self, instance: Category, validated_data: dict[str, Any]) -> Category:
        return update_category(category=instance, changes=validated_data)


class GridPackageWriteSerializer(WriteSerializer):
    package = CatalogueRelatedField(
        view_name="package-detail",
        queryset=Package.objects.all(),
        style={"base_template": "input.html"},
        help_text="The package's API URL, id or slug.",
    )

    refused_fields = {"grid": SET_BY_SERVER, "created": SET_BY_SERVER}

    def validate_package(self, package: Package) -> Package:
        grid = self.context["grid"]
        if GridPackage.objects.filter(grid=grid, package=package).exists():
            raise serializers.ValidationError(f"{package.slug!r} is already in this grid.")
        return package

    def create(self, validated_data: dict[str, Any]) -> GridPackage:
        return add_package(grid=self.context["grid"], user=self.user, **validated_data)


class GridFeatureWriteSerializer(WriteSerializer):
    title = line_field(100)
    description = text_field()

    refused_fields = {
        "id": SET_BY_SERVER,
        "grid": SET_BY_SERVER,
        "created": SET_BY_SERVER,
        "modified": SET_BY_SERVER,
    }

    def create(self, validated_data: dict[str, Any]) -> Feature:
        return create_feature(grid=self.context["grid"], user=self.user, **validated_data)

    def update(self, instance: Feature, validated_data: dict[str, Any]) -> Feature:
        return update_feature(feature=instance, user=self.user, changes=validated_data)


class GridCellWriteSerializer(WriteSerializer):
    """Sets the cell for a package and a feature of this grid, creating it if needed."""

    package = CatalogueRelatedField(
        view_name="package-detail",
        queryset=Package.objects.all(),
        style={"base_template": "input.html"},
        help_text="A package in this grid: its API URL, id or slug.",
    )
    feature = serializers.PrimaryKeyRelatedField(
        queryset=Feature.objects.all(), help_text="The id of one of this grid's features."
    )
    text = text_field(required=True, trim_whitespace=False)

    refused_fields = {"id": SET_BY_SERVER, "created": SET_BY_SERVER, "modified": SET_BY_SERVER}

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        grid = self.context.get("grid")
        fields["feature"].queryset = (  # type: ignore[attr-defined]  # a related field
            Feature.objects.filter(grid=grid) if grid else Feature.objects.none()
        )
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        membership = GridPackage.objects.filter(
            grid=self.context["grid"], package=attrs["package"]
        ).first()
        if membership is None:
            raise serializers.ValidationError({"package": [NOT_IN_GRID]})
        return {"membership": membership, "feature": attrs["feature"], "text": attrs["text"]}

    def create(self, validated_data: dict[str, Any]) -> Element:
        cell, self.created = set_cell(user=self.user, **validated_data)
        return cell


class GridCellTextSerializer(WriteSerializer):
    """Changes an existing cell's text."""

    text = text_field(required=True, trim_whitespace=False)

    refused_fields = {
        "id": SET_BY_SERVER,
        "package": "Read-only: a cell's package and feature never change.",
        "feature": "Read-only: a cell's package and feature never change.",
        "created": SET_BY_SERVER,
        "modified": SET_BY_SERVER,
    }

    def update(self, instance: Element, validated_data: dict[str, Any]) -> Element:
        return update_cell(cell=instance, user=self.user, text=validated_data["text"])
