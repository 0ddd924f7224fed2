"""Search ranking at scale-ish sizes and misspellings: the tiers hold when each has more rows
than the limit, popular rows come first within a tier, near spellings come after every strict
hit, and PostgreSQL's statements find their rows through the indexes."""

import pytest
from django.db import connection

import search
from search import postgres
from tests.factories import GridFactory, PackageFactory

pytestmark = pytest.mark.django_db


def _hits(query, **params):
    return [(hit.slug, hit.weight) for hit in search.search(query, **params)]


def _package(slug, stars=0, description="Tools."):
    return PackageFactory(title=slug, slug=slug, repo_watchers=stars, repo_description=description)


@pytest.fixture
def tiers():
    """Six rows in each tier for `celery`, the lower tiers more starred than the upper ones."""
    _package("celery", stars=1)
    for n in range(6):
        _package(f"celery-prefix-{n}", stars=100 + n)
        _package(f"tasks-celery-{n}", stars=1_000 + n)
        _package(f"queue-{n}", stars=10_000 + n, description="Runs on celery.")


@pytest.mark.usefixtures("tiers")
def test_every_tier_ranks_above_the_next_whatever_the_stars():
    hits = _hits("celery", limit=20)

    assert [weight for _slug, weight in hits] == [4] + [3] * 6 + [2] * 6 + [1] * 6
    assert hits[0] == ("celery", search.EXACT)
    assert [slug for slug, _weight in hits[1:4]] == [
        "celery-prefix-5",
        "celery-prefix-4",
        "celery-prefix-3",
    ]


@pytest.mark.usefixtures("tiers")
def test_a_limit_below_a_tiers_size_keeps_the_upper_tiers_most_starred_rows():
    assert _hits("celery", limit=4) == [
        ("celery", 4),
        ("celery-prefix-5", 3),
        ("celery-prefix-4", 3),
        ("celery-prefix-3", 3),
    ]


def test_the_exact_name_comes_first_among_hundreds_of_popular_matches():
    for n in range(300):
        _package(f"pkg-{n}", stars=50_000, description="A django widget.")
    _package("django-widget", stars=0)

    assert _hits("widget", limit=5)[0] == ("django-widget", search.EXACT)


def test_a_word_every_package_has_returns_the_most_starred_first():
    for n in range(60):
        _package(f"pkg-{n}", stars=(n * 37) % 61, description="For django.")

    hits = search.search("django", limit=10)

    stars = sorted(((n * 37) % 61 for n in range(60)), reverse=True)[:10]
    assert [hit.repo_watchers for hit in hits] == stars
    assert {hit.weight for hit in hits} == {search.ANY_WORDS}


def test_a_misspelling_finds_the_package_below_the_strict_hits():
    _package("django-widget-tweaks", stars=3_000)
    _package("django-celery", stars=9_000)

    assert _hits("djnago widget") == [("django-widget-tweaks", search.FUZZY)]
    assert _hits("widgets tweaks") == [("django-widget-tweaks", search.TITLE_WORDS)]


def test_strict_matches_rank_above_misspelled_ones():
    _package("django-widget-tweaks", stars=90_000)
    _package("forms", stars=1, description="The djnago widget of our dreams.")

    assert _hits("djnago widget") == [("forms", search.ANY_WORDS), ("django-widget-tweaks", 0)]
    assert _hits("djnago widget", limit=1) == [("forms", search.ANY_WORDS)]


@pytest.mark.parametrize("query", ["flask nowhere", "zzzzz", "qx"])
def test_no_misspelled_hits_without_a_near_word(query):
    _package("django-widget-tweaks")

    assert _hits(query) == []


def test_a_misspelled_django_alone_reads_as_django():
    _package("django-widget-tweaks", stars=5)
    _package("flask-thing", stars=50)

    assert _hits("djnago") == [("django-widget-tweaks", search.FUZZY)]


def test_grids_of_one_tier_come_by_title_after_the_packages_of_that_tier():
    for title in ["Charts B", "Charts C", "Charts A"]:
        GridFactory(title=title, slug=title.lower().replace(" ", "-"), description="")
    _package("charts-kit", stars=3)

    assert _hits("charts", limit=3) == [
        ("charts-kit", search.PREFIX),
        ("charts-a", search.PREFIX),
        ("charts-b", search.PREFIX),
    ]


@pytest.mark.postgres
def test_the_grid_statement_matches_through_the_gin_index():
    GridFactory.create_batch(3)
    placeholders = postgres.Placeholders()
    query = postgres.tsquery_sql(["rest"], "rest", placeholders.place, names=False)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            *placeholders.positional(
                f"EXPLAIN SELECT id FROM grids_grid g WHERE g.search_text @@ {query}"
            )
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "grid_search_text_idx" in plan


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("query", "limit", "tiers"),
    [
        ("celery", 20, {search.PREFIX, search.TITLE_WORDS, search.ANY_WORDS}),
        ("celery", 8, {search.PREFIX, search.TITLE_WORDS}),
        ("runs", 3, {search.ANY_WORDS}),
    ],
)
def test_the_words_index_gives_what_the_most_starred_rows_would(monkeypatch, query, limit, tiers):
    """With only the 2 most-starred rows probed first, both word tiers fall short and find
    their rows through the words' index (one look for both): the hits are the same."""
    for n in range(6):
        _package(f"celery-prefix-{n}", stars=100 + n)
        _package(f"tasks-celery-{n}", stars=1_000 + n)
        _package(f"queue-{n}", stars=10_000 + n, description="Runs on celery.")
        _package(f"popular-{n}", stars=100_000 + n)
    probed_widely = _hits(query, limit=limit)

    monkeypatch.setattr(postgres, "FIRST_STARRED", 2)

    assert _hits(query, limit=limit) == probed_widely
    assert {weight for _slug, weight in probed_widely} == tiers
