"""Ranked text search over the catalogue: packages and grids, on PostgreSQL and SQLite alike.

Ranking, best first (the `weight` of a hit):

4. exact match of the whole query with the title or slug,
3. the title or slug starts with the query,
2. every query word starts a word of the title or slug,
1. every query word is found, some only in the description;

then stars (`repo_watchers`) break ties. Names and queries are compared "normalized": lower
case, `-`, `_` and `.` read as spaces, and a leading `django ` dropped, so "rest framework"
is an exact match for `django-rest-framework`; and "squashed" (normalized, spaces removed, a
leading `django` dropped), so it is one for `djangorestframework` too, and such a name is
found by the joined words (`restframework`, `djangorestframework` as prefixes).

The normalization has one home, this module: `normalize_query`/`squash_query` for text and
`_normalized`/`_squashed` for columns, from NAME_SEPARATORS and NAME_PREFIX. PostgreSQL stores
the normalized package names in generated columns (migration `packages.0002`, whose SQL must
stay frozen): tests/api/test_search.py checks the columns agree with `normalize_query`.

PostgreSQL matches with full-text search over a weighted vector (title and slug weight A,
description weight B). For packages the vector and the normalized names are stored, generated
columns with a GIN index (migration `packages.0003`): the database computes them on every write,
so they cannot drift, and a query matching most of the catalogue costs no per-row text
processing. Grids, a few hundred rows, use a GIN expression index (`grids.0002`). SQLite falls
back to substring matching with the same tiers.
"""

import re
from dataclasses import dataclass
from datetime import datetime

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.expressions import Func, RawSQL
from django.db.models.functions import Concat, Length, Lower, Replace, Substr
from django.db.models.lookups import Contains, Exact, GreaterThan, StartsWith

from grids.models import Grid
from packages.models import Package, Version

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_QUERY_CHARS = 200
MAX_QUERY_WORDS = 10
EXACT, PREFIX, TITLE_WORDS, ANY_WORDS = 4, 3, 2, 1

# Words are runs of letters and digits; an emoji or other pictograph is a word of its own.
_WORD = re.compile(r"[^\W_]+|[\u2600-\u27bf\U0001f000-\U0010ffff]")
_PLAIN_WORD = re.compile(r"[^\W_]+")
NAME_SEPARATORS = "-_."
NAME_PREFIX = "django "
_SEPARATORS = re.compile(rf"[{re.escape(NAME_SEPARATORS)}\s]+")
_PREFIX = NAME_PREFIX
_JOINED_PREFIX = NAME_PREFIX.strip()


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


def normalize_query(text):
    """The query as names are compared: lower case, separators as single spaces, no `django `."""
    text = _SEPARATORS.sub(" ", (text or "").replace("\x00", " ").lower()).strip()
    if text.startswith(_PREFIX) and len(text) > len(_PREFIX):
        text = text[len(_PREFIX) :]
    return text


def squash_query(text):
    """The query as squashed names are compared: normalized, no spaces, no leading `django`."""
    return _squash(normalize_query(text))


def _squash(normalized):
    joined = normalized.replace(" ", "")
    if joined.startswith(_JOINED_PREFIX) and len(joined) > len(_JOINED_PREFIX):
        return joined[len(_JOINED_PREFIX) :]
    return joined


def validate_query(text):
    """Refuse queries too long to be a search (a 400 for the caller), with the reason."""
    text = text or ""
    if len(text) > MAX_QUERY_CHARS:
        raise ValidationError(f"At most {MAX_QUERY_CHARS} characters, not {len(text)}.")
    words = query_words(text)
    if len(words) > MAX_QUERY_WORDS:
        raise ValidationError(f"At most {MAX_QUERY_WORDS} words, not {len(words)}.")


def query_words(text):
    """The words a query matches on; empty when there is nothing searchable."""
    return _WORD.findall(normalize_query(text))


def search(text, *, limit=DEFAULT_LIMIT):
    """Return at most `limit` hits over packages and grids, best first (two queries)."""
    words = query_words(text)
    if not words:
        return []
    limit = max(1, min(limit, MAX_LIMIT))
    phrase = normalize_query(text)
    packages = (
        ranked(
            Package.objects.with_usage_count(), words, phrase, description_field="repo_description"
        )
        .annotate(last_released=_last_release_time())
        .order_by("-weight", "-repo_watchers", "title", "id")
        .values(
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
        )[:limit]
    )
    grids = (
        ranked(Grid.objects.all(), words, phrase, description_field="description")
        .order_by("-weight", "title", "id")
        .values("id", "title", "slug", "description", "weight", "created", "modified")[:limit]
    )
    hits = [
        SearchHit(
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
        for row in packages
    ]
    hits += [
        SearchHit(
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
        for row in grids
    ]
    hits.sort(key=lambda hit: (-hit.weight, -(hit.repo_watchers or 0), hit.title.lower(), hit.id))
    return hits[:limit]


def matching(queryset, text, *, description_field):
    """Filter `queryset` (packages or grids) to the rows a search for `text` finds."""
    words = query_words(text)
    if not words:
        return queryset
    return _matched(queryset, words, description_field, squash_query(text))


def ranked(queryset, words, phrase, *, description_field):
    """Matching rows of `queryset`, annotated with their `weight` (see the module docstring)."""
    squashed = _squash(phrase)
    queryset = _matched(queryset, words, description_field, squashed)
    # Tiers 4-2 are plain string tests on the normalized names, evaluated only on the rows the
    # (indexed) match found: no tsvector is recomputed per row.
    queryset = queryset.alias(
        norm_title=_normalized(queryset, "title"), norm_slug=_normalized(queryset, "slug")
    )
    queryset = queryset.alias(
        squashed_title=_squashed(F("norm_title")), squashed_slug=_squashed(F("norm_slug"))
    )
    title, slug = F("norm_title"), F("norm_slug")
    title_joined, slug_joined = F("squashed_title"), F("squashed_slug")
    exact = Q(Exact(title, phrase)) | Q(Exact(slug, phrase))
    exact |= Q(Exact(title_joined, squashed)) | Q(Exact(slug_joined, squashed))
    prefix = Q(StartsWith(title, phrase)) | Q(StartsWith(slug, phrase))
    prefix |= Q(StartsWith(title_joined, squashed)) | Q(StartsWith(slug_joined, squashed))
    return queryset.annotate(
        weight=Case(
            When(exact, then=Value(EXACT)),
            When(prefix, then=Value(PREFIX)),
            When(_all_words_start_words(words, title, slug), then=Value(TITLE_WORDS)),
            default=Value(ANY_WORDS),
            output_field=IntegerField(),
        )
    )


def search_vector(description_field):
    """The weighted document of grids; must stay identical to the index of grids.0002."""
    return SearchVector("title", "slug", config="simple", weight="A") + SearchVector(
        description_field, config="simple", weight="B"
    )


def _is_postgresql():
    return connection.vendor == "postgresql"


def _matched(queryset, words, description_field, squashed):
    plain = [word for word in words if _PLAIN_WORD.fullmatch(word)]
    symbols = [word for word in words if word not in plain]
    joined = squashed if not symbols and _PLAIN_WORD.fullmatch(squashed or "") else None
    if _is_postgresql() and plain and _has_search_columns(queryset):
        queryset = queryset.filter(
            RawSQL(
                f'"{Package._meta.db_table}"."search_document" @@ to_tsquery(%s, %s)',
                ("simple", _tsquery(plain, joined)),
                output_field=BooleanField(),
            )
        )
    elif _is_postgresql() and plain:
        query = SearchQuery(_tsquery(plain, joined), search_type="raw", config="simple")
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


def _all_words_start_words(words, *names):
    """Every word starts a word of one of the normalized `names` (cheap string tests only)."""
    condition = Q()
    for word in words:
        either = Q()
        for name in names:
            spaced = Concat(Value(" "), name, output_field=CharField())
            either |= Q(Contains(spaced, f" {word}"))
        condition &= either
    return condition


def _tsquery(words, joined=None):
    # Words are [^\W_]+ only, so they need no tsquery quoting; `:*` makes each a prefix match.
    query = " & ".join(f"{word}:*" for word in words)
    if joined:
        # The words written together, as in `djangorestframework`: a prefix term each.
        together = [f"{_JOINED_PREFIX}{joined}:*"]
        if len(words) > 1:
            together.append(f"{joined}:*")
        query = " | ".join([f"({query})", *together])
    return query


def _has_search_columns(queryset):
    """Packages on PostgreSQL carry stored search columns (migration packages.0003)."""
    return queryset.model is Package and _is_postgresql()


def _normalized(queryset, field):
    """SQL twin of `normalize_query` for a name column, portable to PostgreSQL and SQLite."""
    if _has_search_columns(queryset):
        column = f'"{Package._meta.db_table}"."search_{field}"'
        return RawSQL(column, (), output_field=CharField())
    expression: Func = Lower(field)
    for separator in NAME_SEPARATORS:
        expression = Replace(expression, Value(separator), Value(" "))
    return Case(
        When(StartsWith(expression, _PREFIX), then=Substr(expression, len(_PREFIX) + 1)),
        default=expression,
        output_field=CharField(),
    )


def _squashed(normalized):
    """SQL twin of `_squash` over a normalized name expression."""
    joined = Replace(normalized, Value(" "), Value(""))
    bare = len(_JOINED_PREFIX)
    return Case(
        When(
            Q(StartsWith(joined, _JOINED_PREFIX)) & Q(GreaterThan(Length(joined), bare)),
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


def _last_release_time():
    newest = (
        Version.objects.filter(package=OuterRef("pk"), is_yanked=False)
        .order_by(F("upload_time").desc(nulls_last=True))
        .values("upload_time")[:1]
    )
    return Subquery(newest)
