"""Anonymous JSON reads of packages, grids and categories (API v4), answered from their stored
documents (api/documents.py) by a plain Django view: no DRF dispatch, no serializer.

`documents_first(patterns)` puts `DocumentRead` in front of the router's list and detail views.
A plain anonymous JSON GET or HEAD (no token, no session cookie, `Accept` JSON or absent, no
`format`) is answered here; anything else, or anything this path cannot answer exactly as DRF
would (a bad filter or page number, an unknown id, a missing document), goes on to the DRF
viewset, which answers it (the 400s and 404s come from one place). The throttles are counted
once, by whichever answers.

- detail: one indexed query returns the document's bytes;
- list: one statement returns the count and the page's documents in order (api/list_pages.py);
- both: links completed with the request's scheme and host (`documents.complete`), an ETag of
  the body, 304 on a matching `If-None-Match`, `Last-Modified` on a detail;
- a detail's or plain list page's answer is kept in this process (api/read_cache.py) until
  a document changes: asked again, `KeptReadMiddleware` gives it before URL resolution, with no
  query.
"""

from collections.abc import Callable
from datetime import UTC
from typing import Any

import orjson
from django.conf import settings
from django.db import connection
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseNotModified
from django.urls import URLPattern
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.http import http_date
from rest_framework.exceptions import ValidationError
from rest_framework.settings import api_settings

from api import changes, documents
from api.conditional import etag, matches
from api.list_pages import (
    Page,
    PageStatement,
    page_links,
    page_statement,
    read_documents,
    read_order,
    read_page,
)
from api.list_params import names_a_filter
from api.lookups import id_or_slug
from api.middleware import V4_PREFIX
from api.pagination import parse_count
from api.read_cache import Answer, ReadCache, cache_key, read_cache
from api.stored import Document
from api.throttling import check_request
from common.postgresql.prepared import prepared_cursor

JSON = "application/json"
# Accept headers DRF answers with its JSON renderer.
_JSON_ACCEPTS = {None, "", "*/*", JSON}
# The only query parameters of a list page whose answer is kept (`DocumentRead.keeps`).
PAGE_PARAMETERS = frozenset({"limit", "offset"})
# The router's view names this path answers, and the kind of document each serves.
KINDS = {"package": documents.PACKAGE, "grid": documents.GRID, "category": documents.CATEGORY}

View = Callable[..., HttpResponseBase]


def is_plain_anonymous_json(request: HttpRequest) -> bool:
    """A GET/HEAD from an anonymous client that DRF would answer with plain JSON (read off the
    request's headers: this runs on every read)."""
    meta = request.META
    return (
        request.method in {"GET", "HEAD"}
        and "HTTP_AUTHORIZATION" not in meta
        and meta.get("HTTP_ACCEPT") in _JSON_ACCEPTS
        and not ("HTTP_COOKIE" in meta and settings.SESSION_COOKIE_NAME in request.COOKIES)
        and not asks_for(request, "format")
    )


def asks_for(request: HttpRequest, name: str) -> bool:
    """Does the query string name `name`? Parsed only when its text could (most reads' query
    strings are an offset, or nothing)."""
    query = request.META.get("QUERY_STRING", "")
    if name not in query and "%" not in query:
        return False
    return name in request.GET


def _zone() -> str:
    """The time zone documents must be written in to be served (else DRF answers)."""
    return timezone.get_current_timezone_name()


class DocumentRead:
    """The list or detail view of one kind: stored documents first, else the DRF view."""

    def __init__(self, kind: str, drf_view: Any, *, detail: bool) -> None:
        self.kind, self.drf_view, self.detail = kind, drf_view, detail
        viewset = drf_view.cls
        self.model: type[Model] = viewset.queryset.model
        self.ordering = viewset.queryset.query.order_by
        self.filterset_class = viewset.filterset_class
        methods = {*drf_view.actions, "head", "options"}
        self.allow = ", ".join(m.upper() for m in viewset.http_method_names if m in methods)
        # What the middleware reads off a view: its class and actions (throttles, 405s).
        self.cls, self.actions, self.initkwargs = viewset, drf_view.actions, drf_view.initkwargs
        self.csrf_exempt = True
        self.plain_statement: PageStatement | None = None

    def __call__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if (
            not self.detail
            and asks_for(request, changes.SINCE)
            and request.method in {"GET", "HEAD"}
        ):
            return self.changes_answer(request)
        if "format" in kwargs or not is_plain_anonymous_json(request):
            return self.drf_view(request, *args, **kwargs)
        # A kept answer was served before URL resolution (`KeptReadMiddleware`): this one is
        # read from the documents, then kept.
        cache = read_cache()
        found = (
            self.detail_answer(request, kwargs["pk"])
            if self.detail
            else self.list_answer(request, cache)
        )
        if found is None:
            return self.drf_view(request, *args, **kwargs)
        answer = self.answer(request, *found)
        if cache is not None and self.keeps(request):
            cache.put(cache_key(request), answer)
        return respond(request, answer)

    def answer(self, request: HttpRequest, body: bytes, modified: Any) -> Answer:
        """The stored bytes, links completed with the request's scheme and host."""
        body = documents.complete(body, f"{request.scheme}://{request.get_host()}".encode())
        last_modified = None if modified is None else http_date(modified.timestamp())
        return Answer(body, etag(body), last_modified, self.allow)

    def changes_answer(self, request: HttpRequest) -> HttpResponseBase:
        """A `changed_since` page (api/changes.py), for any client."""
        rows = self.rows(request)
        if rows is None:
            return self.drf_view(request)  # the filter's 400, as DRF words it
        body = changes.changed_page(request, self.kind, rows)
        if not isinstance(body, bytes):
            return check_request(request) or body  # a 400 is counted too
        return respond(request, self.answer(request, body, None))

    def detail_answer(self, request: HttpRequest, segment: str) -> tuple[bytes, Any] | None:
        """The stored document the URL names, in one indexed query (plain SQL: building it with
        the ORM costs more than running it); None when there is none."""
        lookup = id_or_slug(segment)
        if lookup is None:
            return None
        by_pk = "pk" in lookup
        with prepared_cursor() as cursor:
            cursor.execute(
                self._detail_sql(by_pk),
                [self.kind, _zone(), lookup["pk"] if by_pk else lookup["slug"]],
            )
            found = cursor.fetchone()
        if found is None:
            return None
        body, modified = found
        if isinstance(modified, str):  # SQLite: the text Django stored, in UTC
            modified = parse_datetime(modified)
            if modified is not None and modified.tzinfo is None:
                modified = modified.replace(tzinfo=UTC)
        return body.encode(), modified

    def _detail_sql(self, by_pk: bool) -> str:
        quote = connection.ops.quote_name
        document, rows = quote(Document._meta.db_table), quote(self.model._meta.db_table)
        where = f"{document}.kind = %s AND {document}.zone = %s AND "
        if by_pk:
            return f"SELECT body, modified FROM {document} WHERE {where}{document}.object_id = %s"
        return (
            f"SELECT {document}.body, {document}.modified FROM {document} INNER JOIN {rows} "
            f"ON {rows}.id = {document}.object_id WHERE {where}{rows}.slug = %s"
        )

    def rows(self, request: HttpRequest) -> QuerySet[Any] | None:
        """The rows the list shows, filtered and ordered as DRF's FilterSet would; None when a
        filter refuses its value (DRF answers the 400)."""
        rows = self.model._default_manager.order_by(*self.ordering)
        if not self.is_filtered(request):
            return rows
        filterset = self.filterset_class(request.GET, queryset=rows, request=request)
        return filterset.qs if filterset.is_valid() else None

    def keeps(self, request: HttpRequest) -> bool:
        """Is this answer kept? A detail asked with no query string, a list page with only
        `limit` and `offset`. A filtered list is not: a filter may read what no document holds.
        Nor is a URL with any other parameter (a cache buster, a tracking tag): asked by no
        one else, it would only push out what others ask."""
        if not request.META.get("QUERY_STRING"):
            return True
        return not self.detail and all(name in PAGE_PARAMETERS for name in request.GET)

    def is_filtered(self, request: HttpRequest) -> bool:
        """Does a query parameter name one of the list's filters?"""
        return any(names_a_filter(self.filterset_class, name) for name in request.GET)

    def statement(self, request: HttpRequest) -> tuple[bool, PageStatement | None]:
        """Whether the filters accept their values, and the list's page statement
        (`api.list_pages`): compiled once for the unfiltered list, per request when filtered."""
        if not self.is_filtered(request):
            if self.plain_statement is None:
                rows = self.model._default_manager.order_by(*self.ordering)
                self.plain_statement = page_statement(rows, kept=self.kind)
            return True, self.plain_statement
        filtered = self.rows(request)
        return (False, None) if filtered is None else (True, page_statement(filtered))

    def list_answer(
        self, request: HttpRequest, cache: ReadCache | None = None
    ) -> tuple[bytes, None] | None:
        """The list page: its count and documents in order, in one statement (where `cache`
        keeps the unfiltered list's order: its slice's documents)."""
        accepted, statement = self.statement(request)
        if not accepted:
            return None
        try:
            limit = parse_count(
                request, "limit", default=0, minimum=0, maximum=settings.API_MAX_PAGE_SIZE
            )
            offset = parse_count(request, "offset", default=0, minimum=0)
        except ValidationError:
            return None
        limit = limit or int(api_settings.PAGE_SIZE)  # type: ignore[arg-type]  # set in settings
        order = None
        if cache is not None and statement is not None and statement.kept is not None:
            order = cache.kept_order(self.kind, lambda: read_order(statement))
        page: Page | None
        if order is not None:
            ids = list(order[offset : offset + limit])
            results = read_documents(ids, kind=self.kind, zone=_zone())
            page = None if results is None else Page(len(order), results)
        else:
            page = read_page(statement, kind=self.kind, zone=_zone(), limit=limit, offset=offset)
        if page is None:
            return None
        following, previous = page_links(
            request.build_absolute_uri(), count=page.count, limit=limit, offset=offset
        )
        head = orjson.dumps({"count": page.count, "next": following, "previous": previous})
        return b"".join((head[:-1], b',"results":[', page.results, b"]}")), None


def respond(request: HttpRequest, answer: Answer) -> HttpResponseBase:
    """The answer as the response, once the throttles allow it."""
    refused = check_request(request)
    if refused is not None:
        return refused
    response: HttpResponse
    if matches(request, answer.etag):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(answer.body, content_type=JSON)
    response["ETag"] = answer.etag
    if answer.last_modified is not None:
        response["Last-Modified"] = answer.last_modified
    response["Vary"] = "Accept"
    response["Allow"] = answer.allow
    return response


class KeptReadMiddleware:
    """Innermost: an API v4 read this process answered before, and kept (api/read_cache.py),
    is answered again before URL resolution while the documents have not changed. The outer
    middleware still run (throttles and their headers, security headers), so the response is
    the one the view gave."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        cache = read_cache()
        if (
            cache is not None
            and request.path.startswith(V4_PREFIX)
            and is_plain_anonymous_json(request)
        ):
            answer = cache.get(cache_key(request))
            if answer is not None:
                return respond(request, answer)
        return self.get_response(request)


def documents_first(patterns: list[Any]) -> list[Any]:
    """The router's URL patterns with the package, grid and category list and detail views
    (not their `.json` forms, which DRF answers) behind `DocumentRead`."""
    served = []
    for pattern in patterns:
        kind, _, action = (getattr(pattern, "name", "") or "").rpartition("-")
        if kind in KINDS and action in {"list", "detail"} and "format" not in str(pattern.pattern):
            view = DocumentRead(KINDS[kind], pattern.callback, detail=action == "detail")
            pattern = URLPattern(pattern.pattern, view, pattern.default_args, pattern.name)
        served.append(pattern)
    return served
