"""One list page of stored documents in one SQL statement: the rows' count and the page's
documents, in the list's order.

`page_statement(rows)` turns a list's rows (a filtered, ordered queryset) into the statement's
parts once: the rows' ids in order, the rows numbered in their order (`ROW_NUMBER() OVER
(ORDER BY ...)`, for SQLite and DISTINCT rows), so the join below keeps the page's order, and
the rows unordered, for the count. `read_page` then
runs, with the page's `LIMIT`/`OFFSET` and the kind and time zone of the documents:

- PostgreSQL: one row, `(count, page rows, documents found, the documents joined by ",")`:
  the page's ids in order as an array, numbered `WITH ORDINALITY`; the database does the
  concatenation (`string_agg ... ORDER BY pos`); an unfiltered list's
  count is the one its table's triggers keep (`ListCount`), not a count of the table;
- SQLite (whose `group_concat` has no `ORDER BY` before 3.44): the count as the first row, then
  the page's documents in order (`UNION ALL`), joined here.

An unfiltered list's statement is the same for every request, so `api.reads` compiles it once
per view; a filtered one is compiled per request (django-filter builds its queryset).
Where a process keeps the unfiltered list's order (`api.read_cache`: `read_order` reads every id
once per change), a page is its slice of those ids, and `read_documents` their documents in one
indexed statement: no `OFFSET` walks the rows before a deep page.

`page_links` writes the envelope's `next` / `previous`; `count_differences` and `recount` are
`manage.py check_documents`'s view of the kept counts.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib import parse

from django.db import connection, transaction
from django.db.models import F, Model, QuerySet, Window
from django.db.models.functions import RowNumber

from api.stored import Document, ListCount
from common.postgresql.prepared import prepared_cursor


@dataclass(frozen=True)
class PageStatement:
    """A list's rows as SQL: `numbered` selects `page_id, pos` in order; `counted` the rows."""

    numbered: str
    numbered_params: tuple[Any, ...]
    counted: str
    counted_params: tuple[Any, ...]
    # The unfiltered list's kind: its count is read from `ListCount` when kept there.
    kept: str | None = None
    # The ids alone, in order (PostgreSQL numbers the page's ids after the LIMIT, not every row
    # before it); None where the rows are DISTINCT, whose ordering columns Django also selects.
    ordered: str | None = None
    ordered_params: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Page:
    """A list's row count and the JSON of its page's documents, joined by commas."""

    count: int
    results: bytes


def page_statement(rows: QuerySet[Any], *, kept: str | None = None) -> PageStatement | None:
    """The statement's halves for these rows; None when they are certainly none (a filter
    that matches nothing, such as an unknown grid). `kept`: the rows are every row of this
    kind's table, whose count `ListCount` may keep."""
    if rows.query.is_empty():
        return None
    ordering: list[Any] = list(rows.query.order_by)
    numbered = rows.annotate(page_pos=Window(RowNumber(), order_by=ordering)).values(
        page_id=F("pk"), pos=F("page_pos")
    )
    numbered_sql, numbered_params = numbered.query.sql_with_params()
    counted_sql, counted_params = rows.order_by().values("pk").query.sql_with_params()
    ordered_sql, ordered_params = None, ()
    if not rows.query.distinct:
        ordered_sql, ordered_params = rows.values("pk").query.sql_with_params()
    return PageStatement(
        numbered_sql,
        tuple(numbered_params),
        counted_sql,
        tuple(counted_params),
        kept,
        ordered_sql,
        tuple(ordered_params),
    )


def read_page(
    statement: PageStatement | None, *, kind: str, zone: str, limit: int, offset: int
) -> Page | None:
    """The page `limit` rows from `offset`, in one statement; None when one of its rows has no
    stored document in `zone` (the caller answers some other way)."""
    if statement is None:
        return Page(0, b"")
    document = connection.ops.quote_name(Document._meta.db_table)
    page = f"({statement.numbered} LIMIT %s OFFSET %s) AS page"
    joined = (
        f"{page} LEFT JOIN {document} AS doc ON doc.kind = %s AND doc.zone = %s "
        "AND doc.object_id = page.page_id"
    )
    params = (*statement.numbered_params, limit, offset, kind, zone)
    counted = f"SELECT COUNT(*) FROM ({statement.counted}) AS counted"
    counted_params: tuple[Any, ...] = statement.counted_params
    # The unfiltered list's statement is one text for every page: prepared, it is planned once.
    with prepared_cursor() if statement.kept is not None else connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            if statement.ordered is not None:
                # The page's ids in order, numbered by their place in the array: no window over
                # the rows before the page (most of a deep page's time).
                page = (
                    f"unnest(ARRAY({statement.ordered} LIMIT %s OFFSET %s))"
                    " WITH ORDINALITY AS page(page_id, pos)"
                )
                joined = (
                    f"{page} LEFT JOIN {document} AS doc ON doc.kind = %s AND doc.zone = %s "
                    "AND doc.object_id = page.page_id"
                )
                params = (*statement.ordered_params, limit, offset, kind, zone)
            if statement.kept is not None:
                # COALESCE runs the counting subquery only when no count is kept.
                count_table = connection.ops.quote_name(ListCount._meta.db_table)
                kept = f"SELECT count FROM {count_table} WHERE kind = %s"
                counted = f"SELECT COALESCE(({kept}), ({counted}))"
                counted_params = (statement.kept, *counted_params)
            cursor.execute(
                f"SELECT ({counted}), COUNT(page.page_id), COUNT(doc.body), "
                f"string_agg(doc.body, ',' ORDER BY page.pos) FROM {joined}",
                (*counted_params, *params),
            )
            count, rows, found, results = cursor.fetchone()
            if rows != found:
                return None
            return Page(count, (results or "").encode())
        cursor.execute(
            f"SELECT ({counted}), 0, 0 UNION ALL "
            f"SELECT doc.body, page.pos, 1 FROM {joined} ORDER BY 3, 2",
            (*statement.counted_params, *params),
        )
        (count, _, _), *bodies = cursor.fetchall()
    if any(body is None for body, _, _ in bodies):
        return None
    return Page(count, ",".join(body for body, _, _ in bodies).encode())


def read_order(statement: PageStatement) -> list[int] | None:
    """Every id of the rows, in their order (for `api.read_cache` to keep); None when the
    statement cannot give them alone (DISTINCT rows)."""
    if statement.ordered is None:
        return None
    with connection.cursor() as cursor:
        cursor.execute(statement.ordered, statement.ordered_params)
        return [pk for (pk,) in cursor.fetchall()]


def read_documents(ids: list[int], *, kind: str, zone: str) -> bytes | None:
    """The documents of these ids, in this order, joined by commas, in one statement; None when
    one has no stored document in `zone`."""
    if not ids:
        return b""
    document = connection.ops.quote_name(Document._meta.db_table)
    where = "doc.kind = %s AND doc.zone = %s"
    with prepared_cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT COUNT(doc.body), string_agg(doc.body, ',' ORDER BY page.pos) "
                "FROM unnest(%s::bigint[]) WITH ORDINALITY AS page(page_id, pos) "
                f"LEFT JOIN {document} AS doc ON {where} AND doc.object_id = page.page_id",
                (ids, kind, zone),
            )
            found, results = cursor.fetchone()
            return results.encode() if found == len(ids) else None
        marks = ", ".join(["%s"] * len(ids))
        cursor.execute(
            f"SELECT doc.object_id, doc.body FROM {document} AS doc "
            f"WHERE {where} AND doc.object_id IN ({marks})",
            (kind, zone, *ids),
        )
        bodies = dict(cursor.fetchall())
    if len(bodies) != len(set(ids)):
        return None
    return ",".join(bodies[pk] for pk in ids).encode()


def page_links(url: str, *, count: int, limit: int, offset: int) -> tuple[str | None, str | None]:
    """The envelope's `next` and `previous` URLs of the page at `offset` of `url`: what DRF's
    `LimitOffsetPagination` writes with `replace_query_param` / `remove_query_param`, with the
    query parsed once instead of four times (a sorted re-encoding is the same after one pass
    or two)."""
    scheme, netloc, path, query, fragment = parse.urlsplit(url)
    params = parse.parse_qs(query, keep_blank_values=True)
    params["limit"] = [str(limit)]

    def with_offset(value: int | None) -> str:
        shown = {k: v for k, v in params.items() if k != "offset"}
        if value is not None:
            shown["offset"] = [str(value)]
        encoded = parse.urlencode(sorted(shown.items()), doseq=True)
        return parse.urlunsplit((scheme, netloc, path, encoded, fragment))

    following = None if offset + limit >= count else with_offset(offset + limit)
    if offset <= 0:
        return following, None
    return following, with_offset(offset - limit if offset - limit > 0 else None)


def count_differences(models: dict[str, type[Model]]) -> Iterator[str]:
    """One line per kept list count (`ListCount`) that is not its table's row count, for
    `manage.py check_documents`; `models`: kind -> model."""
    for kept in ListCount.objects.filter(kind__in=list(models)).order_by("kind"):
        rows = models[kept.kind]._default_manager.count()
        if kept.count != rows:
            yield f"{kept.kind} list count: kept {kept.count}, rows {rows}"


def recount(models: dict[str, type[Model]]) -> None:
    """Set every kept list count to its table's row count: the count's row locked first, so a
    writer's trigger waits, then the rows counted by a statement of their own, which sees every
    write committed before the lock."""
    for kind, model in models.items():
        with transaction.atomic():
            kept = ListCount.objects.select_for_update().filter(kind=kind).first()
            if kept is not None:
                kept.count = model._default_manager.count()
                kept.save(update_fields=["count"])
