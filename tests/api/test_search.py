"""/api/v4/search/: a plain ranked list over packages and grids."""

from datetime import UTC, datetime

import pytest
from django.db import connection

import search
from grids.models import Grid
from packages.models import Package
from tests.factories import CategoryFactory, GridFactory, PackageFactory, VersionFactory

pytestmark = pytest.mark.django_db

WHEN = datetime(2010, 8, 15, 8, 27, 56, 834000, tzinfo=UTC)
LATER = datetime(2024, 2, 3, 4, 5, 6, tzinfo=UTC)


def _search(client, query, **params):
    response = client.get("/api/v4/search/", {"q": query, **params})
    assert response.status_code == 200, response.content
    return response.json()


def _slugs(client, query, **params):
    return [hit["slug"] for hit in _search(client, query, **params)]


CONTRACT_KEYS = [
    "description",
    "title",
    "title_no_prefix",
    "slug_no_prefix",
    "clean_title",
    "absolute_url",
    "created",
    "modified",
    "weight",
    "item_type",
    "slug",
    "category",
    "repo_watchers",
    "repo_forks",
    "pypi_downloads",
    "score",
    "usage",
    "participants",
    "last_committed",
    "last_released",
]


def test_a_package_hit_is_djangopackages_orgs_shape(client):
    category = CategoryFactory(title="App")
    package = PackageFactory(
        title="django-rest_framework",
        slug="django_rest-framework",
        category=category,
        repo_description="Web APIs for Django.",
        repo_watchers=100,
        repo_forks=20,
        participants=["tomchristie", "carltongibson"],
        score=87,
        pypi_downloads=4321,
        last_updated=datetime(2025, 1, 2, tzinfo=UTC),
    )
    Package.objects.filter(pk=package.pk).update(created=WHEN, modified=LATER)
    VersionFactory(package=package, upload_time=datetime(2025, 3, 1, tzinfo=UTC))
    VersionFactory(package=package, upload_time=datetime(2025, 4, 1, tzinfo=UTC), is_yanked=True)
    VersionFactory(package=package, upload_time=datetime(2024, 1, 1, tzinfo=UTC))

    hits = _search(client, "rest framework")

    assert [list(hit)[: len(CONTRACT_KEYS)] for hit in hits] == [CONTRACT_KEYS]
    assert hits == [
        {
            "description": "Web APIs for Django.",
            "title": "django-rest_framework",
            "title_no_prefix": "rest_framework",
            "slug_no_prefix": "rest-framework",
            "clean_title": "django rest framework",
            "absolute_url": "/packages/p/django_rest-framework/",
            "created": "2010-08-15T08:27:56.834000Z",
            "modified": "2024-02-03T04:05:06Z",
            "weight": 100,
            "item_type": "package",
            "slug": "django_rest-framework",
            "category": "App",
            "repo_watchers": 100,
            "repo_forks": 20,
            "pypi_downloads": 4321,
            "score": 87,
            "usage": 0,
            "participants": "tomchristie,carltongibson",
            "last_committed": "2025-01-02T00:00:00Z",
            "last_released": "2025-03-01T00:00:00Z",
            "id": package.pk,
            "url": f"http://testserver/api/v4/packages/{package.pk}/",
        }
    ]


def test_a_grid_hit_is_djangopackages_orgs_shape(client):
    grid = GridFactory(title="REST frameworks", slug="rest-frameworks", description="APIs.")
    Grid.objects.filter(pk=grid.pk).update(created=WHEN, modified=LATER)

    hits = _search(client, "rest")

    assert [list(hit)[: len(CONTRACT_KEYS)] for hit in hits] == [CONTRACT_KEYS]
    assert hits == [
        {
            "description": "APIs.",
            "title": "REST frameworks",
            "title_no_prefix": "REST frameworks",
            "slug_no_prefix": "rest-frameworks",
            "clean_title": "rest frameworks",
            "absolute_url": "/grids/g/rest-frameworks/",
            "created": "2010-08-15T08:27:56.834000Z",
            "modified": "2024-02-03T04:05:06Z",
            "weight": 75,
            "item_type": "grid",
            "slug": "rest-frameworks",
            "category": "",
            "repo_watchers": 0,
            "repo_forks": 0,
            "pypi_downloads": 0,
            "score": 0,
            "usage": 0,
            "participants": "",
            "last_committed": None,
            "last_released": None,
            "id": grid.pk,
            "url": f"http://testserver/api/v4/grids/{grid.pk}/",
        }
    ]


def test_a_package_without_participants_or_category_title_keeps_the_types(client):
    PackageFactory(title="Bare", slug="bare", participants=[], category=CategoryFactory(title=""))

    (hit,) = _search(client, "bare")

    assert (hit["participants"], hit["category"], hit["title_no_prefix"]) == ("", "", "Bare")


def test_exact_then_prefix_then_title_words_then_description(client):
    PackageFactory(slug="mentions", title="Mentions", repo_description="Built on celery.")
    PackageFactory(slug="django-celery-beat", title="django-celery-beat", repo_watchers=900)
    PackageFactory(slug="celery-admin-tools", title="Admin tools for celery", repo_watchers=5000)
    PackageFactory(slug="django-celery", title="django-celery", repo_watchers=1)

    hits = _search(client, "celery")

    assert [hit["slug"] for hit in hits] == [
        "django-celery",
        "celery-admin-tools",
        "django-celery-beat",
        "mentions",
    ]
    assert [hit["weight"] for hit in hits] == [100, 75, 75, 25]


def test_words_anywhere_in_the_title_rank_above_the_description(client):
    PackageFactory(
        slug="desc", title="Other", repo_description="A cache for forms.", repo_watchers=99
    )
    PackageFactory(slug="title-words", title="Forms with cache", repo_watchers=1)

    assert _slugs(client, "cache forms") == ["title-words", "desc"]
    assert [hit["weight"] for hit in _search(client, "cache forms")] == [50, 25]


def test_stars_break_ties(client):
    PackageFactory(slug="django-auth-few", title="django-auth-few", repo_watchers=3)
    PackageFactory(slug="django-auth-many", title="django-auth-many", repo_watchers=300)

    assert _slugs(client, "auth") == ["django-auth-many", "django-auth-few"]


def test_the_django_prefix_is_ignored(client):
    PackageFactory(slug="django-rest-framework", title="Django REST framework")
    PackageFactory(slug="rest-framework-tools", title="Rest framework tools", repo_watchers=10**6)

    assert _slugs(client, "rest framework")[0] == "django-rest-framework"
    assert _slugs(client, "django-rest-framework")[0] == "django-rest-framework"
    # Both are prefix matches once `django ` is dropped; stars decide.
    assert _slugs(client, "Django REST") == ["rest-framework-tools", "django-rest-framework"]


def test_every_word_must_match(client):
    PackageFactory(slug="django-filter", title="django-filter", repo_description="Filtering.")

    assert _slugs(client, "filter") == ["django-filter"]
    assert _slugs(client, "filter nonexistentword") == []


@pytest.mark.parametrize("query", ["", "   ", "---", "\x00"])
def test_empty_query_is_an_empty_list(client, query):
    PackageFactory()

    assert _search(client, query) == []


def test_a_nul_byte_in_the_raw_query_string_is_an_empty_list(client):
    # A literal "%00" would be the words "00", which a package-100 may well match.
    PackageFactory()

    response = client.get("/api/v4/search/?q=%00")

    assert response.status_code == 200
    assert response.json() == []


def test_missing_query_is_an_empty_list(client):
    PackageFactory()

    assert client.get("/api/v4/search/").json() == []


def test_limit_defaults_to_twenty_and_is_capped_at_one_hundred(client):
    PackageFactory.create_batch(120, repo_description="shared word")

    assert len(_search(client, "shared")) == 20
    assert len(_search(client, "shared", limit=5)) == 5
    assert len(_search(client, "shared", limit=500)) == 100


@pytest.mark.parametrize("limit", ["-1", "0", "x"])
def test_bad_limit_is_a_400(client, limit):
    response = client.get("/api/v4/search/", {"q": "x", "limit": limit})

    assert response.status_code == 400
    assert "limit" in response.json()


@pytest.mark.parametrize("hits", [1, 50])
def test_search_needs_at_most_three_queries(client, django_assert_max_num_queries, hits):
    for package in PackageFactory.create_batch(hits, repo_description="needle"):
        VersionFactory.create_batch(2, package=package)
    GridFactory.create_batch(hits, description="needle")

    with django_assert_max_num_queries(3):
        results = _search(client, "needle", limit=100)

    assert len(results) == min(100, 2 * hits)


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("queryset", "description_field", "index"),
    [
        (Package.objects.all, "repo_description", "package_search_text_idx"),
        (Grid.objects.all, "description", "grid_search_text_idx"),
    ],
)
def test_postgresql_matches_through_the_gin_index(queryset, description_field, index):
    PackageFactory.create_batch(3)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")

    plan = search.matching(queryset(), "rest", description_field=description_field).explain()

    assert index in plan


@pytest.mark.postgres
def test_stored_search_columns_follow_every_write():
    package = PackageFactory(title="Django_Widget.Tools", slug="django-widget-tools")
    Package.objects.filter(pk=package.pk).update(repo_description="renders charts")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT search_title, search_slug,"
            " search_text @@ to_tsquery('english', 'charting:*')"
            " FROM packages_package WHERE id = %s",
            [package.pk],
        )
        assert cursor.fetchone() == ("widget tools", "widget tools", True)
    assert [hit.slug for hit in search.search("charts")] == ["django-widget-tools"]
