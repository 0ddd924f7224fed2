"""The search statements on SQLite: FTS5 (porter stemmer) and the stored names' indexes.

A word matches when `package_search` / `grid_search` (packages.0011, grids.0005) holds it as a
prefix of a word's stem, or of the word as written (the `raw_*` columns). The FTS5 rowid of a
package is `stars * 2**32 + (2**32 - 1 - id)`: reading matches in descending rowid order reads
the most-starred first, so each tier's `limit` candidates are the first FTS5 finds, whatever the
number of matches. The exact and prefix tiers read the indexes of the generated name columns.
The tiers and their order are PostgreSQL's (`search.postgres`).
"""

import json
from collections.abc import Sequence
from typing import Any

from search import rows
from search.names import JOINED_PREFIX, LAST_CHARACTER, PLAIN_WORD, squash

Params = dict[str, Any]
# The package id in a package_search rowid.
PACKAGE_ID = "(4294967295 - ({rowid} & 4294967295))"
_NAMES = "{names raw_names}"


def fts_query(words: Sequence[str], phrase: str, *, names: bool) -> str:
    """An FTS5 query every word must match as a prefix (of its stem or of itself), or that
    the words written together match (`djangorestframework`); `names`: title or slug only."""
    # Words are runs of letters and digits: nothing in them FTS5 reads as syntax.
    query = " AND ".join(f'"{word}"*' for word in words)
    joined = squash(phrase)
    if PLAIN_WORD.fullmatch(joined):
        together = [f"{JOINED_PREFIX}{joined}", *([joined] if len(words) > 1 else [])]
        query = " OR ".join([f"({query})", *(f'"{written}"*' for written in together)])
    return f"{_NAMES} : ({query})" if names else query


def search_packages(
    words: Sequence[str], phrase: str, *, limit: int, exclude: Sequence[int] = ()
) -> list[rows.Row]:
    """The best `limit` packages matching every word, not in `exclude` (one statement)."""
    params = _name_params(phrase, limit + len(exclude), exclude)
    params["names"] = fts_query(words, phrase, names=True)
    params["matched"] = fts_query(words, phrase, names=False)
    # One index range per name column and tier: an OR of them would fetch every row to sort.
    tiers = [
        f"SELECT id, {tier} AS tier FROM (SELECT id FROM packages_package WHERE {condition}"
        f" ORDER BY repo_watchers DESC, id LIMIT %(candidates)s)"
        for tier, column_conditions in _name_columns("packages_package")
        for condition in column_conditions
    ]
    tiers += [
        f"SELECT {PACKAGE_ID.format(rowid='rowid')}, {tier} FROM (SELECT rowid"
        f" FROM package_search WHERE package_search MATCH %({query})s"
        f" ORDER BY rowid DESC LIMIT %(candidates)s)"
        for tier, query in ((rows.TITLE_WORDS, "names"), (rows.ANY_WORDS, "matched"))
    ]
    sql = (
        f"SELECT {rows.PACKAGE_COLUMNS.format(weight='r.tier')} FROM"
        f" (SELECT id, max(tier) AS tier FROM ({' UNION ALL '.join(tiers)}) GROUP BY id) r"
        f" JOIN packages_package p ON p.id = r.id"
        f" JOIN categories_category c ON c.id = p.category_id"
        f" WHERE p.id NOT IN (SELECT value FROM json_each(%(exclude)s))"
        f" ORDER BY r.tier DESC, p.repo_watchers DESC, p.id LIMIT %(limit)s"
    )
    return rows.fetch_rows(sql, params, rows.PACKAGE_FIELDS)


def search_packages_and_grids(
    words: Sequence[str], phrase: str, *, limit: int
) -> tuple[list[rows.Row], list[rows.Row]]:
    """The best `limit` packages and the best `limit` grids matching every word (two
    statements: SQLite runs in the worker's process, so there is no round trip to save)."""
    return (
        search_packages(words, phrase, limit=limit),
        search_grids(words, phrase, limit=limit),
    )


def search_grids(words: Sequence[str], phrase: str, *, limit: int) -> list[rows.Row]:
    """The best `limit` grids matching every word (one statement; grids are few)."""
    params = _name_params(phrase, limit, ())
    params["names"] = fts_query(words, phrase, names=True)
    params["matched"] = fts_query(words, phrase, names=False)
    weight = " ".join(f"WHEN {sql} THEN {tier}" for tier, sql in _name_conditions("g"))
    weight = (
        f"CASE {weight} WHEN g.id IN (SELECT rowid FROM grid_search"
        f" WHERE grid_search MATCH %(names)s) THEN {rows.TITLE_WORDS} ELSE {rows.ANY_WORDS} END"
    )
    sql = (
        f"SELECT g.id, g.title, g.slug, g.description, {weight} AS weight, g.created, g.modified"
        f" FROM grids_grid g"
        f" WHERE g.id IN (SELECT rowid FROM grid_search WHERE grid_search MATCH %(matched)s)"
        f" ORDER BY weight DESC, g.title, g.id LIMIT %(limit)s"
    )
    return rows.fetch_rows(sql, params, rows.GRID_FIELDS)


def _name_conditions(t: str) -> list[tuple[int, str]]:
    """(weight, SQL condition) of the exact and prefix tiers over row `t`'s stored names."""
    return [
        (tier, " OR ".join(f"({condition})" for condition in conditions))
        for tier, conditions in _name_columns(t)
    ]


def _name_columns(t: str) -> list[tuple[int, list[str]]]:
    """(weight, [its condition on each name column]) of the exact and prefix tiers. A slug
    equal to the title is left to the title's condition: the slugs' indexes hold only those
    that differ (packages.0011)."""
    columns = [
        ("search_title", "phrase", ""),
        ("search_slug", "phrase", f" AND {t}.search_slug <> {t}.search_title"),
        ("search_squashed_title", "squashed", ""),
        (
            "search_squashed_slug",
            "squashed",
            f" AND {t}.search_squashed_slug <> {t}.search_squashed_title",
        ),
    ]
    exact = [f"{t}.{column} = %({value})s{twin}" for column, value, twin in columns]
    prefix = [
        f"{t}.{column} >= %({value})s AND {t}.{column} < %({value}_end)s{twin}"
        for column, value, twin in columns
    ]
    return [(rows.EXACT, exact), (rows.PREFIX, prefix)]


def _name_params(phrase: str, candidates: int, exclude: Sequence[int]) -> Params:
    squashed = squash(phrase)
    return {
        "phrase": phrase,
        "phrase_end": phrase + LAST_CHARACTER,
        "squashed": squashed,
        "squashed_end": squashed + LAST_CHARACTER,
        "limit": candidates - len(exclude),
        "candidates": candidates,
        "exclude": json.dumps(list(exclude)),
    }


def partial_packages(
    words: Sequence[str], *, limit: int, exclude: Sequence[int], pool: int
) -> list[rows.Row]:
    """Packages matching some of `words`, those matching the most (in their names counting
    twice) first, then by stars: of the `pool` most-starred packages matching each word."""
    params: Params = {"limit": limit, "exclude": json.dumps(list(exclude)), "pool": pool}
    candidates, coverage = [], []
    for i, word in enumerate(words):
        params[f"a{i}"] = f'"{word}"*'
        params[f"b{i}"] = f'{_NAMES} : "{word}"*'
        candidates.append(
            f"SELECT rowid AS key FROM (SELECT rowid FROM package_search"
            f" WHERE package_search MATCH %(a{i})s ORDER BY rowid DESC LIMIT %(pool)s)"
        )
        coverage += [
            f"(SELECT count(*) FROM package_search s WHERE s.package_search MATCH %({key}{i})s"
            f" AND s.rowid = pool.key)"
            for key in ("a", "b")
        ]
    sql = (
        f"SELECT {rows.PACKAGE_COLUMNS.format(weight=rows.FUZZY)} FROM"
        f" (SELECT key, {' + '.join(coverage)} AS coverage"
        f" FROM ({' UNION '.join(candidates)}) pool) r"
        f" JOIN packages_package p ON p.id = {PACKAGE_ID.format(rowid='r.key')}"
        f" JOIN categories_category c ON c.id = p.category_id"
        f" WHERE p.id NOT IN (SELECT value FROM json_each(%(exclude)s))"
        f" ORDER BY r.coverage DESC, p.repo_watchers DESC, p.id LIMIT %(limit)s"
    )
    return rows.fetch_rows(sql, params, rows.PACKAGE_FIELDS)
