"""The v4 search hit as djangopackages.org serves it, built from what `grids.search` returns."""

import re

from rest_framework.request import Request
from rest_framework.reverse import reverse

from api.site_paths import site_path
from grids.search import EXACT, SearchHit

_NAME_PREFIX = re.compile(r"^django[-_]", re.IGNORECASE)
_TITLE_SEPARATORS = re.compile(r"[-_]")


def hit_fields(hit: SearchHit, request: Request) -> dict:
    """The fields of `SearchResultSerializer` for `hit` (grids: "" and 0, never null)."""
    return {
        "description": hit.description,
        "title": hit.title,
        "title_no_prefix": _NAME_PREFIX.sub("", hit.title),
        "slug_no_prefix": _NAME_PREFIX.sub("", hit.slug),
        "clean_title": _TITLE_SEPARATORS.sub(" ", hit.title.lower()),
        "absolute_url": site_path(hit.item_type, hit.slug),
        "created": hit.created,
        "modified": hit.modified,
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
        "last_committed": hit.last_committed,
        "last_released": hit.last_released,
        "id": hit.id,
        "url": reverse(f"{hit.item_type}-detail", kwargs={"pk": hit.id}, request=request),
    }
