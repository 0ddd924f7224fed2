"""The search statements on PostgreSQL: written SQL over the stored, indexed search columns.

Plain SQL rather than querysets because building and compiling these statements through the ORM
cost several times what PostgreSQL takes to run them.

A word matches when `search_text` (packages.0011, grids.0005: the english and the simple
configuration of each field) holds it, or a word form of it, as a prefix. Packages: `limit`
candidates per tier (UNION ALL), each the most-starred rows found by that tier's own index:
btree `text_pattern_ops` on the normalized and squashed names (exact, prefix), `search_text`'s
GIN index restricted to weight A, the names (title words), or over every field (any words);
the word tiers, and the prefix tier when many names start with the text (`prefix_tier`), test
the most-starred rows first (`package_first_starred_idx`, packages.0017, holds all they test),
and the word tiers look at the GIN index once for both when those fall short (`word_tiers`),
not at all when the query needs a word no package's document holds (`could_match`).
Only those candidates are weighed and sorted: no statement ranks every matching row.

Every statement reads its values from its first row, `q` (`Values`): its text holds no other
parameter, so its plan does not depend on them. PostgreSQL then plans a statement once per
connection (prepared, `common.postgresql.prepared`) instead of at every search, which cost
more than running it; each plan is written not to need the values (the tiers above). Its
placeholders are PostgreSQL's own (`$1`, `Placeholders`), so psycopg sends its text as written.
"""

import re
from collections.abc import Callable, Sequence
from typing import Any

from search import rows
from search.names import JOINED_PREFIX, LAST_CHARACTER, PLAIN_WORD, squash
from search.terms import STOP_WORDS

# Places a value in a statement, giving the SQL of its placeholder.
Place = Callable[[Any], str]
_PLACEHOLDER = re.compile(r"\$(\d+)")
FIRST_STARRED = 1000
# A prefix that at least PREFIX_NAMES times the limit of names start with (in one of the stored
# names): the PREFIX_WALK most-starred rows are tested for it first (`prefix_tier`). At 50,000
# packages such a prefix is in 1 name of 250 (at limit 20) and the walk finds the limit.
PREFIX_NAMES = 10
PREFIX_WALK = 5000
_ORDER = "t.repo_watchers DESC, t.id"
# The stored names of a package or grid, and the value each is compared with.
_NAME_VALUES = (
    ("search_title", "phrase"),
    ("search_slug", "phrase"),
    ("search_squashed_title", "squashed"),
    ("search_squashed_slug", "squashed"),
)
# A grid's columns, by the package field each stands in for (`search_packages_and_grids`).
_GRID_COLUMNS = {
    "id": "g.id",
    "title": "g.title",
    "slug": "g.slug",
    "repo_description": "g.description",
    "created": "g.created",
    "modified": "g.modified",
}
# What the tiers test, read from `package_first_starred_idx` alone (packages.0017).
_FIRST_STARRED_COLUMNS = ", ".join(
    ["id", "repo_watchers", "search_text", *(column for column, _value in _NAME_VALUES)]
)


def _value(name: str) -> str:
    """The SQL reading value `name` of the statement's `q` row."""
    return f"(SELECT {name} FROM q)"


LIMIT = _value("lim")
EXCLUDED = f"NOT t.id = ANY({_value('skip')}::bigint[])"


class Placeholders:
    """A statement's parameters, placed as PostgreSQL's own placeholders (`$1`: `params[0]`),
    which psycopg sends as they are: it would parse `%(name)s` in 8 KB of text at every run."""

    def __init__(self) -> None:
        self.params: list[Any] = []

    def place(self, value: Any) -> str:
        """The placeholder of `value`, a parameter of the statement (`Place`)."""
        self.params.append(value)
        return f"${len(self.params)}"

    def positional(self, sql: str) -> tuple[str, list[Any]]:
        """`sql` with `%s` for each placeholder, and the values in that order (Django's)."""
        values = [self.params[int(match.group(1)) - 1] for match in _PLACEHOLDER.finditer(sql)]
        return _PLACEHOLDER.sub("%s", sql), values


class Values(Placeholders):
    """A statement's values, bound and computed once in its first row: `WITH q AS
    MATERIALIZED (SELECT ...)`. The rest of the statement reads them (`_value`) as parameters
    its plan is made without."""

    def __init__(self, *, limit: int, exclude: Sequence[int] = ()) -> None:
        super().__init__()
        self._columns: list[str] = []
        self.bind("lim", limit, "integer")
        self.bind("skip", list(exclude), "bigint[]")

    def bind(self, name: str, value: Any, sql_type: str) -> str:
        """`value` as the statement's value `name`; the SQL reading it."""
        return self.compute(name, f"{self.place(value)}::{sql_type}")

    def compute(self, name: str, sql: str) -> str:
        """`sql` (its values placed by `place`), computed once as the value `name`; the SQL
        reading it."""
        self._columns.append(f"{sql} AS {name}")
        return _value(name)

    def statement(self, sql: str) -> str:
        """`sql`, with the values it reads."""
        return f"WITH q AS MATERIALIZED (SELECT {', '.join(self._columns)}) {sql}"


def tsquery_sql(words: Sequence[str], phrase: str, place: Place, *, names: bool) -> str:
    """SQL of a tsquery every word must match (its english word forms or itself as written,
    each as a prefix), or that the words written together match (`djangorestframework`);
    `names`: in the title or slug only (weight A). Its values are placed by `place`."""
    weight = "A" if names else ""
    query = " && ".join(_word_query(word, weight, place) for word in words)
    joined = squash(phrase)
    if PLAIN_WORD.fullmatch(joined):
        together = [f"{JOINED_PREFIX}{joined}", *([joined] if len(words) > 1 else [])]
        for written in together:
            query = f"({query}) || to_tsquery('simple', {place(f'{written}:*{weight}')})"
    # A scalar subquery: an InitPlan, computed once per run, also in a generic plan.
    return f"(SELECT {query})"


def search_packages(
    words: Sequence[str], phrase: str, *, limit: int, exclude: Sequence[int] = ()
) -> list[rows.Row]:
    """The best `limit` packages matching every word, not in `exclude` (one statement)."""
    values, matched, in_names = _word_values(words, phrase, limit, exclude)
    sql = values.statement(_packages_matching(matched, in_names))
    return rows.fetch_rows(sql, values.params, rows.PACKAGE_FIELDS)


def search_packages_and_grids(
    words: Sequence[str], phrase: str, *, limit: int
) -> tuple[list[rows.Row], list[rows.Row]]:
    """The best `limit` packages and the best `limit` grids matching every word, in one
    statement (a round trip costs the worker about what a grid search costs the server): the
    grids' rows follow the packages', each in the packages' columns, `grid` first."""
    values, matched, in_names = _word_values(words, phrase, limit, ())
    # A grid's row in the packages' columns (rows.PACKAGE_FIELDS), what grids lack NULL.
    in_grid = {**_GRID_COLUMNS, "weight": _weight("g", in_names)}
    columns = ", ".join(in_grid.get(field, "NULL") for field in rows.PACKAGE_FIELDS)
    weight = 2 + rows.PACKAGE_FIELDS.index("weight")  # its position, after `grid`
    grids = (
        f"SELECT true, {columns} FROM grids_grid g WHERE g.search_text @@ {matched}"
        f" ORDER BY {weight} DESC, g.title, g.id LIMIT {LIMIT}"
    )
    packages = f"SELECT false, found.* FROM ({_packages_matching(matched, in_names)}) AS found"
    sql = values.statement(f"({packages}) UNION ALL ({grids})")
    packages_rows, grids_rows = [], []
    for row in rows.fetch_rows(sql, values.params, ("grid", *rows.PACKAGE_FIELDS)):
        if row.pop("grid"):
            row["description"] = row["repo_description"]
            grids_rows.append({field: row[field] for field in rows.GRID_FIELDS})
        else:
            packages_rows.append(row)
    return packages_rows, grids_rows


def _word_values(
    words: Sequence[str], phrase: str, limit: int, exclude: Sequence[int]
) -> tuple[Values, str, str]:
    """A statement's values for `words` and `phrase`; the SQL of its tsqueries of every word
    anywhere, and in the names."""
    values = _name_values(phrase, limit, exclude)
    matched = values.compute("matched", tsquery_sql(words, phrase, values.place, names=False))
    in_names = values.compute("named", tsquery_sql(words, phrase, values.place, names=True))
    return values, matched, in_names


def _packages_matching(matched: str, in_names: str) -> str:
    """The SELECT of the best packages matching `matched`, by tier (`in_names`: the words in
    their names), not excluded: at most the limit."""
    exact, prefix = (_matching(condition, matched) for _tier, condition in _name_conditions("t"))
    tiers = [
        # Exact names are few: found by the names' indexes, then sorted (`+ 0`: never by a
        # walk of the stars index looking for them).
        f"(SELECT t.id FROM packages_package t WHERE {exact} AND {EXCLUDED}"
        f" ORDER BY t.repo_watchers + 0 DESC, t.id LIMIT {LIMIT})",
        prefix_tier(prefix),
        word_tiers(in_names, matched),
    ]
    return _packages_among(tiers, weight=_weight("p", in_names), order="10 DESC")


def partial_packages(
    words: Sequence[str], *, limit: int, exclude: Sequence[int], pool: int
) -> list[rows.Row]:
    """Packages matching some of `words`, those matching the most (in their names counting
    twice) first, then by stars: of the `pool` most-starred packages matching each word."""
    values = Values(limit=limit, exclude=exclude)
    pooled = values.bind("pool", pool, "integer")
    candidates, coverage = [], []
    for i, word in enumerate(words):
        any_field = values.compute(f"a{i}", _word_query(word, "", values.place))
        in_names = values.compute(f"b{i}", _word_query(word, "A", values.place))
        candidates.append(most_starred(f"t.search_text @@ {any_field}", pooled))
        coverage.append(
            f"ts_match_vq(p.search_text, {any_field})::int"
            f" + ts_match_vq(p.search_text, {in_names})::int"
        )
    order = f"{' + '.join(coverage)} DESC"
    sql = values.statement(_packages_among(candidates, weight=rows.FUZZY, order=order))
    return rows.fetch_rows(sql, values.params, rows.PACKAGE_FIELDS)


def _packages_among(candidates: Sequence[str], *, weight: str | int, order: str) -> str:
    """The SELECT of the hit rows of the packages any of the `candidates` subqueries selects,
    weighed by `weight`, sorted by `order`, then stars and id; at most the limit."""
    return (
        f"SELECT {rows.PACKAGE_COLUMNS.format(weight=weight)}"
        f" FROM packages_package p JOIN categories_category c ON c.id = p.category_id"
        f" WHERE p.id IN ({' UNION ALL '.join(candidates)})"
        f" ORDER BY {order}, p.repo_watchers DESC, p.id LIMIT {LIMIT}"
    )


def _matching(condition: str, matched: str) -> str:
    """A name tier's test of row `t`: its `condition` on the names, then the words' match, in
    CASE so that PostgreSQL, which orders a row's tests by their estimated costs, never tests
    the document before the (cheaper) names."""
    words = f"ts_match_vq(t.search_text, {matched})"
    return f"{condition} AND CASE WHEN {condition} THEN {words} ELSE false END"


def most_starred(match: str, limit: str) -> str:
    """A subquery: the ids of the `limit` (SQL) most-starred packages `t` where `match` holds,
    not excluded.

    The planner cannot tell a word in nearly every row from one in none, and guessing wrong
    costs a walk of the whole stars index or a sort of every match. So: first the
    `FIRST_STARRED` most-starred rows, in stars order, are tested (a common word fills the
    limit there, and they are the answer); only when that finds fewer, the match's own index
    finds every match (few, then) and those are sorted (`+ 0`: no walk of the stars index).
    """
    condition = f"{match} AND {EXCLUDED}"
    return _walk_then_index(_first_starred(condition, limit), condition, limit)


def prefix_tier(match: str) -> str:
    """A subquery: the ids of the `LIMIT` most-starred packages `t` where `match` (the prefix
    tier's test) holds, not excluded: as `most_starred` gives them, but each name's index
    first counts the names starting with the text, up to `PREFIX_NAMES` times the limit. That
    many in one of them: the `PREFIX_WALK` most-starred rows are tested first (a common prefix
    fills the limit there, where sorting its thousands of rows costs tens of milliseconds);
    fewer: the names' indexes find them all, without a walk for what no name starts with (a
    misspelling, most questions)."""
    many = f"{PREFIX_NAMES} * {LIMIT}"
    counts = ", ".join(
        f"(SELECT count(*) FROM (SELECT 1 FROM packages_package WHERE {prefix}"
        f" LIMIT {many}) AS named)"
        for prefix in _prefix_ranges("")
    )
    condition = f"{match} AND {EXCLUDED}"
    walk = _first_starred(f"GREATEST({counts}) = {many} AND {condition}", LIMIT, rows=PREFIX_WALK)
    return _walk_then_index(walk, condition, LIMIT)


def _walk_then_index(walk: str, condition: str, limit: str) -> str:
    """A subquery: the ids `walk` selects (most-starred rows meeting `condition`, in stars
    order); when they are fewer than `limit` (SQL), then the `limit` most-starred rows meeting
    `condition`, found by its own index and sorted (`+ 0`: no walk of the stars index)."""
    return (
        f"(WITH first AS MATERIALIZED ({walk})"
        f" SELECT id FROM first UNION ALL (SELECT t.id FROM packages_package t"
        f" WHERE {condition} AND (SELECT count(*) FROM first) < {limit}"
        f" ORDER BY t.repo_watchers + 0 DESC, t.id LIMIT {limit}))"
    )


def word_tiers(in_names: str, matched: str) -> str:
    """A subquery: the ids of the `LIMIT` most-starred packages matching `in_names` and of
    those matching `matched`, as two `most_starred` would give them, but with one look at the
    words' index for both: a package matching in its names matches anywhere, so when either
    tier's most-starred rows fall short, every `matched` row is found once (the index's slow
    part for common prefixes) and the names tier is tested on those rows only. Neither tier
    looks when no package could match (`could_match`: a misspelling, a word no one uses)."""
    possible = "(SELECT yes FROM possible)"
    named_first = _first_starred(
        f"{possible} AND t.search_text @@ {in_names} AND {EXCLUDED}", LIMIT
    )
    matched_first = _first_starred(
        f"{possible} AND t.search_text @@ {matched} AND {EXCLUDED}", LIMIT
    )
    short = "(SELECT count(*) FROM {first}) < " + LIMIT
    return (
        f"(WITH possible AS MATERIALIZED (SELECT {could_match(matched)} AS yes),"
        f" named_first AS MATERIALIZED ({named_first}),"
        f" matched_first AS MATERIALIZED ({matched_first}),"
        f" found AS MATERIALIZED (SELECT t.id, t.repo_watchers,"
        f" ts_match_vq(t.search_text, {in_names}) AS named FROM packages_package t"
        f" WHERE {possible} AND t.search_text @@ {matched} AND {EXCLUDED})"
        f" SELECT id FROM named_first UNION ALL SELECT id FROM matched_first"
        f" UNION ALL (SELECT id FROM found WHERE named AND {short.format(first='named_first')}"
        f" ORDER BY repo_watchers DESC, id LIMIT {LIMIT})"
        f" UNION ALL (SELECT id FROM found WHERE {short.format(first='matched_first')}"
        f" ORDER BY repo_watchers DESC, id LIMIT {LIMIT}))"
    )


def could_match(query: str) -> str:
    """SQL: whether a package's search document could match tsquery `query` (SQL, no
    weights): whether a document holding each of the query's words that begins a word of some
    package's (`packages_search_word`, packages.0018) matches it, phrase operators read as
    `&`. False for a query that needs a word no package has: the words' GIN index would answer
    it by loading every posting list of the query's other prefixes (milliseconds for a common
    one) before finding nothing."""
    words = f"regexp_matches({query}::text, '''([^'']+)''', 'g')"
    known = (
        f"SELECT array_to_tsvector(coalesce(array_agg(w), '{{}}'::text[])) FROM"
        f" (SELECT DISTINCT m[1] AS w FROM {words} AS m) AS asked WHERE EXISTS"
        f" (SELECT 1 FROM packages_search_word WHERE word >= w AND word < w || {_value('last')})"
    )
    return f"({known}) @@ regexp_replace({query}::text, '<[0-9-]+>', '&', 'g')::tsquery"


def _first_starred(condition: str, limit: str, *, rows: int | None = None) -> str:
    """The ids of the `limit` (SQL) most-starred of the `rows` (default `FIRST_STARRED`)
    most-starred packages `t` where `condition` holds."""
    return (
        f"SELECT t.id FROM (SELECT {_FIRST_STARRED_COLUMNS} FROM packages_package"
        f" ORDER BY repo_watchers DESC, id LIMIT {rows or FIRST_STARRED}) t"
        f" WHERE {condition} ORDER BY {_ORDER} LIMIT {limit}"
    )


def _word_query(word: str, weight: str, place: Place) -> str:
    """One word as a tsquery: its english word forms or itself, as a prefix, in `weight`."""
    value = place(f"{word}:*{weight}")
    simple = f"to_tsquery('simple', {value})"
    if word in STOP_WORDS:
        # The english configuration drops stop words: to_tsquery would say so in a NOTICE.
        return simple
    english = f"to_tsquery('english', {value})"
    # A word that is its own stem is looked up once.
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
    exact = " OR ".join(f"{t}.{column} = {_value(value)}" for column, value in _NAME_VALUES)
    prefix = " OR ".join(_prefix_ranges(f"{t}."))
    return [(rows.EXACT, f"({exact})"), (rows.PREFIX, f"({prefix})")]


def _prefix_ranges(t: str) -> list[str]:
    """Per stored name of row `t` (`t.`, or "" for the table's), the SQL of its starting with
    the text: a range of the `text_pattern_ops` btrees, from the text to the text followed by
    the last character (unlike `LIKE`, a range of values unknown when planned uses them)."""
    return [
        f"{t}{column} ~>=~ {_value(value)} AND {t}{column} ~<~ {_value(value + '_end')}"
        for column, value in _NAME_VALUES
    ]


def _name_values(phrase: str, limit: int, exclude: Sequence[int]) -> Values:
    values = Values(limit=limit, exclude=exclude)
    values.bind("last", LAST_CHARACTER, "text")
    for name, text in (("phrase", phrase), ("squashed", squash(phrase))):
        values.bind(name, text, "text")
        values.bind(f"{name}_end", text + LAST_CHARACTER, "text")
    return values
