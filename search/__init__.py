"""Ranked text search over the catalogue: packages and grids, on PostgreSQL and SQLite alike.

Any text is a query. `search.terms` picks the words it matches on (stop words and words
about asking dropped, at most `MAX_TERMS`); a word matches a word of the title, slug,
description, category or a contributor's login by its word forms (`cache` finds "Caching"),
as a prefix (`widg` finds "widget"). Ranking, best first (the `weight` of a hit):

4. the whole query is the title or slug,
3. the title or slug starts with the query,
2. every word is found in the title or slug,
1. every word is found, some elsewhere (description, category, contributors);
0. what follows when those find fewer than `limit`: for a question (more than
   `QUESTION_WORDS` words), packages matching some of its words, the most first; for any
   other query, the hits of its near spelling (`search.spelling`: `djnago filter` is
   searched as `django filter`), each list in its own order.

Stars (`repo_watchers`) break ties, then the oldest (lowest id) first; grids, which have no
stars, by title. Names and queries are compared "normalized": lower case, `-`, `_` and `.` read
as spaces, and a leading `django ` dropped, so "rest framework" is an exact match for
`django-rest-framework`; and "squashed" (normalized, spaces removed, a leading `django`
dropped), so it is one for `djangorestframework` too, and such a name is found by the joined
words (`restframework`, `djangorestframework` as prefixes).

The statements: `search.postgres` (english and simple full-text search over a stored
tsvector, GIN indexes) and `search.sqlite` (FTS5 with the porter stemmer); both take, per
tier, the `limit` most-starred rows meeting it from that tier's own index and rank only those,
so a word nearly every package has costs no more than a rare one. A query with a pictograph
(which neither database's word splitter keeps) is matched by substring, with the same tiers
(`search.ranking`, which also filters the list endpoints' `q`).
"""

from dataclasses import dataclass
from datetime import datetime
from types import ModuleType

from django.db import connection
from django.db.models import F, OuterRef, Subquery

from grids.models import Grid
from packages.models import Package, Version
from search import postgres, spelling, sqlite
from search.names import PLAIN_WORD, normalize_query, query_words, squash_query
from search.ranking import matching, ranked
from search.rows import (
    ANY_WORDS,
    EXACT,
    FUZZY,
    GRID_FIELDS,
    PACKAGE_FIELDS,
    PREFIX,
    TITLE_WORDS,
    Row,
)
from search.terms import MAX_TERMS, QUESTION_WORDS, Terms, choose_terms, header_value

__all__ = [
    "ANY_WORDS",
    "DEFAULT_LIMIT",
    "EXACT",
    "FUZZY",
    "Found",
    "MAX_LIMIT",
    "MAX_TERMS",
    "PREFIX",
    "QUESTION_WORDS",
    "TITLE_WORDS",
    "SearchHit",
    "Terms",
    "choose_terms",
    "find",
    "header_value",
    "matching",
    "normalize_query",
    "query_words",
    "search",
    "squash_query",
]

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
PARTIAL_POOL = 50  # a question's candidates per word


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


@dataclass(frozen=True)
class Found:
    """A search's hits, best first, and the terms it matched on (`X-Search-Terms`)."""

    hits: list[SearchHit]
    terms: Terms


def search(text: str, *, limit: int = DEFAULT_LIMIT) -> list[SearchHit]:
    """At most `limit` hits over packages and grids, best first (see `find`)."""
    return find(text, limit=limit).hits


def find(text: str, *, limit: int = DEFAULT_LIMIT) -> Found:
    """At most `limit` hits over packages and grids, best first, in their ranked order (one
    statement on PostgreSQL, two on SQLite; one or two more when fewer than `limit` match
    every word, and one to choose a long question's terms)."""
    terms = choose_terms(text)
    if terms.capped:
        terms = choose_terms(text, spelling.name_counts(terms.capped))
    if not terms:
        return Found([], terms)
    limit = max(1, min(limit, MAX_LIMIT))
    words = list(terms.words)
    if not all(PLAIN_WORD.fullmatch(word) for word in words):
        packages, grids = _by_substring(words, terms.phrase, limit)
        return Found(_merged(packages, grids)[:limit], terms)
    engine = _engine()
    packages, grids = engine.search_packages_and_grids(words, terms.phrase, limit=limit)
    hits = _merged(packages, grids)[:limit]
    if len(hits) < limit:
        found = [row["id"] for row in packages]
        more = _more_packages(engine, terms, limit=limit - len(hits), exclude=found)
        hits += [_package_hit({**row, "weight": FUZZY}) for row in more]
    return Found(hits, terms)


def _engine() -> ModuleType:
    return postgres if connection.vendor == "postgresql" else sqlite


def _more_packages(engine: ModuleType, terms: Terms, *, limit: int, exclude: list[int]) -> list:
    """Below every strict hit: a question's partial matches, or a near spelling's hits."""
    words = list(terms.words)
    if terms.is_question:
        if len(words) < 2:
            return []
        return engine.partial_packages(words, limit=limit, exclude=exclude, pool=PARTIAL_POOL)
    corrected = spelling.correct(words)
    if corrected == words:
        return []
    spelled = dict(zip(words, corrected, strict=True))
    phrase = normalize_query(" ".join(spelled.get(w, w) for w in query_words(terms.phrase)))
    return engine.search_packages(corrected, phrase, limit=limit, exclude=exclude)


def _merged(packages: list[Row], grids: list[Row]) -> list[SearchHit]:
    """Packages and grids in one list: by weight, then stars (each list keeps its order)."""
    hits = [_package_hit(row) for row in packages] + [_grid_hit(row) for row in grids]
    hits.sort(key=lambda hit: (-hit.weight, -(hit.repo_watchers or 0)))
    return hits


def _by_substring(words: list[str], phrase: str, limit: int) -> tuple[list[Row], list[Row]]:
    """The portable querysets, for queries with words neither word splitter keeps."""
    packages = ranked(
        Package.objects.with_usage_count().annotate(last_released=_last_release_time()),
        words,
        phrase,
        description_field="repo_description",
    )
    packages = packages.order_by("-weight", "-repo_watchers", "id")
    grids = ranked(Grid.objects.all(), words, phrase, description_field="description")
    grids = grids.order_by("-weight", "title", "id")
    return (
        list(packages.values(*PACKAGE_FIELDS)[:limit]),
        list(grids.values(*GRID_FIELDS)[:limit]),
    )


def _package_hit(row: Row) -> SearchHit:
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


def _grid_hit(row: Row) -> SearchHit:
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


def _last_release_time() -> Subquery:
    newest = (
        Version.objects.filter(package=OuterRef("pk"), is_yanked=False)
        .order_by(F("upload_time").desc(nulls_last=True))
        .values("upload_time")[:1]
    )
    return Subquery(newest)
