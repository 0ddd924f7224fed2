"""Search quality: exact and near-exact names above popularity, README's search examples on the
demo catalogue, prefix matching, and one name normalization in Python and SQL."""

import pytest
from django.db import connection
from rest_framework.test import APIClient

import search
from demo.loader import load_demo_catalogue
from packages.models import Package
from search import ranking
from tests.factories import GridFactory, PackageFactory

pytestmark = pytest.mark.django_db


def _slugs(query, **params):
    response = APIClient().get("/api/v4/search/", {"q": query, **params})
    assert response.status_code == 200, response.content
    return [hit["slug"] for hit in response.json()]


@pytest.fixture
def demo():
    load_demo_catalogue()


@pytest.mark.usefixtures("demo")
def test_readme_rest_framework_finds_djangorestframework_first():
    assert _slugs("rest framework")[0] == "djangorestframework"


@pytest.mark.usefixtures("demo")
def test_readme_celery_with_a_limit_finds_the_celery_packages_first():
    slugs = _slugs("celery", limit=50)

    celery = {"django-celery-beat", "django-celery-results", "django-celery-email"}
    assert len(slugs) <= 50
    assert set(slugs[:3]) == celery


@pytest.mark.usefixtures("demo")
@pytest.mark.parametrize("query", ["djangorestframework", "restframework", "django rest framework"])
def test_the_same_words_without_separators_are_an_exact_name(query):
    first = search.search(query)[0]

    assert (first.slug, first.weight) == ("djangorestframework", search.EXACT)


@pytest.mark.parametrize("slug", ["djangorestframework", "django-rest-framework", "rest_framework"])
def test_an_exact_name_ranks_above_popular_description_matches(slug):
    PackageFactory(
        title="popular",
        slug="popular",
        repo_watchers=90_000,
        repo_description="Works with Django REST framework.",
    )
    PackageFactory(
        title="drf-extensions",
        slug="drf-extensions",
        repo_watchers=50_000,
        repo_description="Extensions for Django REST Framework",
    )
    PackageFactory(title=slug, slug=slug, repo_watchers=5, repo_description="Web APIs.")

    assert _slugs("rest framework")[0] == slug


def test_a_word_prefix_finds_the_package():
    PackageFactory(title="django-celery", slug="django-celery", repo_description="Tasks.")
    PackageFactory(title="django-filter", slug="django-filter", repo_description="Filters.")

    assert _slugs("cele") == ["django-celery"]


NAMES = [
    "Django_Widget.Tools",
    "django-rest-framework",
    "DJANGO REST",
    "djangorestframework",
    "django",
    "Django-CMS.x",
    "wagtail",
    "djangox-y",
]


@pytest.mark.parametrize("name", NAMES)
def test_column_normalization_agrees_with_the_query_normalization(name):
    PackageFactory(title=name, slug="one-slug")
    queryset = Package.objects.all()

    row = (
        queryset.alias(normalized=ranking.normalized(queryset, "title"))
        .annotate(n=ranking.normalized(queryset, "title"))
        .annotate(squashed=ranking.squashed(ranking.normalized(queryset, "title")))
        .values("n", "squashed")
        .get()
    )

    assert row == {"n": search.normalize_query(name), "squashed": search.squash_query(name)}


@pytest.mark.postgres
@pytest.mark.parametrize("name", NAMES)
def test_the_migrations_stored_names_agree_with_the_query_normalization(name):
    package = PackageFactory(title=name, slug=name.lower().replace(" ", "-").replace(".", "-"))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT search_title, search_slug FROM packages_package WHERE id = %s", [package.pk]
        )
        stored_title, stored_slug = cursor.fetchone()

    assert stored_title == search.normalize_query(package.title)
    assert stored_slug == search.normalize_query(package.slug)


@pytest.mark.postgres
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("table", ["packages_package", "grids_grid"])
def test_the_stored_squashed_names_and_words_agree_with_the_query_normalization(name, table):
    slug = name.lower().replace(" ", "-").replace(".", "-")
    row = PackageFactory(title=name, slug=slug) if table == "packages_package" else None
    row = row or GridFactory(title=name, slug=slug)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT search_squashed_title, search_squashed_slug, search_words FROM {table}"
            " WHERE id = %s",
            [row.pk],
        )
        squashed_title, squashed_slug, words = cursor.fetchone()

    assert (squashed_title, squashed_slug) == (search.squash_query(name), search.squash_query(slug))
    assert words == f" {search.normalize_query(name)} {search.normalize_query(slug)}"
