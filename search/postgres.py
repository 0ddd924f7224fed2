"""The search statements on PostgreSQL: written SQL over the stored, indexed search columns.

Plain SQL rather than querysets because building and compiling these statements through the ORM
cost several times what PostgreSQL takes to run them.

A word matches when `search_text` (packages.0011, grids.0005: the english and the simple
configuration of each field) holds it, or a word form of it, as a prefix. Packages: `limit`
candidates per tier (UNION ALL), each the most-starred rows found by that tier's own index:
btree `text_pattern_ops` on the normalized and squashed names (exact, prefix), `search_text`'s
GIN index restricted to weight A, the names (title words), or over every field (any words);
the word tiers test the most-starred rows first, and look at the GIN index once for both when
those fall short (`word_tiers`). Only those candidates are weighed and sorted: no statement
ranks every matching row.
"""

from collections.abc import Sequence
from typing import Any

from search import rows
from search.names import JOINED_PREFIX, PLAIN_WORD, squash
from search.terms import STOP_WORDS

Params = dict[str, Any]
_ORDER = "t.repo_watchers DESC, t.id"
FIRST_STARRED = 1000


def tsquery_sql(words: Sequence[str], phrase: str, params: Params, *, names: bool) -> str:
    """SQL of a tsquery every word must match (its english word forms or itself as written,
    each as a prefix), or that the words written together match (`djangorestframework`);
    `names`: in the title or slug only (weight A). Adds its values to `params`."""
    weight = "A" if names else ""
    key = "n" if names else "w"
    query = " && ".join(
        _word_query(word, f"{key}{i}", weight, params) for i, word in enumerate(words)
    )
    joined = squash(phrase)
    if PLAIN_WORD.fullmatch(joined):
        together = [f"{JOINED_PREFIX}{joined}", *([joined] if len(words) > 1 else [])]
        for i, written in enumerate(together):
            params[f"{key}j{i}"] = f"{written}:*{weight}"
            query = f"({query}) || to_tsquery('simple', %({key}j{i})s)"
    return f"({query})"


def search_packages(
    words: Sequence[str], phrase: str, *, limit: int, exclude: Sequence[int] = ()
) -> list[rows.Row]:
    """The best `limit` packages matching every word, not in `exclude` (one statement)."""
    params = _name_params(phrase, limit, exclude)
    matched = tsquery_sql(words, phrase, params, names=False)
    in_names = tsquery_sql(words, phrase, params, names=True)
    tiers = [
        # An upper tier finds its rows by its own condition's indexes, then tests the match on
        # those only: inside CASE, so that PostgreSQL, which orders a row's tests by their
        # estimated costs, never tests the document before the (cheaper) names.
        f"(SELECT t.id FROM packages_package t WHERE {condition}"
        f" AND CASE WHEN {condition} THEN ts_match_vq(t.search_text, {matched}) ELSE false END"
        f" AND NOT t.id = ANY(%(exclude)s) ORDER BY {_ORDER} LIMIT %(limit)s)"
        for _tier, condition in _name_conditions("t")
    ]
    tiers.append(word_tiers(in_names, matched))
    weight = _weight("p", in_names)
    return _packages_among(tiers, weight=weight, order="10 DESC", params=params)


def partial_packages(
    words: Sequence[str], *, limit: int, exclude: Sequence[int], pool: int
) -> list[rows.Row]:
    """Packages matching some of `words`, those matching the most (in their names counting
    twice) first, then by stars: of the `pool` most-starred packages matching each word."""
    params: Params = {"limit": limit, "exclude": list(exclude), "pool": pool}
    candidates, coverage = [], []
    for i, word in enumerate(words):
        any_field = _word_query(word, f"a{i}", "", params)
        in_names = _word_query(word, f"b{i}", "A", params)
        candidates.append(most_starred(f"t.search_text @@ {any_field}", "pool"))
        coverage.append(
            f"ts_match_vq(p.search_text, {any_field})::int"
            f" + ts_match_vq(p.search_text, {in_names})::int"
        )
    order = f"{' + '.join(coverage)} DESC"
    return _packages_among(candidates, weight=rows.FUZZY, order=order, params=params)


def _packages_among(
    candidates: Sequence[str], *, weight: str | int, order: str, params: Params
) -> list[rows.Row]:
    """The hit rows of the packages any of the `candidates` subqueries selects, weighed by
    `weight`, sorted by `order`, then stars and id; at most `%(limit)s`."""
    sql = (
        f"SELECT {rows.PACKAGE_COLUMNS.format(weight=weight)}"
        f" FROM packages_package p JOIN categories_category c ON c.id = p.category_id"
        f" WHERE p.id IN ({' UNION ALL '.join(candidates)})"
        f" ORDER BY {order}, p.repo_watchers DESC, p.id LIMIT %(limit)s"
    )
    return rows.fetch_rows(sql, params, rows.PACKAGE_FIELDS)


def most_starred(match: str, limit: str) -> str:
    """A subquery: the ids of the `%(limit)s` most-starred packages `t` where `match` holds,
    not in `%(exclude)s`.

    The planner cannot tell a word in nearly every row from one in none (a prefix's frequency
    is a guess), and guessing wrong costs a walk of the whole stars index or a sort of every
    match. So: first the `FIRST_STARRED` most-starred rows, in stars order, are tested (a
    common word fills the limit there, and they are the answer); only when that finds fewer,
    the index of the words finds every match (few, then) and those are sorted (`+ 0`: no
    walk of the stars index).
    """
    condition = f"{match} AND NOT t.id = ANY(%(exclude)s)"
    return (
        f"(WITH first AS MATERIALIZED ({_first_starred(condition, limit)})"
        f" SELECT id FROM first UNION ALL (SELECT t.id FROM packages_package t"
        f" WHERE {condition} AND (SELECT count(*) FROM first) < %({limit})s"
        f" ORDER BY t.repo_watchers + 0 DESC, t.id LIMIT %({limit})s))"
    )


def word_tiers(in_names: str, matched: str) -> str:
    """A subquery: the ids of the `%(limit)s` most-starred packages matching `in_names` and of
    those matching `matched`, as two `most_starred` would give them, but with one look at the
    words' index for both: a package matching in its names matches anywhere, so when either
    tier's most-starred rows fall short, every `matched` row is found once (the index's slow
    part for common prefixes) and the names tier is tested on those rows only."""
    excluded = "NOT t.id = ANY(%(exclude)s)"
    named_first = _first_starred(f"t.search_text @@ {in_names} AND {excluded}", "limit")
    matched_first = _first_starred(f"t.search_text @@ {matched} AND {excluded}", "limit")
    short = "(SELECT count(*) FROM {first}) < %(limit)s"
    return (
        f"(WITH named_first AS MATERIALIZED ({named_first}),"
        f" matched_first AS MATERIALIZED ({matched_first}),"
        f" found AS MATERIALIZED (SELECT t.id, t.repo_watchers,"
        f" ts_match_vq(t.search_text, {in_names}) AS named FROM packages_package t"
        f" WHERE t.search_text @@ {matched} AND {excluded})"
        f" SELECT id FROM named_first UNION ALL SELECT id FROM matched_first"
        f" UNION ALL (SELECT id FROM found WHERE named AND {short.format(first='named_first')}"
        f" ORDER BY repo_watchers DESC, id LIMIT %(limit)s)"
        f" UNION ALL (SELECT id FROM found WHERE {short.format(first='matched_first')}"
        f" ORDER BY repo_watchers DESC, id LIMIT %(limit)s))"
    )


def _first_starred(condition: str, limit: str) -> str:
    """The ids of the `%(limit)s` most-starred of the `FIRST_STARRED` most-starred packages `t`
    where `condition` holds."""
    return (
        f"SELECT t.id FROM (SELECT id, search_text, repo_watchers FROM packages_package"
        f" ORDER BY repo_watchers DESC, id LIMIT {FIRST_STARRED}) t"
        f" WHERE {condition} ORDER BY {_ORDER} LIMIT %({limit})s"
    )


def search_grids(words: Sequence[str], phrase: str, *, limit: int) -> list[rows.Row]:
    """The best `limit` grids matching every word (one statement; grids are few)."""
    params = _name_params(phrase, limit, ())
    matched = tsquery_sql(words, phrase, params, names=False)
    in_names = tsquery_sql(words, phrase, params, names=True)
    weight = _weight("g", in_names)
    sql = (
        f"SELECT g.id, g.title, g.slug, g.description, {weight}, g.created, g.modified"
        f" FROM grids_grid g WHERE g.search_text @@ {matched}"
        f" ORDER BY 5 DESC, g.title, g.id LIMIT %(limit)s"
    )
    return rows.fetch_rows(sql, params, rows.GRID_FIELDS)


def _word_query(word: str, key: str, weight: str, params: Params) -> str:
    """One word as a tsquery: its english word forms or itself, as a prefix, in `weight`."""
    params[key] = f"{word}:*{weight}"
    simple = f"to_tsquery('simple', %({key})s)"
    if word in STOP_WORDS:
        # The english configuration drops stop words: to_tsquery would say so in a NOTICE.
        return simple
    english = f"to_tsquery('english', %({key})s)"
    # Folded to a constant when planned; a word that is its own stem is looked up once.
    return f"(CASE WHEN {english} = {simple} THEN {simple} ELSE {simple} || {english} END)"


def _weight(alias: str, in_names: str) -> str:
    """The CASE giving a hit of table `alias` its tier: by its name, then words in its name."""
    by_name = " ".join(f"WHEN {sql} THEN {tier}" for tier, sql in _name_conditions(alias))
    return (
        f"CASE {by_name} WHEN ts_match_vq({alias}.search_text, {in_names}) THEN {rows.TITLE_WORDS}"
        f" ELSE {rows.ANY_WORDS} END"
    )


def _name_conditions(t: str) -> list[tuple[int, str]]:
    """(weight, SQL condition) of the exact and prefix tiers over row `t`'s stored names."""
    exact = (
        f"({t}.search_title = %(phrase)s OR {t}.search_slug = %(phrase)s"
        f" OR {t}.search_squashed_title = %(squashed)s OR {t}.search_squashed_slug = %(squashed)s)"
    )
    prefix = (
        f"({t}.search_title LIKE %(phrase_prefix)s OR {t}.search_slug LIKE %(phrase_prefix)s"
        f" OR {t}.search_squashed_title LIKE %(squashed_prefix)s"
        f" OR {t}.search_squashed_slug LIKE %(squashed_prefix)s)"
    )
    return [(rows.EXACT, exact), (rows.PREFIX, prefix)]


def _name_params(phrase: str, limit: int, exclude: Sequence[int]) -> Params:
    squashed = squash(phrase)
    return {
        "phrase": phrase,
        "squashed": squashed,
        "phrase_prefix": _like_prefix(phrase),
        "squashed_prefix": _like_prefix(squashed),
        "limit": limit,
        "exclude": list(exclude),
    }


def _like_prefix(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
