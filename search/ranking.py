"""Search as querysets: the list endpoints' `q` filter, and the tiers by substring matching.

`matching` filters (the list endpoints' `q`): a row is kept when every term of the text is a
substring of its title, slug or description (what a client filtering rows itself would keep:
`q=wagtail` keeps "MyWagtail tools"), or when a search for the text finds it through the
database's full-text index (word forms, category, contributors).

`ranked` annotates the `weight` tier of every row holding each word as a substring: the search
of a query with a pictograph, which neither database's word splitter keeps (the other queries
go through the written statements of `search.postgres` and `search.sqlite`). The
tiers are described in `search`.
"""

from django.db import connection
from django.db.models import (
    Case,
    CharField,
    F,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.expressions import Func, RawSQL
from django.db.models.functions import Concat, Length, Lower, Replace, Substr
from django.db.models.lookups import Contains, Exact, GreaterThan, StartsWith

from grids.models import Grid
from packages.models import Package
from search import postgres, sqlite
from search.names import JOINED_PREFIX, NAME_PREFIX, NAME_SEPARATORS, PLAIN_WORD, squash
from search.rows import ANY_WORDS, EXACT, PREFIX, TITLE_WORDS
from search.terms import choose_terms


def matching(queryset: QuerySet, text: str, *, description_field: str) -> QuerySet:
    """Filter `queryset` (packages or grids) to the rows a search for `text` finds."""
    terms = choose_terms(text)
    if not terms:
        return queryset
    words = list(terms.words)
    condition = _substring_match(words, None, description_field)
    if all(PLAIN_WORD.fullmatch(word) for word in words):
        condition |= Q(pk__in=_indexed_match(queryset, words, terms.phrase))
    return queryset.filter(condition)


def ranked(
    queryset: QuerySet, words: list[str], phrase: str, *, description_field: str
) -> QuerySet:
    """Rows of `queryset` holding every word, annotated with their `weight` (`search`)."""
    matched = queryset.filter(_substring_match(words, squash(phrase), description_field))
    return _weighted(matched, words, phrase)


def _indexed_match(queryset: QuerySet, words: list[str], phrase: str) -> RawSQL:
    """The ids of the rows the full-text index finds for every word (a subquery)."""
    if connection.vendor == "postgresql":
        placeholders = postgres.Placeholders()
        query = postgres.tsquery_sql(words, phrase, placeholders.place, names=False)
        table = queryset.model._meta.db_table
        # RawSQL takes Django's positional parameters: the values in order of appearance.
        return RawSQL(
            *placeholders.positional(f"SELECT id FROM {table} WHERE search_text @@ {query}")
        )
    fts = sqlite.fts_query(words, phrase, names=False)
    if queryset.model is Grid:
        return RawSQL("SELECT rowid FROM grid_search WHERE grid_search MATCH %s", (fts,))
    package_id = sqlite.PACKAGE_ID.format(rowid="rowid")
    return RawSQL(f"SELECT {package_id} FROM package_search WHERE package_search MATCH %s", (fts,))


def _weighted(queryset: QuerySet, words: list[str], phrase: str) -> QuerySet:
    tiers = [
        When(condition, then=Value(weight)) for weight, condition in _tier_conditions(words, phrase)
    ]
    return _with_names(queryset).annotate(
        weight=Case(*tiers, default=Value(ANY_WORDS), output_field=IntegerField())
    )


def _tier_conditions(words: list[str], phrase: str) -> list[tuple[int, Q]]:
    """(weight, condition) of the tiers above ANY_WORDS, over the aliases of `_with_names`."""
    squashed_phrase = squash(phrase)
    title, slug = F("norm_title"), F("norm_slug")
    title_joined, slug_joined = F("squashed_title"), F("squashed_slug")
    exact = Q(Exact(title, phrase)) | Q(Exact(slug, phrase))
    exact |= Q(Exact(title_joined, squashed_phrase)) | Q(Exact(slug_joined, squashed_phrase))
    prefix = Q(StartsWith(title, phrase)) | Q(StartsWith(slug, phrase))
    prefix |= Q(StartsWith(title_joined, squashed_phrase))
    prefix |= Q(StartsWith(slug_joined, squashed_phrase))
    # " title slug" holds " word" exactly when the word starts a word of the title or slug.
    title_words = Q()
    for word in words:
        title_words &= Q(Contains(F("name_words"), f" {word}"))
    return [(EXACT, exact), (PREFIX, prefix), (TITLE_WORDS, title_words)]


def _with_names(queryset: QuerySet) -> QuerySet:
    """Alias the normalized and squashed title and slug, and " title slug" (`name_words`)."""
    if _has_stored_names(queryset):
        return queryset.alias(
            norm_title=_column(queryset, "search_title"),
            norm_slug=_column(queryset, "search_slug"),
            squashed_title=_column(queryset, "search_squashed_title"),
            squashed_slug=_column(queryset, "search_squashed_slug"),
            name_words=_column(queryset, "search_words"),
        )
    queryset = queryset.alias(
        norm_title=normalized(queryset, "title"), norm_slug=normalized(queryset, "slug")
    )
    return queryset.alias(
        squashed_title=squashed(F("norm_title")),
        squashed_slug=squashed(F("norm_slug")),
        name_words=Concat(
            Value(" "), F("norm_title"), Value(" "), F("norm_slug"), output_field=CharField()
        ),
    )


def _has_stored_names(queryset: QuerySet) -> bool:
    """Packages and grids store their normalized names (packages.0008/0011, grids.0003/0005)."""
    return connection.vendor in ("postgresql", "sqlite") and queryset.model in (Package, Grid)


def _column(queryset: QuerySet, name: str) -> RawSQL:
    return RawSQL(f'"{queryset.model._meta.db_table}"."{name}"', (), output_field=CharField())


def _substring_match(words: list[str], squashed_phrase: str | None, description_field: str) -> Q:
    """Every word in the title, slug or description, or the squashed query in a joined name."""
    condition = Q()
    for word in words:
        condition &= (
            Q(title__icontains=word)
            | Q(slug__icontains=word)
            | Q(**{f"{description_field}__icontains": word})
        )
    if squashed_phrase and len(words) > 1:
        condition |= Q(Contains(_joined("title"), squashed_phrase))
        condition |= Q(Contains(_joined("slug"), squashed_phrase))
    return condition


def normalized(queryset: QuerySet, field: str) -> Func | RawSQL | Case:
    """SQL twin of `normalize_query` for a name column (the stored one where there is one)."""
    if _has_stored_names(queryset):
        return _column(queryset, f"search_{field}")
    expression: Func = Lower(field)
    for separator in NAME_SEPARATORS:
        expression = Replace(expression, Value(separator), Value(" "))
    return Case(
        When(StartsWith(expression, NAME_PREFIX), then=Substr(expression, len(NAME_PREFIX) + 1)),
        default=expression,
        output_field=CharField(),
    )


def squashed(normalized_name: F | Func) -> Case:
    """SQL twin of `squash` over a normalized name expression."""
    joined = Replace(normalized_name, Value(" "), Value(""))
    bare = len(JOINED_PREFIX)
    return Case(
        When(
            Q(StartsWith(joined, JOINED_PREFIX)) & Q(GreaterThan(Length(joined), bare)),
            then=Substr(joined, bare + 1),
        ),
        default=joined,
        output_field=CharField(),
    )


def _joined(field: str) -> Func:
    """A name lower-cased with every separator and space removed (substring matching)."""
    expression: Func = Lower(field)
    for separator in f"{NAME_SEPARATORS} ":
        expression = Replace(expression, Value(separator), Value(""))
    return expression
