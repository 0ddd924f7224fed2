"""Ranked text search over the catalogue: packages and grids, on PostgreSQL and SQLite alike.

Ranking, best first (the `weight` of a hit):

4. exact match of the whole query with the title or slug,
3. the title or slug starts with the query,
2. every query word starts a word of the title or slug,
1. every query word is found, some only in the description;
0. (PostgreSQL, packages) no strict match, but the name is like the query: a misspelling;

then stars (`repo_watchers`) break ties (title, then id, after them); misspelled hits come by
similarity first, then stars, and only when the strict tiers find fewer than `limit`. Names
and queries are compared "normalized": lower case, `-`, `_` and `.` read as spaces, and a
leading `django ` dropped, so "rest framework" is an exact match for `django-rest-framework`;
and "squashed" (normalized, spaces removed, a leading `django` dropped), so it is one for
`djangorestframework` too, and such a name is found by the joined words (`restframework`,
`djangorestframework` as prefixes). Normalization lives in `grids.search.names`, matching and
ranking in `grids.search.ranking`.

PostgreSQL matches with full-text search over a weighted vector (title and slug weight A,
description weight B). For packages it, the normalized and squashed names and the names'
words are stored, generated columns (migrations `packages.0002`, whose SQL stays frozen, and
`packages.0008`) with GIN, btree (`text_pattern_ops`) and trigram indexes: the database
computes them on every write, so they cannot drift. A search first takes, per tier, the
`limit` most-starred rows meeting it (index scans, one UNION ALL statement), and ranks only
those: a word nearly every package has costs no more than a rare one. When that finds fewer
than `limit` packages, a second statement adds those whose names are like the query by pg_trgm
`word_similarity` (`djnago widget` finds django-widget-tweaks). Grids, a few hundred rows, use a
GIN expression index (`grids.0002`) and are ranked whole. SQLite falls back to substring
matching with the same tiers, and has no misspelling tier.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import F, OuterRef, Subquery

from grids.models import Grid
from grids.search import postgres
from grids.search.names import (
    MAX_QUERY_CHARS,
    MAX_QUERY_WORDS,
    PLAIN_WORD,
    normalize_query,
    query_words,
    squash_query,
    validate_query,
)
from grids.search.ranking import (
    ANY_WORDS,
    EXACT,
    FUZZY,
    PREFIX,
    TITLE_WORDS,
    matching,
    ranked,
    search_vector,
)
from packages.models import Package, Version

__all__ = [
    "ANY_WORDS",
    "DEFAULT_LIMIT",
    "EXACT",
    "FUZZY",
    "MAX_LIMIT",
    "MAX_QUERY_CHARS",
    "MAX_QUERY_WORDS",
    "PREFIX",
    "TITLE_WORDS",
    "SearchHit",
    "matching",
    "normalize_query",
    "query_words",
    "search",
    "search_vector",
    "squash_query",
    "validate_query",
]

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


@dataclass(frozen=True)
class SearchHit:
    item_type: str
    id: int
    title: str
    slug: str
    description: str
    category: str | None
    repo_watchers: int | None
    repo_forks: int | None
    last_committed: datetime | None
    last_released: datetime | None
    weight: int
    created: datetime
    modified: datetime
    score: int = 0
    pypi_downloads: int = 0
    participants: tuple[str, ...] = ()
    usage: int = 0


def search(text: str, *, limit: int = DEFAULT_LIMIT) -> list[SearchHit]:
    """Return at most `limit` hits over packages and grids, best first (at most 3 queries)."""
    words = query_words(text)
    if not words:
        return []
    limit = max(1, min(limit, MAX_LIMIT))
    phrase = normalize_query(text)
    misspelled = []
    if connection.vendor == "postgresql" and all(PLAIN_WORD.fullmatch(word) for word in words):
        packages = postgres.search_packages(words, phrase, limit=limit)
        if len(packages) < limit:
            exclude = [row["id"] for row in packages]
            misspelled = postgres.misspelled_packages(
                words, exclude=exclude, limit=limit - len(packages)
            )
        grids = postgres.search_grids(words, phrase, limit=limit)
    else:
        packages = ranked(
            Package.objects.with_usage_count().annotate(last_released=_last_release_time()),
            words,
            phrase,
            description_field="repo_description",
        )
        packages = packages.order_by("-weight", "-repo_watchers", "title", "id")
        packages = packages.values(*postgres.PACKAGE_FIELDS)[:limit]
        grids = ranked(Grid.objects.all(), words, phrase, description_field="description")
        grids = grids.order_by("-weight", "title", "id").values(*postgres.GRID_FIELDS)[:limit]
    hits = [_package_hit(row) for row in packages] + [_grid_hit(row) for row in grids]
    hits.sort(key=lambda hit: (-hit.weight, -(hit.repo_watchers or 0), hit.title.lower(), hit.id))
    # Misspelled hits (weight 0) rank below every strict one, in the order queried.
    return (hits + [_package_hit(row) for row in misspelled])[:limit]


def _package_hit(row):
    return SearchHit(
        item_type="package",
        id=row["id"],
        title=row["title"],
        slug=row["slug"],
        description=row["repo_description"],
        category=row["category__title"],
        repo_watchers=row["repo_watchers"],
        repo_forks=row["repo_forks"],
        last_committed=row["last_updated"],
        last_released=row["last_released"],
        weight=row["weight"],
        created=row["created"],
        modified=row["modified"],
        score=row["score"],
        pypi_downloads=row["pypi_downloads"],
        participants=tuple(row["participants"] or ()),
        usage=row["usage_count"],
    )


def _grid_hit(row):
    return SearchHit(
        item_type="grid",
        id=row["id"],
        title=row["title"],
        slug=row["slug"],
        description=row["description"],
        category=None,
        repo_watchers=None,
        repo_forks=None,
        last_committed=None,
        last_released=None,
        weight=row["weight"],
        created=row["created"],
        modified=row["modified"],
    )


def _last_release_time():
    newest = (
        Version.objects.filter(package=OuterRef("pk"), is_yanked=False)
        .order_by(F("upload_time").desc(nulls_last=True))
        .values("upload_time")[:1]
    )
    return Subquery(newest)
