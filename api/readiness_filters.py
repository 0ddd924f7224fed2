"""`?python=3.12` and `?django=5.2`: the readiness filters the package list, search and a grid's
comparison share. Each keeps the packages whose latest release declares that version
(`Package.objects.declaring`, an indexed lookup); a value that is not "major.minor" is a 400."""

from collections.abc import Iterable, Mapping
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError as BadRequest

from packages.models import Package
from packages.readiness import is_version

KINDS = ("python", "django")
HELP = {
    "python": 'Packages whose latest release declares this Python version ("3.12").',
    "django": 'Packages whose latest release declares this Django version ("5.2").',
}
MESSAGE = 'A version as "major.minor", such as "3.12".'


class VersionField(forms.CharField):
    def clean(self, value: Any) -> str | None:
        value = super().clean(value)
        if value and not is_version(value.strip()):
            raise ValidationError(MESSAGE, code="invalid")
        return value.strip() if value else None


class DeclaredVersionFilter(django_filters.CharFilter):
    """One readiness filter (`field_name` is "python" or "django")."""

    field_class = VersionField

    def filter(self, qs: Any, value: str | None) -> Any:
        if not value:
            return qs
        return qs.declaring(**{self.field_name: value})


def declared_params(query_params: Mapping[str, str]) -> dict[str, str]:
    """{"python": .., "django": ..} as asked (absent ones left out); a bad value is a 400."""
    asked = {}
    for kind in KINDS:
        value = (query_params.get(kind) or "").strip()
        if value:
            if not is_version(value):
                raise BadRequest({kind: [MESSAGE]})
            asked[kind] = value
    return asked


def declaring_ids(ids: Iterable[int], asked: Mapping[str, str]) -> set[int]:
    """Those of `ids` whose packages declare every version `asked` (one query)."""
    return set(
        Package.objects.filter(pk__in=list(ids)).declaring(**asked).values_list("pk", flat=True)
    )


def keep_declaring(rows: list[dict[str, Any]], asked: Mapping[str, str]) -> list[dict[str, Any]]:
    """The package rows (dicts with an "id") that declare what `asked` names; all when nothing."""
    if not asked:
        return rows
    keep = declaring_ids((row["id"] for row in rows), asked)
    return [row for row in rows if row["id"] in keep]


def keep_declaring_hits(hits: list[Any], asked: Mapping[str, str], limit: int) -> list[Any]:
    """Search hits without the packages that do not declare what `asked` names (grid hits
    stay: they declare nothing), at most `limit` of them."""
    if not asked:
        return hits[:limit]
    packages = [hit.id for hit in hits if hit.item_type == "package"]
    keep = declaring_ids(packages, asked)
    return [h for h in hits if h.item_type != "package" or h.id in keep][:limit]


def schema_parameters() -> list[OpenApiParameter]:
    """The two filters as OpenAPI query parameters, for views that read them themselves."""
    return [OpenApiParameter(kind, OpenApiTypes.STR, description=HELP[kind]) for kind in KINDS]
