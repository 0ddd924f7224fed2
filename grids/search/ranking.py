"""Which rows a search finds and how they rank, as querysets, on PostgreSQL and SQLite alike.

`matching` filters (the list endpoints' `q`), `ranked` annotates the `weight` tier of every
matched row: the whole search on SQLite, and on PostgreSQL for queries with pictographs (the
common queries go through the written statements of `grids.search.postgres`, which rank the
same). The tiers are described in `grids.search`.
"""

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import (
    BooleanField,
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
from grids.search.names import (
    JOINED_PREFIX,
    NAME_PREFIX,
    NAME_SEPARATORS,
    PLAIN_WORD,
    query_words,
    squash,
    squash_query,
)
from packages.models import Package

EXACT, PREFIX, TITLE_WORDS, ANY_WORDS, FUZZY = 4, 3, 2, 1, 0


def matching(queryset: QuerySet, text: str, *, description_field: str) -> QuerySet:
    """Filter `queryset` (packages or grids) to the rows a search for `text` finds."""
    words = query_words(text)
    if not words:
        return queryset
    return _matched(queryset, words, description_field, squash_query(text))


def ranked(queryset: QuerySet, words: list[str], phrase: str, *, description_field: str):
    """Matching rows of `queryset`, annotated with their `weight` (see `grids.search`)."""
    return _weighted(_matched(queryset, words, description_field, squash(phrase)), words, phrase)


def has_search_columns(queryset: QuerySet) -> bool:
    """Packages on PostgreSQL carry a stored document and indexed names (packages.0002, 0008)."""
    return queryset.model is Package and connection.vendor == "postgresql"


def _has_stored_names(queryset):
    """Packages and grids on PostgreSQL store their normalized names (packages.0008, grids.0003)."""
    return connection.vendor == "postgresql" and queryset.model in (Package, Grid)


def search_vector(description_field):
    """The weighted document of grids; must stay identical to the index of grids.0002."""
    return SearchVector("title", "slug", config="simple", weight="A") + SearchVector(
        description_field, config="simple", weight="B"
    )


def _weighted(queryset, words, phrase):
    tiers = [
        When(condition, then=Value(weight)) for weight, condition in _tier_conditions(words, phrase)
    ]
    return _with_names(queryset).annotate(
        weight=Case(*tiers, default=Value(ANY_WORDS), output_field=IntegerField())
    )


def _tier_conditions(words, phrase):
    """(weight, condition) of the tiers above ANY_WORDS, over the aliases of `_with_names`.

    Plain string tests on the normalized names, evaluated only on matched rows: no tsvector
    is recomputed per row.
    """
    squashed = squash(phrase)
    title, slug = F("norm_title"), F("norm_slug")
    title_joined, slug_joined = F("squashed_title"), F("squashed_slug")
    exact = Q(Exact(title, phrase)) | Q(Exact(slug, phrase))
    exact |= Q(Exact(title_joined, squashed)) | Q(Exact(slug_joined, squashed))
    prefix = Q(StartsWith(title, phrase)) | Q(StartsWith(slug, phrase))
    prefix |= Q(StartsWith(title_joined, squashed)) | Q(StartsWith(slug_joined, squashed))
    # " title slug" holds " word" exactly when the word starts a word of the title or slug.
    title_words = Q()
    for word in words:
        title_words &= Q(Contains(F("name_words"), f" {word}"))
    return [(EXACT, exact), (PREFIX, prefix), (TITLE_WORDS, title_words)]


def _with_names(queryset):
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


def _column(queryset, name):
    return RawSQL(f'"{queryset.model._meta.db_table}"."{name}"', (), output_field=CharField())


def _matched(queryset, words, description_field, squashed):
    plain = [word for word in words if PLAIN_WORD.fullmatch(word)]
    symbols = [word for word in words if word not in plain]
    squashed_plain = None if symbols else squashed
    if has_search_columns(queryset) and plain:
        queryset = queryset.filter(
            RawSQL(
                f'"{Package._meta.db_table}"."search_document" @@ to_tsquery(%s, %s)',
                ("simple", tsquery(plain, squashed_plain)),
                output_field=BooleanField(),
            )
        )
    elif connection.vendor == "postgresql" and plain:
        query = SearchQuery(tsquery(plain, squashed_plain), search_type="raw", config="simple")
        queryset = queryset.annotate(document=search_vector(description_field)).filter(
            document=query
        )
    else:
        return queryset.filter(_substring_match(words, squashed, description_field))
    # On PostgreSQL, the words (emoji, pictographs) its text parser drops.
    return queryset.filter(_substring_match(symbols, None, description_field))


def _substring_match(words, squashed, description_field):
    """Every word in the title, slug or description, or the squashed query in a joined name."""
    condition = Q()
    for word in words:
        condition &= (
            Q(title__icontains=word)
            | Q(slug__icontains=word)
            | Q(**{f"{description_field}__icontains": word})
        )
    if squashed and len(words) > 1:
        condition |= Q(Contains(_joined("title"), squashed))
        condition |= Q(Contains(_joined("slug"), squashed))
    return condition


def tsquery(words: list[str], squashed: str | None = None) -> str:
    """The tsquery of plain `words` (each a prefix), or of them written together (`squashed`)."""
    # Words are [^\W_]+ only, so they need no tsquery quoting; `:*` makes each a prefix match.
    joined = squashed if PLAIN_WORD.fullmatch(squashed or "") else None
    query = " & ".join(f"{word}:*" for word in words)
    if joined:
        # The words written together, as in `djangorestframework`: a prefix term each.
        together = [f"{JOINED_PREFIX}{joined}:*"]
        if len(words) > 1:
            together.append(f"{joined}:*")
        query = " | ".join([f"({query})", *together])
    return query


def normalized(queryset, field):
    """SQL twin of `normalize_query` for a name column (the stored one on PostgreSQL)."""
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


def squashed(normalized_name):
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


def _joined(field):
    """A name lower-cased with every separator and space removed (substring matching)."""
    expression: Func = Lower(field)
    for separator in f"{NAME_SEPARATORS} ":
        expression = Replace(expression, Value(separator), Value(""))
    return expression
