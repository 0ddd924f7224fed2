"""API v4 representations; field names and order are the public contract (see the seed).

Writes go through the `*WriteSerializer`s: they list the fields a client may send, refuse any
other (read-only ones by name, the rest as unknown), and answer in the read representation.
"""

from collections.abc import Mapping
from urllib.parse import urlsplit

from django.core.exceptions import ObjectDoesNotExist
from django.core.validators import RegexValidator
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.reverse import reverse
from rest_framework.utils import html

from api.lookups import id_or_slug
from api.permissions import is_staff
from categories.models import Category
from grids.editing import (
    add_package,
    create_feature,
    create_grid,
    set_cell,
    update_cell,
    update_feature,
    update_grid,
)
from grids.models import Element, Feature, Grid, GridPackage
from packages.editing import create_package, supported_repo_hosts, update_package
from packages.fetch.forges import parse_repo_url
from packages.identifiers import (
    IdentifierError,
    normalize_pypi_name,
    normalize_repo_url,
    validate_public_url,
)
from packages.models import Package

SLUG_RULE = RegexValidator(
    r"^[a-z0-9_-]+$", "Only lower-case letters, digits, hyphens and underscores are allowed."
)
DESCRIPTION_MAX_LENGTH = 2000
SET_BY_SERVER = "Read-only: set by the server."
FETCHED = "Read-only: filled in by the stats fetcher."
# Keys an HTML form from the browsable API adds to what the user typed.
_FORM_KEYS = {"csrfmiddlewaretoken", "_method", "_content", "_content_type"}


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

    def to_representation(self, instance):
        """The same JSON DRF's fields would give, built directly: a list page is the hot path.

        The declared fields stay the contract (schema, browsable API); this only skips DRF's
        per-field machinery and reverses each related URL once per response, not once per row.
        """
        url = self._url_builders()
        return {
            "category": url["category-detail"](instance.category_id),
            "grids": [url["grid-detail"](grid.pk) for grid in instance.grids.all()],
            "id": instance.id,
            "title": instance.title,
            "slug": instance.slug,
            "last_updated": _datetime(instance.last_updated),
            "last_fetched": _datetime(instance.last_fetched),
            "repo_url": instance.repo_url,
            "pypi_version": instance.pypi_version,
            "created": _datetime(instance.created),
            "modified": _datetime(instance.modified),
            "repo_forks": instance.repo_forks,
            "repo_description": instance.repo_description,
            "pypi_url": f"https://pypi.org/project/{instance.pypi_url}/"
            if instance.pypi_url
            else "",
            "documentation_url": instance.documentation_url,
            "repo_watchers": instance.repo_watchers,
            "commits_over_52": instance.commits_over_52,
            "participants": instance.participants,
        }

    def _url_builders(self):
        builders = getattr(self, "_builders", None)
        if builders is None:
            request, format = self.context.get("request"), self.context.get("format")
            builders = self._builders = {
                name: detail_url_builder(name, request, format)
                for name in ("category-detail", "grid-detail")
            }
        return builders


def detail_url_builder(view_name, request, format=None):
    """`pk -> URL` of `view_name`, as DRF's hyperlinked fields render it (host, `?format=`),
    with one reverse() for a whole response instead of one per row."""
    placeholder = 2**62
    template = reverse(view_name, kwargs={"pk": placeholder}, request=request, format=format)
    head, _, tail = template.partition(f"/{placeholder}/")
    return lambda pk: None if pk is None else f"{head}/{pk}/{tail}"


_DATETIME = serializers.DateTimeField()


def _datetime(value):
    return None if value is None else _DATETIME.to_representation(value)


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


class CatalogueRelatedField(serializers.HyperlinkedRelatedField):
    """A related row given as its API URL, numeric id or slug; shown as its API URL."""

    default_error_messages = {
        **serializers.HyperlinkedRelatedField.default_error_messages,
        "not_found": "Nothing has the id or slug {value!r}.",
        "incorrect_type": "Expected an API URL, an id or a slug, not {data_type}.",
    }

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if isinstance(data, str) and "/" in data:
            return super().to_internal_value(data)
        try:
            return self.get_object(self.view_name, (), {self.lookup_url_kwarg: str(data)})
        except ObjectDoesNotExist:
            self.fail("not_found", value=str(data)[:100])

    def get_object(self, view_name, view_args, view_kwargs):
        lookup = id_or_slug(str(view_kwargs.get(self.lookup_url_kwarg, "")))
        if lookup is None:
            raise self.get_queryset().model.DoesNotExist
        return self.get_queryset().get(**lookup)

    def use_pk_only_optimization(self):
        return True


class WriteSerializer(serializers.Serializer):
    """Accepts exactly its own writable fields.

    `refused_fields` maps the resource's other fields to why they cannot be written; sending
    one, or a field the resource does not have, is a 400 naming it.
    """

    refused_fields = {}

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            ignored = _FORM_KEYS if html.is_html_input(data) else set()
            errors = {
                name: [self.refused_fields.get(name, "Unknown field.")]
                for name in data
                if name not in writable and name not in ignored
            }
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)

    @property
    def user(self):
        return self.context["request"].user

    def validate_slug(self, value):
        if value == "" and self.instance is not None:
            raise serializers.ValidationError("This field may not be blank.")
        model = self.Meta.model
        taken = model.objects.filter(slug=value).exclude(pk=getattr(self.instance, "pk", None))
        if value and taken.exists():
            raise serializers.ValidationError(f"The slug {value!r} is already taken.")
        return value


def _slug_field():
    return serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        validators=[SLUG_RULE],
        help_text="Lower-case letters, digits, - and _; made from the title when omitted.",
    )


class PackageWriteSerializer(WriteSerializer):
    """What a client may set on a package; everything else comes from the stats fetcher."""

    category = CatalogueRelatedField(
        view_name="category-detail",
        queryset=Category.objects.order_by("title"),
        help_text="The category's API URL, id or slug.",
    )
    title = serializers.CharField(max_length=100)
    slug = _slug_field()
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
    repo_description = serializers.CharField(
        max_length=DESCRIPTION_MAX_LENGTH,
        required=False,
        allow_blank=True,
        help_text="Writable until the repository's stats are first fetched.",
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

    def validate_repo_url(self, value):
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
        existing = (
            Package.objects.filter(repo_url=value)
            .exclude(pk=getattr(self.instance, "pk", None))
            .first()
        )
        if existing is not None:
            url = reverse(
                "package-detail", kwargs={"pk": existing.pk}, request=self.context.get("request")
            )
            raise serializers.ValidationError(f"Another package already has this repository: {url}")
        return value

    def validate_pypi_url(self, value):
        try:
            return normalize_pypi_name(value)
        except IdentifierError as exc:
            raise serializers.ValidationError(str(exc)) from None

    def validate_documentation_url(self, value):
        try:
            return validate_public_url(value)
        except IdentifierError as exc:
            raise serializers.ValidationError(str(exc)) from None

    def validate_repo_description(self, value):
        package = self.instance
        if package is not None and value != package.repo_description and _has_repo_stats(package):
            raise serializers.ValidationError(
                "Read-only once the repository's stats exist: the fetcher keeps it in sync."
            )
        return value

    def create(self, validated_data):
        return create_package(user=self.user, **validated_data)

    def update(self, instance, validated_data):
        return update_package(package=instance, user=self.user, changes=validated_data)


def _has_repo_stats(package):
    return package.last_updated is not None or bool(package.repo_watchers or package.repo_forks)


class GridWriteSerializer(WriteSerializer):
    title = serializers.CharField(max_length=100)
    slug = _slug_field()
    description = serializers.CharField(
        max_length=DESCRIPTION_MAX_LENGTH, required=False, allow_blank=True
    )
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

    def validate(self, attrs):
        if not is_staff(self.user):
            changed = [
                name
                for name in ("is_locked", "header")
                if name in attrs and attrs[name] != getattr(self.instance, name, False)
            ]
            if changed:
                raise PermissionDenied(f"Only staff may change {' and '.join(changed)}.")
        return attrs

    def create(self, validated_data):
        return create_grid(user=self.user, **validated_data)

    def update(self, instance, validated_data):
        return update_grid(grid=instance, user=self.user, changes=validated_data)


class CategoryWriteSerializer(WriteSerializer):
    title = serializers.CharField(max_length=50)
    slug = serializers.CharField(max_length=50, validators=[SLUG_RULE])
    description = serializers.CharField(
        max_length=DESCRIPTION_MAX_LENGTH, required=False, allow_blank=True
    )
    title_plural = serializers.CharField(max_length=50, required=False, allow_blank=True)
    show_pypi = serializers.BooleanField(required=False)

    refused_fields = {"id": SET_BY_SERVER, "created": SET_BY_SERVER, "modified": SET_BY_SERVER}

    class Meta:
        model = Category

    def create(self, validated_data):
        return Category.objects.create(**validated_data)

    def update(self, instance, validated_data):
        for name, value in validated_data.items():
            setattr(instance, name, value)
        instance.save()
        return instance


class GridPackageSerializer(serializers.ModelSerializer):
    """One row of a grid: the package's membership."""

    grid = serializers.HyperlinkedRelatedField(view_name="grid-detail", read_only=True)
    package = serializers.HyperlinkedRelatedField(view_name="package-detail", read_only=True)

    class Meta:
        model = GridPackage
        fields = ["grid", "package", "created"]


class GridPackageWriteSerializer(WriteSerializer):
    package = CatalogueRelatedField(
        view_name="package-detail",
        queryset=Package.objects.all(),
        style={"base_template": "input.html"},
        help_text="The package's API URL, id or slug.",
    )

    refused_fields = {"grid": SET_BY_SERVER, "created": SET_BY_SERVER}

    def validate_package(self, package):
        grid = self.context["grid"]
        if GridPackage.objects.filter(grid=grid, package=package).exists():
            raise serializers.ValidationError(f"{package.slug!r} is already in this grid.")
        return package

    def create(self, validated_data):
        return add_package(grid=self.context["grid"], user=self.user, **validated_data)


class GridFeatureSerializer(serializers.ModelSerializer):
    """A column of a grid."""

    grid = serializers.HyperlinkedRelatedField(view_name="grid-detail", read_only=True)

    class Meta:
        model = Feature
        fields = ["id", "grid", "title", "description", "created", "modified"]


class GridFeatureWriteSerializer(WriteSerializer):
    title = serializers.CharField(max_length=100)
    description = serializers.CharField(
        max_length=DESCRIPTION_MAX_LENGTH, required=False, allow_blank=True
    )

    refused_fields = {
        "id": SET_BY_SERVER,
        "grid": SET_BY_SERVER,
        "created": SET_BY_SERVER,
        "modified": SET_BY_SERVER,
    }

    def create(self, validated_data):
        return create_feature(grid=self.context["grid"], user=self.user, **validated_data)

    def update(self, instance, validated_data):
        return update_feature(feature=instance, user=self.user, changes=validated_data)


class GridCellSerializer(serializers.ModelSerializer):
    """A cell of a grid: what it says about one package (row) for one feature (column)."""

    package = serializers.HyperlinkedRelatedField(
        source="grid_package.package", view_name="package-detail", read_only=True
    )
    feature = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Element
        fields = ["id", "package", "feature", "text", "created", "modified"]


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
    text = serializers.CharField(
        max_length=DESCRIPTION_MAX_LENGTH, allow_blank=True, trim_whitespace=False
    )

    refused_fields = {"id": SET_BY_SERVER, "created": SET_BY_SERVER, "modified": SET_BY_SERVER}

    def get_fields(self):
        fields = super().get_fields()
        grid = self.context.get("grid")
        fields["feature"].queryset = (
            Feature.objects.filter(grid=grid) if grid else Feature.objects.none()
        )
        return fields

    def validate(self, attrs):
        membership = GridPackage.objects.filter(
            grid=self.context["grid"], package=attrs["package"]
        ).first()
        if membership is None:
            raise serializers.ValidationError(
                {"package": ["This package is not in this grid: add it to the grid first."]}
            )
        return {"membership": membership, "feature": attrs["feature"], "text": attrs["text"]}

    def create(self, validated_data):
        cell, self.created = set_cell(user=self.user, **validated_data)
        return cell


class GridCellTextSerializer(WriteSerializer):
    """Changes an existing cell's text."""

    text = serializers.CharField(
        max_length=DESCRIPTION_MAX_LENGTH, allow_blank=True, trim_whitespace=False
    )

    refused_fields = {
        "id": SET_BY_SERVER,
        "package": "Read-only: a cell's package and feature never change.",
        "feature": "Read-only: a cell's package and feature never change.",
        "created": SET_BY_SERVER,
        "modified": SET_BY_SERVER,
    }

    def update(self, instance, validated_data):
        return update_cell(cell=instance, user=self.user, text=validated_data["text"])


class AuthTokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, style={"input_type": "password"})
    rotate = serializers.BooleanField(
        required=False, default=False, help_text="Replace the current token with a new one."
    )


class AuthTokenSerializer(serializers.Serializer):
    token = serializers.CharField(
        source="key", help_text="Send it as `Authorization: Token <token>`."
    )
    created = serializers.DateTimeField()
