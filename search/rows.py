"""What both databases' search statements share: the tiers a hit is weighed in, the columns a
hit is built from (the same SQL on PostgreSQL and SQLite), and running a statement into dicts."""

import json
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from common.postgresql.prepared import prepared_cursor

EXACT, PREFIX, TITLE_WORDS, ANY_WORDS, FUZZY = 4, 3, 2, 1, 0

# `{weight}` is the SQL of the row's tier; `p` the package, `c` its category.
PACKAGE_COLUMNS = """p.id, p.title, p.slug, p.repo_description, c.title, p.repo_watchers,
    p.repo_forks, p.last_updated,
    (SELECT v.upload_time FROM packages_version v WHERE v.package_id = p.id AND NOT v.is_yanked
     ORDER BY v.upload_time DESC NULLS LAST LIMIT 1),
    {weight}, p.created, p.modified, p.score, p.pypi_downloads, p.participants,
    (SELECT count(*) FROM packages_usage u WHERE u.package_id = p.id)"""
PACKAGE_FIELDS = (
    "id",
    "title",
    "slug",
    "repo_description",
    "category__title",
    "repo_watchers",
    "repo_forks",
    "last_updated",
    "last_released",
    "weight",
    "created",
    "modified",
    "score",
    "pypi_downloads",
    "participants",
    "usage_count",
)
GRID_FIELDS = ("id", "title", "slug", "description", "weight", "created", "modified")

Row = dict[str, Any]


def fetch_rows(
    sql: str, params: Mapping[str, Any] | Sequence[Any], fields: Sequence[str]
) -> list[Row]:
    """The rows of `sql` as dicts of `fields`; dates and JSON as the ORM would read them.
    `params`: a mapping for `%(name)s` placeholders, a sequence for PostgreSQL's own `$1`."""
    with prepared_cursor(native=not isinstance(params, Mapping)) as cursor:
        cursor.execute(sql, params)
        rows = [dict(zip(fields, row, strict=True)) for row in cursor.fetchall()]
    dates = _DATES.intersection(fields) if connection.vendor == "sqlite" else ()
    for row in rows:
        if "participants" in row:
            row["participants"] = _json_list(row["participants"])
        for field in dates:
            row[field] = _sqlite_datetime(row[field])
    return rows


_DATES = {"last_updated", "last_released", "created", "modified"}


def _sqlite_datetime(value: Any) -> Any:
    """A date SQLite stored as text (UTC, no offset, as Django writes it) as an aware datetime."""
    if not isinstance(value, str):
        return value
    parsed = parse_datetime(value)
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, connection.timezone)
    return parsed


def _json_list(value: Any) -> list[Any]:
    # Django has the databases hand JSON over as text, for JSONField to decode.
    if isinstance(value, str):
        value = json.loads(value)
    return value if isinstance(value, list) else []
