"""Grid and category endpoints, the API root, and their query budgets."""

from datetime import UTC, datetime

import pytest

from categories.models import Category
from grids.models import Grid
from tests.factories import CategoryFactory, GridFactory, GridPackageFactory, PackageFactory

pytestmark = pytest.mark.django_db

WHEN = datetime(2023, 3, 4, 5, 6, 7, tzinfo=UTC)


def _slugs(response):
    assert response.status_code == 200, response.content
    return [item["slug"] for item in response.json()["results"]]


def test_root_lists_every_resource(client):
    body = client.get("/api/v4/").json()

    assert body == {
        "categories": "http://testserver/api/v4/categories/",
        "grids": "http://testserver/api/v4/grids/",
        "packages": "http://testserver/api/v4/packages/",
        "search": "http://testserver/api/v4/search/",
    }


def test_category_detail_is_the_whole_object(client):
    category = CategoryFactory(
        id=4,
        title="App",
        slug="apps",
        description="Small reusable apps.",
        title_plural="Apps",
        show_pypi=True,
    )
    Category.objects.filter(pk=category.pk).update(created=WHEN, modified=WHEN)

    response = client.get("/api/v4/categories/apps/")

    assert response.json() == {
        "id": 4,
        "title": "App",
        "slug": "apps",
        "description": "Small reusable apps.",
        "title_plural": "Apps",
        "show_pypi": True,
        "created": "2023-03-04T05:06:07Z",
        "modified": "2023-03-04T05:06:07Z",
    }
    assert client.get("/api/v4/categories/4/").json() == response.json()


def test_unknown_category_is_a_json_404(client):
    response = client.get("/api/v4/categories/nope/")

    assert response.status_code == 404
    assert response.json() == {"detail": "No Category matches the given query."}


@pytest.mark.parametrize("page_size", [1, 50])
def test_category_list_is_one_statement(client, django_assert_num_queries, page_size):
    for category in CategoryFactory.create_batch(50):
        PackageFactory.create_batch(2, category=category)

    with django_assert_num_queries(1):  # the count and the page's documents
        response = client.get(f"/api/v4/categories/?limit={page_size}")

    assert len(response.json()["results"]) == page_size


def test_category_detail_needs_at_most_two_queries(client, django_assert_max_num_queries):
    category = CategoryFactory()

    with django_assert_max_num_queries(2):
        assert client.get(f"/api/v4/categories/{category.slug}/").status_code == 200


def test_grid_detail_is_the_whole_object(client):
    grid = GridFactory(
        id=218, title="Forms", slug="forms", description="Form libraries.", header=True
    )
    Grid.objects.filter(pk=grid.pk).update(created=WHEN, modified=WHEN)
    for pk in (12, 10):
        GridPackageFactory(grid=grid, package=PackageFactory(id=pk))

    response = client.get("/api/v4/grids/forms/?format=json")

    assert response.json() == {
        "id": 218,
        "title": "Forms",
        "slug": "forms",
        "description": "Form libraries.",
        "is_locked": False,
        "packages": [
            "http://testserver/api/v4/packages/10/?format=json",
            "http://testserver/api/v4/packages/12/?format=json",
        ],
        "header": True,
        "created": "2023-03-04T05:06:07Z",
        "modified": "2023-03-04T05:06:07Z",
    }


def test_grid_lookup_by_id_and_404(client):
    grid = GridFactory()

    assert client.get(f"/api/v4/grids/{grid.pk}/").json()["slug"] == grid.slug
    assert client.get("/api/v4/grids/404/").status_code == 404


@pytest.mark.parametrize("page_size", [1, 50])
def test_grid_list_query_count_does_not_grow(client, django_assert_num_queries, page_size):
    packages = PackageFactory.create_batch(4)
    for grid in GridFactory.create_batch(50):
        for package in packages:
            GridPackageFactory(grid=grid, package=package)

    with django_assert_num_queries(1):
        response = client.get(f"/api/v4/grids/?limit={page_size}")

    assert len(response.json()["results"]) == page_size
    assert len(response.json()["results"][-1]["packages"]) == 4


def test_grid_detail_query_count(client, django_assert_max_num_queries):
    grid = GridFactory()
    for package in PackageFactory.create_batch(30):
        GridPackageFactory(grid=grid, package=package)

    with django_assert_max_num_queries(3):
        response = client.get(f"/api/v4/grids/{grid.slug}/")

    assert len(response.json()["packages"]) == 30


def test_grid_filters(client):
    featured = GridFactory(slug="featured", header=True, title="Featured forms")
    GridFactory(slug="locked", is_locked=True, title="Admin themes")
    GridFactory(slug="plain", title="Caching", description="Cache backends.")
    package = PackageFactory(slug="django-crispy-forms")
    GridPackageFactory(grid=featured, package=package)

    assert _slugs(client.get("/api/v4/grids/?header=true")) == ["featured"]
    assert _slugs(client.get("/api/v4/grids/?is_locked=true")) == ["locked"]
    assert _slugs(client.get("/api/v4/grids/?is_locked=false&header=false")) == ["plain"]
    assert _slugs(client.get("/api/v4/grids/?package=django-crispy-forms")) == ["featured"]
    assert _slugs(client.get(f"/api/v4/grids/?package={package.pk}")) == ["featured"]
    assert _slugs(client.get("/api/v4/grids/?package=unknown")) == []
    assert _slugs(client.get("/api/v4/grids/?q=cache")) == ["plain"]


def test_grid_ordering(client):
    for slug, title, day in [("b", "Beta", 2), ("a", "Alpha", 3), ("c", "Gamma", 1)]:
        grid = GridFactory(slug=slug, title=title)
        Grid.objects.filter(pk=grid.pk).update(
            created=datetime(2020, 1, day, tzinfo=UTC),
            modified=datetime(2021, 1, 4 - day, tzinfo=UTC),
        )

    assert _slugs(client.get("/api/v4/grids/?ordering=title")) == ["a", "b", "c"]
    assert _slugs(client.get("/api/v4/grids/?ordering=-created")) == ["a", "b", "c"]
    assert _slugs(client.get("/api/v4/grids/?ordering=modified")) == ["a", "b", "c"]
    assert client.get("/api/v4/grids/?ordering=secret").status_code == 400
    assert client.get("/api/v4/grids/?header=perhaps").status_code == 400
