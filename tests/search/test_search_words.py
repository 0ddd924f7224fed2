"""PostgreSQL's list of every word in the search documents (`packages_search_word`,
packages.0018): kept equal to the documents by every kind of write, and read so that a query
needing a word no package has never reaches the words' index, without losing a hit."""

import pytest
from django.db import connection

import search
from catalogue.importer import import_bundle
from categories.models import Category
from common.postgresql.prepared import prepared_cursor
from packages.models import Package
from search import postgres, rows
from search.names import LAST_CHARACTER
from tests.factories import CategoryFactory, PackageFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def _rows(sql):
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return sorted(cursor.fetchall())


def _stored_words():
    return _rows("SELECT word, packages FROM packages_search_word")


def _document_words():
    return _rows(
        "SELECT word, count(*) FROM packages_package,"
        " unnest(tsvector_to_array(search_text)) AS word GROUP BY word"
    )


def _package(slug, description="Tools.", **fields):
    return PackageFactory(title=slug, slug=slug, repo_description=description, **fields)


def _saved(package):
    package.repo_description = "Caching zanzibar widgets."
    package.save()


def _updated(package):
    Package.objects.filter(pk=package.pk).update(
        repo_description="Renders charts.", participants=["octocat"], title="quokka-tools"
    )


def _category_renamed(package):
    Category.objects.filter(pk=package.category_id).update(title="Frameworks")


def _moved(package):
    package.category = CategoryFactory(title="Projects", slug="projects")
    package.save()


def _deleted(package):
    package.delete()


def _all_deleted(package):
    Package.objects.all().delete()


def _truncated(package):
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("TRUNCATE packages_package CASCADE")


def _imported(package):
    import_bundle(
        {
            "categories": [{"id": 7, "title": "Apps", "slug": "apps"}],
            "packages": [
                {
                    "id": package.pk,
                    "title": "django-importedthing",
                    "slug": "django-importedthing",
                    "category": 7,
                    "repo_description": "Caching for imports.",
                    "participants": ["zorglub"],
                },
                {"id": package.pk + 1000, "title": "brand-new", "slug": "brand-new", "category": 7},
            ],
            "grids": [],
        }
    )


@pytest.mark.parametrize(
    "write",
    [
        _saved,
        _updated,
        _category_renamed,
        _moved,
        _deleted,
        _all_deleted,
        _truncated,
        _imported,
    ],
)
def test_the_stored_words_are_the_documents_words_after_each_kind_of_write(write):
    package = _package("django-alpha", description="Alpha widgets.", participants=["ann"])
    _package("beta-widgets", description="Widgets for forms.")
    assert _stored_words() == _document_words()
    before = _stored_words()

    write(Package.objects.get(pk=package.pk))

    assert _stored_words() == _document_words()
    assert _stored_words() != before


def _statement_runs(query, monkeypatch):
    """The packages' statement of `search.search(query)`'s strict search, as EXPLAIN ANALYZE
    shows it run."""
    plans = []

    def explained(sql, params, fields):
        with connection.cursor() as cursor:
            # The plan of a large catalogue, whatever a small one's statistics suggest.
            cursor.execute("SET LOCAL enable_seqscan = off")
        with prepared_cursor(native=True) as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) {sql}", params)
            plans.append("\n".join(line for (line,) in cursor.fetchall()))
        return []

    monkeypatch.setattr(rows, "fetch_rows", explained)
    postgres.search_packages(query.split(), query, limit=20)
    return plans[0]


def _words_index_scan(plan):
    return next(line for line in plan.splitlines() if "package_search_text_idx" in line)


def test_a_query_needing_a_word_no_package_has_never_reads_the_words_index(monkeypatch):
    for n in range(5):  # fewer than the limit: a known word's search reads the index
        _package(f"widget-kit-{n}", description="Widget tools.")

    unknown = _words_index_scan(_statement_runs("zqxvw widget", monkeypatch))
    known = _words_index_scan(_statement_runs("kit widget", monkeypatch))

    assert "never executed" in unknown
    assert "never executed" not in known


QUERIES = [
    "widget",
    "widg",
    "w",
    "caching",  # found by its english stem: "Cached", "cache"
    "cach",
    "the",  # a stop word: its simple form only
    "restframework",  # the words written together
    "djangorestframework",
    "rest framework",
    "rest frame",
    "oauth2",
    "café",
    "octocat",  # a contributor
    "framework apps",  # a category
    "zqxvw",
    "zqxvw widget",
    "widget zqxvw",
]


@pytest.mark.parametrize("query", QUERIES)
def test_the_words_look_up_loses_no_hit(monkeypatch, query):
    apps = CategoryFactory(title="Apps", slug="apps")
    _package("django-rest-framework", description="Web APIs.", repo_watchers=50)
    _package("djangorestframework-kit", description="Cached widgets.", repo_watchers=40)
    _package("oauth2-tools", description="Café the widget cache.", repo_watchers=30)
    _package("framework", description="Caching.", participants=["octocat"], category=apps)
    for n in range(4):
        _package(f"widget-{n}", description="Widgets, the rest.", repo_watchers=n)
    found = [(hit.slug, hit.weight) for hit in search.search(query)]

    monkeypatch.setattr(postgres, "could_match", lambda query: "true")
    assert [(hit.slug, hit.weight) for hit in search.search(query)] == found
    assert found or query.startswith(("zqxvw", "widget zqxvw"))


@pytest.mark.parametrize(
    ("tsquery", "possible"),
    [
        ("to_tsquery('simple', 'alpha_beta:*')", True),  # a phrase: both words, anywhere
        ("to_tsquery('simple', 'alpha_gamma:*')", False),
        ("to_tsquery('simple', 'alp:* & bet:*')", True),
        ("to_tsquery('simple', 'gam:* | bet:*')", True),
        ("to_tsquery('simple', 'gam:* & bet:*')", False),
    ],
)
def test_a_query_could_match_when_the_documents_hold_each_word_it_needs(tsquery, possible):
    _package("alpha-tools", description="Beta.")

    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH q AS (SELECT %s::text AS last) SELECT {postgres.could_match(tsquery)}",
            [LAST_CHARACTER],
        )
        assert cursor.fetchone() == (possible,)
