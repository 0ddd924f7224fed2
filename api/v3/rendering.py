"""How API v3 writes JSON and errors, and its `meta` page: djangopackages.org's exact formats.

JSON uses `", "` and `": "` separators with non-ASCII escaped; datetimes are UTC with
milliseconds (`2010-08-15T08:27:56.834Z`, Django's JSON encoder); an error is
`{"error": <status>, "message": "..."}`. `limit`/`offset` that are not non-negative integers
fall back to their defaults instead of failing, as djangopackages.org's do.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet
from rest_framework import renderers
from rest_framework.request import Request
from rest_framework.response import Response

from api.exceptions import exception_handler

DEFAULT_LIMIT = 20


class V3JSONRenderer(renderers.BaseRenderer):
    media_type = "application/json"
    format = "json"
    charset = None  # ASCII only: every non-ASCII character is escaped

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        if data is None:
            return b""
        return json.dumps(data, cls=DjangoJSONEncoder, separators=(", ", ": ")).encode("ascii")


def v3_exception_handler(exc: Exception, context: dict) -> Response | None:
    """The project's error responses, reshaped as `{"error": status, "message": text}`."""
    response = exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(data, dict) and isinstance(data.get("detail"), str):
        message = data["detail"]
    else:
        message = json.dumps(data, ensure_ascii=False)
    response.data = {"error": response.status_code, "message": message}
    return response


def _count_parameter(request: Request, name: str, default: int) -> int:
    try:
        value = int(request.query_params.get(name, ""))
    except ValueError:
        return default
    return value if value >= 0 else default


@dataclass(frozen=True)
class Page:
    """One page of a v3 list: its `meta` and its rows."""

    meta: dict[str, Any]
    rows: list


def paginate(request: Request, queryset: QuerySet) -> Page:
    """The rows `limit`/`offset` ask for (limit at most `API_MAX_PAGE_SIZE`), with relative
    `next`/`previous` links that keep the other query parameters."""
    limit = min(_count_parameter(request, "limit", DEFAULT_LIMIT), settings.API_MAX_PAGE_SIZE)
    offset = _count_parameter(request, "offset", 0)
    total = queryset.count()
    rows = list(queryset[offset : offset + limit]) if limit and offset < total else []

    def link(to_offset: int) -> str:
        kept = [
            (name, value)
            for name, values in request.query_params.lists()
            if name not in {"limit", "offset"}
            for value in values
        ]
        query = urlencode([*kept, ("limit", limit), ("offset", to_offset)])
        return f"{request.path}?{query}"

    has_next = limit and offset + limit < total
    meta = {
        "limit": limit,
        "next": link(offset + limit) if has_next else None,
        "offset": offset,
        "previous": link(max(offset - limit, 0)) if limit and offset > 0 else None,
        "total_count": total,
    }
    return Page(meta=meta, rows=rows)
