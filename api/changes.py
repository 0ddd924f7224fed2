"""`?changed_since=<ISO 8601>` on the package, grid and category lists (API v4): the resources
whose stored document changed since then, oldest change first, for clients that sync.

Pages are walked by keyset on (the document's `changed_at`, id): `next` carries `after=` the
last one's, so a resource changed while a client walks moves to the end of the walk (it is
neither skipped nor served twice from where it was). `changed_at` moves only when a document's
bytes change (api/documents.py). Answered from the stored documents for any client (tokens and
sessions are counted by the throttles as usual), in JSON: `{"next": url|null, "results": [...]}`.
"""

from datetime import UTC, datetime

import orjson
from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import HttpRequest, JsonResponse
from django.utils.dateparse import parse_datetime
from rest_framework.exceptions import ValidationError
from rest_framework.settings import api_settings
from rest_framework.utils.urls import replace_query_param

from api.pagination import parse_count
from api.stored import Document

SINCE, AFTER = "changed_since", "after"


def _moment(text: str, name: str) -> datetime:
    try:
        moment = parse_datetime(text.strip())
    except ValueError:
        moment = None
    if moment is None:
        raise ValidationError({name: [f"Must be an ISO 8601 date-time, not {text[:40]!r}."]})
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _cursor(text: str) -> tuple[datetime, int]:
    moment, _, pk = text.rpartition("_")
    if not pk.isascii() or not pk.isdigit() or len(pk) > 19:
        raise ValidationError({AFTER: ["Not a cursor this API gave: follow the `next` link."]})
    return _moment(moment, AFTER), int(pk)


def changed_page(request: HttpRequest, kind: str, rows: QuerySet) -> bytes | JsonResponse:
    """The page's body, or a 400 naming the parameter that cannot be read."""
    try:
        since = _moment(request.GET[SINCE], SINCE)
        after = _cursor(request.GET[AFTER]) if AFTER in request.GET else None
        limit = parse_count(
            request, "limit", default=0, minimum=0, maximum=settings.API_MAX_PAGE_SIZE
        )
    except ValidationError as error:
        return JsonResponse(error.detail, status=400)
    limit = limit or int(api_settings.PAGE_SIZE)  # type: ignore[arg-type]  # set in settings
    documents = Document.objects.filter(
        kind=kind, changed_at__gte=since, object_id__in=rows.order_by().values("pk")
    )
    if after is not None:
        at, pk = after
        documents = documents.filter(Q(changed_at__gt=at) | Q(changed_at=at, object_id__gt=pk))
    page = list(
        documents.order_by("changed_at", "object_id").values_list(
            "body", "changed_at", "object_id"
        )[: limit + 1]
    )
    next_url = None
    if len(page) > limit:
        page = page[:limit]
        _body, at, pk = page[-1]
        cursor = f"{at.astimezone(UTC).isoformat()}_{pk}"
        next_url = replace_query_param(request.build_absolute_uri(), AFTER, cursor)
        next_url = replace_query_param(next_url, "limit", limit)
    head = orjson.dumps({"next": next_url})
    results = ",".join(body for body, _at, _pk in page).encode()
    return b"".join((head[:-1], b',"results":[', results, b"]}"))
