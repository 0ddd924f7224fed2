"""The search statements on PostgreSQL: written SQL over the stored, indexed search columns.

Plain SQL rather than querysets because building and compiling the tiered statement through
the ORM cost several times what PostgreSQL takes to run it. The tiers are those of
`grids.search.ranking` (the portable querysets SQLite and the rare queries with pictographs
use); tests/api/test_search_postgres.py checks both rank alike.

Packages: `limit` candidates per tier (UNION ALL), each the most-starred rows found by that
tier's own index: btree `text_pattern_ops` on the normalized and squashed names (exact, prefix),
trigram GIN on " title slug" (every word starts a name word), and the document's GIN index or
the stars index walked until `limit` match (any words). Only those are weighed and sorted.
"""

import json

from django.db import connection

from grids.search.names import JOINED_PREFIX, is_one_edit_from, squash
from grids.search.ranking import ANY_WORDS, EXACT, FUZZY, PREFIX, TITLE_WORDS, tsquery

_GRID_DOCUMENT = (
    "(setweight(to_tsvector('simple'::regconfig, COALESCE({t}.title, '') || ' ' || "
    "COALESCE({t}.slug, '')), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, COALESCE({t}.description, '')), 'B'))"
)
_PACKAGE_COLUMNS = """p.id, p.title, p.slug, p.repo_description, c.title, p.repo_watchers,
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


def search_packages(words: list[str], phrase: str, *, limit: int) -> list[dict]:
    """The best `limit` packages for plain `words`, as `PACKAGE_FIELDS` dicts (one query)."""
    params = _params(words, phrase, limit)
    # An upper tier finds its rows by its own condition's indexes, then tests the match on
    # those only: no BitmapAnd with the document's GIN index (dearer than all the rest), and
    # inside CASE so that PostgreSQL, which orders a row's tests by their estimated costs,
    # never tests the document before the (cheaper, more selective) names.
    tiers = [
        f"(SELECT t.id FROM packages_package t WHERE {condition}"
        f" AND CASE WHEN {condition} THEN {_matched('t', False)} ELSE false END"
        f" ORDER BY t.repo_watchers DESC, t.title, t.id LIMIT %(limit)s)"
        for _weight, condition in _tier_conditions("t", len(words))
    ]
    tiers.append(
        f"(SELECT t.id FROM packages_package t WHERE {_matched('t', True)}"
        f" ORDER BY t.repo_watchers DESC, t.title, t.id LIMIT %(limit)s)"
    )
    sql = (
        f"SELECT {_PACKAGE_COLUMNS.format(weight=_weight('p', len(words)))}"
        f" FROM packages_package p JOIN categories_category c ON c.id = p.category_id"
        f" WHERE p.id IN ({' UNION ALL '.join(tiers)})"
        f" ORDER BY 10 DESC, p.repo_watchers DESC, p.title, p.id LIMIT %(limit)s"
    )
    return _rows(sql, params, PACKAGE_FIELDS)


def misspelled_packages(words: list[str], *, exclude: list[int], limit: int) -> list[dict]:
    """Packages whose names hold a near spelling of every query word, by stars (one query).

    A word is near when pg_trgm finds most of its trigrams in one stretch of the names
    (`word <% search_words`: word similarity at least 0.6, by the trigram GIN index), or it is
    one edit from `django`, which nearly every name holds and whose swapped letters trigrams
    do not forgive (`djnago` keeps 2 of 7): `djnago widget` finds django-widget-tweaks. A query
    of `django`-like words alone finds nothing here (that would be the whole catalogue).
    """
    words = [word for word in words if not is_one_edit_from(word, JOINED_PREFIX)]
    if not words:
        return []
    near = " AND ".join(f"%(near{i})s <%% p.search_words" for i in range(len(words)))
    params = {f"near{i}": word for i, word in enumerate(words)}
    sql = (
        f"SELECT {_PACKAGE_COLUMNS.format(weight=FUZZY)}"
        f" FROM packages_package p JOIN categories_category c ON c.id = p.category_id"
        f" WHERE {near} AND NOT p.id = ANY(%(exclude)s)"
        f" ORDER BY p.repo_watchers DESC, p.title, p.id LIMIT %(limit)s"
    )
    return _rows(sql, {**params, "exclude": exclude, "limit": limit}, PACKAGE_FIELDS)


def search_grids(words: list[str], phrase: str, *, limit: int) -> list[dict]:
    """The best `limit` grids for plain `words`, as `GRID_FIELDS` dicts (one query, few rows)."""
    sql = (
        f"SELECT g.id, g.title, g.slug, g.description, {_weight('g', len(words))},"
        f" g.created, g.modified FROM grids_grid g"
        f" WHERE {_GRID_DOCUMENT.format(t='g')} @@ to_tsquery('simple', %(tsquery)s)"
        f" ORDER BY 5 DESC, g.title, g.id LIMIT %(limit)s"
    )
    return _rows(sql, _params(words, phrase, limit), GRID_FIELDS)


def _tier_conditions(t, word_count):
    """(weight, SQL condition) of the tiers above ANY_WORDS, as in `ranking._tier_conditions`."""
    exact = (
        f"({t}.search_title = %(phrase)s OR {t}.search_slug = %(phrase)s"
        f" OR {t}.search_squashed_title = %(squashed)s OR {t}.search_squashed_slug = %(squashed)s)"
    )
    prefix = (
        f"({t}.search_title LIKE %(phrase_prefix)s OR {t}.search_slug LIKE %(phrase_prefix)s"
        f" OR {t}.search_squashed_title LIKE %(squashed_prefix)s"
        f" OR {t}.search_squashed_slug LIKE %(squashed_prefix)s)"
    )
    # " title slug" holds " word" exactly when the word starts a word of the title or slug.
    words = " AND ".join(f"{t}.search_words LIKE %(word{i})s" for i in range(word_count))
    return [(EXACT, exact), (PREFIX, prefix), (TITLE_WORDS, f"({words})")]


def _weight(t, word_count):
    tiers = " ".join(f"WHEN {sql} THEN {weight}" for weight, sql in _tier_conditions(t, word_count))
    return f"CASE {tiers} ELSE {ANY_WORDS} END"


def _matched(t, indexed):
    # ts_match_vq is what `@@` calls: the same test, but never an index scan.
    query = "to_tsquery('simple', %(tsquery)s)"
    document = f"{t}.search_document"
    return f"{document} @@ {query}" if indexed else f"ts_match_vq({document}, {query})"


def _params(words, phrase, limit):
    squashed = squash(phrase)
    return {
        "phrase": phrase,
        "squashed": squashed,
        "phrase_prefix": _like_prefix(phrase),
        "squashed_prefix": _like_prefix(squashed),
        # Words are [^\W_]+: nothing in them for LIKE to read as a wildcard.
        **{f"word{i}": f"% {word}%" for i, word in enumerate(words)},
        "tsquery": tsquery(words, squashed),
        "limit": limit,
    }


def _like_prefix(text):
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _rows(sql, params, fields):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = [dict(zip(fields, row, strict=True)) for row in cursor.fetchall()]
    for row in rows:
        if isinstance(row.get("participants"), str):
            # Django has psycopg hand JSON over as text, for JSONField to decode.
            row["participants"] = json.loads(row["participants"])
    return rows
