"""Package and grid JSON (API v4), built from plain rows: the one place that shapes them.

A detail is one query of `.values()` rows (no model instances) with its members' ids (an
array subquery on PostgreSQL, `json_group_array` on SQLite); a list page is two (its rows,
then the memberships of them all). Rows become dicts of the public keys in their order
(`api.serializers.read` declares them for the schema and the browsable API, and builds its
JSON through the same functions). Links are the detail URLs DRF's hyperlinked fields give
(host, `.json` suffix, `?format=`), each view's reversed once per response and completed by
string formatting. `JSONRenderer` writes these documents with orjson: the same bytes as
DRF's renderer (compact, UTF-8, U+2028/U+2029 escaped), about ten times faster.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, tzinfo
from typing import Any

import orjson
from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import Aggregate, JSONField, OuterRef, QuerySet, Subquery
from django.utils import timezone
from rest_framework import renderers
from rest_framework.request import Request
from rest_framework.reverse import reverse

from grids.models import GridPackage
from packages.identifiers import pypi_project_url

# Never a real id: the one place a reversed detail URL holds it is where the pk goes.
_PK_MARK = 987654321987654321

Link = Callable[[int | None], str | None]


def detail_link(view_name: str, request: Request | None, format: str | None = None) -> Link:
    """`pk -> URL` of `view_name`, exactly as DRF's hyperlinked fields render it, with one
    reverse() for the builder's lifetime (a response)."""
    template = reverse(view_name, kwargs={"pk": _PK_MARK}, request=request, format=format)
    # The query string DRF may append is `?format=<a renderer's format>`: no digits, so the
    # last mark is the path's.
    head, mark, tail = template.rpartition(str(_PK_MARK))
    assert mark, template

    def url(pk: int | None) -> str | None:
        return None if pk is None else f"{head}{pk}{tail}"

    return url


class Links:
    """The detail links of one response: one `detail_link` per view name, made when needed."""

    def __init__(self, request: Request | None, format: str | None = None) -> None:
        self.request, self.format = request, format
        self._links: dict[str, Link] = {}

    def __getitem__(self, view_name: str) -> Link:
        link = self._links.get(view_name)
        if link is None:
            link = self._links[view_name] = detail_link(view_name, self.request, self.format)
        return link


def datetime_text(value: datetime | None, zone: tzinfo) -> str | None:
    """DRF's `DateTimeField` output: ISO 8601 in the current time zone, UTC as `Z`."""
    if not value:
        return None
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class JSONDocument(dict):
    """A response body built here from database rows: only str, int, bool, None, lists and
    dicts, so orjson writes it byte for byte as DRF's `json.dumps` would (floats, which the two
    format differently, never occur)."""


class JSONRenderer(renderers.JSONRenderer):
    """DRF's JSON renderer; a `JSONDocument` without `indent` is written by orjson."""

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        if isinstance(data, JSONDocument) and (
            self.get_indent(accepted_media_type or "", renderer_context or {}) is None
        ):
            body = orjson.dumps(data)
            return body.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
        return super().render(data, accepted_media_type, renderer_context)


class _JSONGroupArray(Aggregate):
    function = "json_group_array"
    output_field = JSONField()


class RowJSON:
    """How one resource's JSON is read (`columns`, members) and built (`build`)."""

    # The JSON's keys in order (the serializers declare these fields), and the columns read.
    fields: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()
    # The membership table's column naming this resource's rows, and the one naming members.
    owner_column = member_column = ""

    def rows(self, queryset: QuerySet[Any], *, members: bool = False) -> QuerySet[Any]:
        """`queryset` as the rows `documents` reads: no instances, no prefetch. With `members`,
        each row carries its members' ids (one query for a detail; a list page leaves them to
        `documents`, since the database would compute them for the rows an offset skips too)."""
        rows = queryset.prefetch_related(None)
        if members and self.owner_column:
            return rows.values(*self.columns, members=self._members())
        return rows.values(*self.columns)

    def _members(self) -> Subquery:
        """The ids of a row's members (grids of a package, packages of a grid), as a list."""
        pairs = GridPackage.objects.filter(**{self.owner_column: OuterRef("id")}).order_by()
        if connection.vendor == "postgresql":
            return ArraySubquery(pairs.values(self.member_column))
        # SQLite: a JSON array, made by the one row of a GROUP BY over the owner.
        return Subquery(
            pairs.values(self.owner_column)
            .annotate(ids=_JSONGroupArray(self.member_column))
            .values("ids")
        )

    def documents(self, rows: Sequence[Mapping[str, Any]], links: Links) -> list[dict]:
        """The JSON of `rows` (from `rows()`), members by id: read in one query for all the
        rows unless they carry them."""
        if not self.owner_column:
            rows = [{**row, "members": ()} for row in rows]
        elif rows and "members" not in rows[0]:
            members: defaultdict[int, list[int]] = defaultdict(list)
            pairs = GridPackage.objects.filter(
                **{f"{self.owner_column}__in": [row["id"] for row in rows]}
            ).values_list(self.owner_column, self.member_column)
            for owner, member in pairs.order_by():
                members[owner].append(member)
            rows = [{**row, "members": members[row["id"]]} for row in rows]
        zone = timezone.get_current_timezone()
        return [self.build(row, sorted(row["members"] or ()), links, zone) for row in rows]

    def build(
        self, row: Mapping[str, Any], members: Iterable[int], links: Links, zone: tzinfo
    ) -> dict:
        raise NotImplementedError

    def from_instance(self, instance: Any, members: Iterable[int], links: Links) -> dict:
        """The JSON of a model instance (writes, the browsable API, nested serializers)."""
        row = {column: getattr(instance, column) for column in self.columns}
        return self.build(row, members, links, timezone.get_current_timezone())


class PackageJSON(RowJSON):
    """A package: the seed's keys in its order (tests/api/test_seed.py)."""

    fields = (
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
    )
    # `category` is read as its id; `grids` are the row's members.
    columns = ("category_id", *fields[2:])
    owner_column, member_column = "package_id", "grid_id"

    def build(
        self, row: Mapping[str, Any], members: Iterable[int], links: Links, zone: tzinfo
    ) -> dict:
        grid = links["grid-detail"]
        return {
            "category": links["category-detail"](row["category_id"]),
            "grids": [grid(pk) for pk in members],
            "id": row["id"],
            "title": row["title"],
            "slug": row["slug"],
            "last_updated": datetime_text(row["last_updated"], zone),
            "last_fetched": datetime_text(row["last_fetched"], zone),
            "repo_url": row["repo_url"],
            "pypi_version": row["pypi_version"],
            "created": datetime_text(row["created"], zone),
            "modified": datetime_text(row["modified"], zone),
            "repo_forks": row["repo_forks"],
            "repo_description": row["repo_description"],
            "pypi_url": pypi_project_url(row["pypi_url"]),
            "documentation_url": row["documentation_url"],
            "repo_watchers": row["repo_watchers"],
            "commits_over_52": row["commits_over_52"],
            "participants": row["participants"],
        }


class GridJSON(RowJSON):
    """A grid: its fields and its packages' links (by package id)."""

    fields = (
        "id",
        "title",
        "slug",
        "description",
        "is_locked",
        "packages",
        "header",
        "created",
        "modified",
    )
    # `packages` are the row's members.
    columns = tuple(name for name in fields if name != "packages")
    owner_column, member_column = "grid_id", "package_id"

    def build(
        self, row: Mapping[str, Any], members: Iterable[int], links: Links, zone: tzinfo
    ) -> dict:
        package = links["package-detail"]
        return {
            "id": row["id"],
            "title": row["title"],
            "slug": row["slug"],
            "description": row["description"],
            "is_locked": row["is_locked"],
            "packages": [package(pk) for pk in members],
            "header": row["header"],
            "created": datetime_text(row["created"], zone),
            "modified": datetime_text(row["modified"], zone),
        }


class CategoryJSON(RowJSON):
    """A category: its fields (it has no members)."""

    fields = columns = (
        "id",
        "title",
        "slug",
        "description",
        "title_plural",
        "show_pypi",
        "created",
        "modified",
    )

    def build(
        self, row: Mapping[str, Any], members: Iterable[int], links: Links, zone: tzinfo
    ) -> dict:
        return {
            "id": row["id"],
            "title": row["title"],
            "slug": row["slug"],
            "description": row["description"],
            "title_plural": row["title_plural"],
            "show_pypi": row["show_pypi"],
            "created": datetime_text(row["created"], zone),
            "modified": datetime_text(row["modified"], zone),
        }


PACKAGE_JSON = PackageJSON()
GRID_JSON = GridJSON()
CATEGORY_JSON = CategoryJSON()
