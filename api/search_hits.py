"""The v4 search as djangopackages.org serves it: what a request asks (`asked_search`), the
search it runs (`SearchAsked.run`), and the hit's JSON, built from what `search` returns.

Both views that answer a search (DRF's `SearchViewSet` and the plain `api.search_read.SearchRead`)
take these steps from here, so they cannot drift apart.

`hits_fields` gives the JSON-ready bodies of the hits, exactly what `SearchResultSerializer` (the
schema's description) would: the serializer's pass over every field of every hit cost more than
the search itself, so the view renders these dicts directly (tests/api/test_search.py holds the
whole body).
"""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.http import HttpRequest
from django.utils import timezone
from rest_framework.fields import DateTimeField
from rest_framework.request import Request
from rest_framework.reverse import reverse

import search
from api.pagination import parse_count
from api.readiness_filters import declared_params, keep_declaring_hits
from api.site_paths import site_path_start
from search import EXACT, SearchHit, Terms

_NAME_PREFIX = re.compile(r"^django[-_]", re.IGNORECASE)
_TITLE_SEPARATORS = re.compile(r"[-_]")
_DATETIME = DateTimeField()
_ZERO = timedelta(0)
_PK = 9_876_543_210_123  # an id no URL holds otherwise, for `hits_fields` to split at


@dataclass(frozen=True)
class SearchAsked:
    """A valid search request: its text, how many hits, and the readiness it asks for."""

    text: str
    limit: int
    declared: dict[str, str]  # ?python= / ?django=, as `declared_params` reads them

    def run(self, request: Request | HttpRequest) -> tuple[list[dict], Terms]:
        """The hits' JSON-ready bodies, best first, and the terms searched for."""
        wide = search.MAX_LIMIT if self.declared else self.limit  # room for what is dropped
        found = search.find(self.text, limit=wide)
        kept = keep_declaring_hits(found.hits, self.declared, self.limit)
        return hits_fields(kept, request), found.terms


def asked_search(request: Request | HttpRequest) -> SearchAsked:
    """What the request asks; a bad `limit`, `python` or `django` is a ValidationError (400)."""
    params = request.query_params if isinstance(request, Request) else request.GET
    limit = parse_count(
        request, "limit", default=search.DEFAULT_LIMIT, minimum=1, maximum=search.MAX_LIMIT
    )
    return SearchAsked(params.get("q", ""), limit, declared_params(params))


@dataclass(frozen=True)
class _Rendering:
    """What every hit of one response shares, worked out once: its item type's API URL split
    around the id, its site path before the slug, whether times are shown in UTC."""

    url: list[str]
    site: str
    in_utc: bool

    def datetime(self, value: datetime | None) -> str | None:
        if value is None:
            return None
        if self.in_utc and value.utcoffset() == _ZERO:
            # What DateTimeField gives for a UTC time in UTC, without its time zone conversion
            # (most of a hit's rendering).
            return value.replace(tzinfo=None).isoformat() + "Z"
        return _DATETIME.to_representation(value)


def hits_fields(hits: list[SearchHit], request: Request | HttpRequest) -> list[dict]:
    """`hit_fields` of every hit; the API URLs reversed, the site path and time zone read once
    per item type, not once per hit."""
    in_utc = timezone.get_current_timezone_name() == "UTC"
    renderings = {}
    for item_type in {hit.item_type for hit in hits}:
        url = reverse(f"{item_type}-detail", kwargs={"pk": _PK}, request=request)
        renderings[item_type] = _Rendering(url.split(str(_PK)), site_path_start(item_type), in_utc)
    return [hit_fields(hit, renderings[hit.item_type]) for hit in hits]


def hit_fields(hit: SearchHit, rendering: _Rendering) -> dict:
    """`SearchResultSerializer`'s representation of `hit` (grids: "" and 0, never null), with
    what its response's hits share (`hits_fields`)."""
    return {
        "description": hit.description,
        "title": hit.title,
        "title_no_prefix": _NAME_PREFIX.sub("", hit.title),
        "slug_no_prefix": _NAME_PREFIX.sub("", hit.slug),
        "clean_title": _TITLE_SEPARATORS.sub(" ", hit.title.lower()),
        "absolute_url": f"{rendering.site}{hit.slug}/",
        "created": rendering.datetime(hit.created),
        "modified": rendering.datetime(hit.modified),
        "weight": hit.weight * 100 // EXACT,
        "item_type": hit.item_type,
        "slug": hit.slug,
        "category": hit.category or "",
        "repo_watchers": hit.repo_watchers or 0,
        "repo_forks": hit.repo_forks or 0,
        "pypi_downloads": hit.pypi_downloads,
        "score": hit.score,
        "usage": hit.usage,
        "participants": ",".join(hit.participants),
        "last_committed": rendering.datetime(hit.last_committed),
        "last_released": rendering.datetime(hit.last_released),
        "id": hit.id,
        "url": str(hit.id).join(rendering.url),
    }
