"""PostgreSQL's search statements as the server runs them: planned once per connection, the
most-starred rows read from one index, a name's prefix compared as written."""

import pytest
from django.db import connection

import search
from search import postgres
from tests.factories import GridFactory, PackageFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

# PostgreSQL plans a prepared statement's first five runs with its values; then, if a plan made
# without them costs no more, it keeps that one.
CUSTOM_PLANS = 5


def _package(slug, stars=0, description="Tools."):
    return PackageFactory(title=slug, slug=slug, repo_watchers=stars, repo_description=description)


def _search_statements():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
            " WHERE statement LIKE 'WITH q AS MATERIALIZED%%'"
        )
        return cursor.fetchall()


@pytest.mark.parametrize(
    ("query", "statements"),
    [
        ("rest framework", 1),  # packages and grids
        ("celery", 1),
        ("djnago", 2),  # and the misspelling's corrected search, of packages only
    ],
)
def test_a_search_is_planned_once_then_runs_on_that_plan(query, statements):
    _package("django-rest-framework", stars=10)
    _package("celery", stars=5)
    GridFactory(title="Celery tools")

    for _ in range(CUSTOM_PLANS + 3):
        search.search(query)

    prepared = _search_statements()
    assert len(prepared) == statements
    for generic, custom in prepared:
        assert custom <= CUSTOM_PLANS
        assert generic >= 3


def test_the_most_starred_rows_are_read_in_order_from_an_index_holding_what_is_tested():
    PackageFactory.create_batch(3)
    walk = postgres._first_starred("t.search_text @@ to_tsquery('simple', 'x')", "20")
    with connection.cursor() as cursor:
        # Whatever the statistics of a three-row table suggest: no plan that reads the table.
        for kind in ("seqscan", "bitmapscan", "sort", "incremental_sort"):
            cursor.execute(f"SET LOCAL enable_{kind} = off")
        cursor.execute(f"EXPLAIN {walk}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("SELECT pg_get_indexdef('package_first_starred_idx'::regclass)")
        (definition,) = cursor.fetchone()

    assert "using package_first_starred_idx" in plan, plan
    assert "Sort" not in plan, plan
    key, included = definition.split(" INCLUDE ")
    assert key.endswith("(repo_watchers DESC, id)")
    tested = set(postgres._FIRST_STARRED_COLUMNS.split(", ")) - {"id", "repo_watchers"}
    assert tested == set(included.strip("()").split(", "))


@pytest.mark.parametrize(
    ("query", "prefixed"),
    [("100%", "100% coverage"), ("a_b", "a_b tools"), ("x\\y", "x\\y kit")],
)
def test_a_prefix_is_compared_as_written_not_as_a_pattern(query, prefixed):
    _package(prefixed, stars=1)
    _package(f"{query.replace('%', '0').replace('_', 'q').replace(chr(92), 'z')}zz more", stars=9)

    hits = {hit.slug: hit.weight for hit in search.search(query)}

    assert hits.get(prefixed) in {search.PREFIX, search.EXACT}
    assert all(weight < search.PREFIX for slug, weight in hits.items() if slug != prefixed)


@pytest.mark.parametrize(
    ("names", "walk"),
    [
        (1, 5000),  # names enough: the most-starred rows are walked, and hold the prefix's rows
        (1, 2),  # walked, but the two most-starred rows hold none: the names' indexes then
        (10, 5000),  # too few names start with it: the names' indexes alone
    ],
)
def test_the_prefix_tier_finds_the_same_rows_whichever_way_it_looks(monkeypatch, names, walk):
    _package("celery", stars=1)
    for n in range(6):
        _package(f"celery-prefix-{n}", stars=100 + n)
        # More starred, and matching in their names: the word tiers' rows, not the prefix's.
        _package(f"tasks-celery-{n}", stars=1_000 + n)
        _package(f"queue-{n}", stars=10_000 + n, description="Runs on celery.")
    monkeypatch.setattr(postgres, "PREFIX_NAMES", names)
    monkeypatch.setattr(postgres, "PREFIX_WALK", walk)

    hits = [(hit.slug, hit.weight) for hit in search.search("celery", limit=4)]

    assert hits == [
        ("celery", search.EXACT),
        ("celery-prefix-5", search.PREFIX),
        ("celery-prefix-4", search.PREFIX),
        ("celery-prefix-3", search.PREFIX),
    ]
