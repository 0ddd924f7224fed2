"""FilterSets for the list endpoints; a value that cannot mean anything is a 400, never a 500."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet

import search
from api.lookups import id_or_slug
from api.readiness_filters import HELP, DeclaredVersionFilter
from categories.models import Category
from grids.models import Grid
from packages.models import Package, PackageQuerySet


class IdOrSlugFilter(django_filters.CharFilter):
    """Related rows by id or slug; an unknown one matches nothing (an empty page)."""

    def filter(self, qs: QuerySet[Any], value: str | None) -> QuerySet[Any]:
        if value in (None, ""):
            return qs
        lookup = id_or_slug(value)
        if lookup is None:
            return qs.none()
        ((name, target),) = lookup.items()
        return qs.filter(**{f"{self.field_name}__{name}": target})


class SearchWordsFilter(django_filters.CharFilter):
    """`q`: the rows a search for these words finds in the title, slug or `description_field`."""

    def __init__(self, *, description_field: str, **kwargs: Any) -> None:
        self.description_field = description_field
        kwargs.setdefault(
            "help_text",
            "Any text: rows holding each of its words (at most "
            f"{search.MAX_TERMS} of them, as search chooses) in the title, slug or description.",
        )
        super().__init__(**kwargs)

    def filter(self, qs: QuerySet[Any], value: str | None) -> QuerySet[Any]:
        if not value:  # None or ""
            return qs
        return search.matching(qs, value, description_field=self.description_field)


class _StrictBooleanField(forms.NullBooleanField):
    widget = forms.TextInput

    def to_python(self, value: Any) -> bool | None:  # type: ignore[override]
        text = "" if value is None else str(value).strip().lower()
        if text == "":
            return None
        if text in {"true", "1", "yes"}:
            return True
        if text in {"false", "0", "no"}:
            return False
        raise ValidationError("Must be true or false.", code="invalid")

    def validate(self, value: bool | None) -> None:
        pass


class BooleanFilter(django_filters.BooleanFilter):
    """true/false (also 1/0, yes/no); any other value is a 400 rather than silently ignored."""

    field_class = _StrictBooleanField


ORDERING_HELP = "Sort key (default `-id`, newest first); prefix with `-` for descending."


class StableOrderingFilter(django_filters.OrderingFilter):
    """Ordering with `id` as the last key, so equal values never shuffle rows between pages.

    Lists are newest first (`-id`) without it; `id` and `-id` are always accepted.
    """

    def __init__(self, *, fields: list[str], **kwargs: Any) -> None:
        kwargs.setdefault("help_text", ORDERING_HELP)
        super().__init__(fields=["id", *fields], **kwargs)

    def filter(self, qs: QuerySet[Any], value: list[str] | None) -> QuerySet[Any]:
        qs = super().filter(qs, value)
        if value:
            qs = qs.order_by(*qs.query.order_by, "id")
        return qs


def _present(field: str) -> Callable[[QuerySet[Any], str, bool | None], QuerySet[Any]]:
    """Filter method: rows where the nullable `field` is set (true) or unset (false)."""

    def method(queryset: QuerySet[Any], name: str, value: bool | None) -> QuerySet[Any]:
        if value is None:
            return queryset
        return queryset.filter(**{f"{field}__isnull": not value})

    return method


class UtcDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 date-time, converted to UTC (databases refuse offsets beyond +-15:59)."""

    def to_python(self, value: Any) -> datetime | None:
        value = super().to_python(value)
        if value is None:
            return None
        try:
            return value.astimezone(UTC)
        except OverflowError:
            raise ValidationError("Date-time out of range.", code="invalid") from None


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcDateTimeField


class PackageFilter(django_filters.FilterSet):
    category = IdOrSlugFilter(
        label="Category", field_name="category", help_text="A category id or slug."
    )
    grid = IdOrSlugFilter(label="Grid", field_name="grids", help_text="A grid id or slug.")
    q = SearchWordsFilter(
        description_field="repo_description", label="Words in the name or description"
    )
    has_pypi = BooleanFilter(
        method="filter_has_pypi", label="On PyPI", help_text="Published on PyPI."
    )
    archived = BooleanFilter(
        method=_present("repo_archived_at"),
        label="Archived",
        help_text="The repository is archived.",
    )
    deprecated = BooleanFilter(
        method=_present("deprecated_at"),
        label="Deprecated",
        help_text="Marked deprecated by its maintainers.",
    )
    updated_after = UtcDateTimeFilter(
        field_name="last_updated",
        label="Last commit after",
        lookup_expr="gte",
        help_text="Newest commit at or after this ISO 8601 date-time.",
    )
    updated_before = UtcDateTimeFilter(
        field_name="last_updated",
        label="Last commit before",
        lookup_expr="lt",
        help_text="Newest commit before this ISO 8601 date-time.",
    )
    python = DeclaredVersionFilter(
        label="Supports Python", field_name="python", help_text=HELP["python"]
    )
    django = DeclaredVersionFilter(
        label="Supports Django", field_name="django", help_text=HELP["django"]
    )
    fetched_before = UtcDateTimeFilter(
        method="filter_fetched_before",
        label="Last fetched before",
        help_text="Stale entries: never fetched, or last fetched before this ISO 8601 date-time.",
    )
    ordering = StableOrderingFilter(
        label="Order by",
        fields=[
            "title",
            "repo_watchers",
            "repo_forks",
            "last_updated",
            "last_fetched",
            "created",
            "modified",
            "score",
        ],
    )

    class Meta:
        model = Package
        fields: list[str] = []

    def filter_has_pypi(
        self, queryset: QuerySet[Package], name: str, value: bool | None
    ) -> QuerySet[Package]:
        if value is None:
            return queryset
        return queryset.exclude(pypi_url="") if value else queryset.filter(pypi_url="")

    def filter_fetched_before(
        self, queryset: PackageQuerySet, name: str, value: datetime | None
    ) -> PackageQuerySet:
        if value is None:
            return queryset
        return queryset.stale(older_than=value)


class GridFilter(django_filters.FilterSet):
    q = SearchWordsFilter(
        description_field="description", label="Words in the title or description"
    )
    header = BooleanFilter(
        field_name="header", label="Featured", help_text="Featured on the front page."
    )
    is_locked = BooleanFilter(
        field_name="is_locked", label="Locked", help_text="Only staff may edit it."
    )
    package = IdOrSlugFilter(
        field_name="packages", label="Package", help_text="Grids listing this package id or slug."
    )
    ordering = StableOrderingFilter(label="Order by", fields=["title", "created", "modified"])

    class Meta:
        model = Grid
        fields: list[str] = []


class CategoryFilter(django_filters.FilterSet):
    ordering = StableOrderingFilter(label="Order by", fields=["title", "created", "modified"])

    class Meta:
        model = Category
        fields: list[str] = []
