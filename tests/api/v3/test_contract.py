"""API v3 contract: the whole body of each resource, a list page with `meta`, the 404 body,
and the bytes (separators, escaped non-ASCII, millisecond UTC datetimes)."""

from datetime import UTC, datetime

import pytest

from categories.models import Category
from grids.models import Grid
from packages.models import Package
from tests.factories import CategoryFactory, GridFactory, GridPackageFactory, PackageFactory

pytestmark = pytest.mark.django_db

WHEN = datetime(2010, 8, 15, 8, 27, 56, 834512, tzinfo=UTC)
LATER = datetime(2024, 2, 3, 4, 5, 6, tzinfo=UTC)


@pytest.fixture
def catalogue():
    category = CategoryFactory(
        slug="apps",
        title="App",
        title_plural="Apps",
        description="Small components.",
        show_pypi=True,
    )
    package = PackageFactory(
        slug="django-widgets",
        title="django-widgets",
        category=category,
        repo_url="https://github.com/acme/django-widgets",
        repo_description="Widgets \u2014 caf\u00e9.",
        repo_watchers=12,
        repo_forks=3,
        pypi_url="django-widgets",
        pypi_version="2.1.0",
        documentation_url="https://widgets.readthedocs.io/",
        participants=["ann", "bob"],
        commits_over_52=[0] * 50 + [1, 3],
        last_fetched=LATER,
    )
    for slug, title in (("zforms", "Forms"), ("admin", "Admin")):
        GridPackageFactory(grid=GridFactory(slug=slug, title=title), package=package)
    Package.objects.update(created=WHEN, modified=LATER)
    Grid.objects.update(created=WHEN, modified=LATER)
    Category.objects.update(created=WHEN, modified=LATER)
    return package


PACKAGE = {
    "absolute_url": "/packages/p/django-widgets/",
    "created": "2010-08-15T08:27:56.834Z",
    "modified": "2024-02-03T04:05:06Z",
    "slug": "django-widgets",
    "title": "django-widgets",
    "category": "/api/v3/categories/apps/",
    "commit_list": ",".join(["0"] * 50 + ["1", "3"]),
    "commits_over_52": ",".join(["0"] * 50 + ["1", "3"]),
    "created_by": None,
    "documentation_url": "https://widgets.readthedocs.io/",
    "grids": ["/api/v3/grids/admin/", "/api/v3/grids/zforms/"],
    "last_fetched": "2024-02-03T04:05:06Z",
    "last_modified_by": None,
    "participants": "ann,bob",
    "pypi_url": "https://pypi.org/project/django-widgets/",
    "pypi_version": "2.1.0",
    "repo_description": "Widgets \u2014 caf\u00e9.",
    "repo_forks": 3,
    "repo_url": "https://github.com/acme/django-widgets",
    "repo_watchers": 12,
    "resource_uri": "/api/v3/packages/django-widgets/",
    "usage_count": 0,
}


def _json(client, path):
    response = client.get(path)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    return response.json()


def test_a_package_is_the_whole_v3_object_in_order(client, catalogue):
    body = _json(client, "/api/v3/packages/django-widgets/")

    assert list(body) == list(PACKAGE)
    assert body == PACKAGE


def test_a_grid_is_the_whole_v3_object_in_order(client, catalogue):
    expected = {
        "absolute_url": "/grids/g/zforms/",
        "created": "2010-08-15T08:27:56.834Z",
        "modified": "2024-02-03T04:05:06Z",
        "slug": "zforms",
        "title": "Forms",
        "description": "Packages compared.",
        "is_locked": False,
        "resource_uri": "/api/v3/grids/zforms/",
        "header": False,
        "packages": ["/api/v3/packages/django-widgets/"],
    }

    body = _json(client, "/api/v3/grids/zforms/")

    assert list(body) == list(expected)
    assert body == expected


def test_a_category_is_the_whole_v3_object_in_order(client, catalogue):
    expected = {
        "absolute_url": "/categories/apps/",
        "created": "2010-08-15T08:27:56.834Z",
        "modified": "2024-02-03T04:05:06Z",
        "slug": "apps",
        "title": "App",
        "description": "Small components.",
        "resource_uri": "/api/v3/categories/apps/",
        "show_pypi": True,
        "title_plural": "Apps",
    }

    body = _json(client, "/api/v3/categories/apps/")

    assert list(body) == list(expected)
    assert body == expected


def test_a_list_page_has_meta_category_and_objects(client, catalogue):
    PackageFactory(slug="a-first", title="A first", category=catalogue.category)

    body = _json(client, "/api/v3/packages/?limit=1")

    assert list(body) == ["meta", "category", "objects"]
    assert body["meta"] == {
        "limit": 1,
        "next": "/api/v3/packages/?limit=1&offset=1",
        "offset": 0,
        "previous": None,
        "total_count": 2,
    }
    assert body["category"] is None
    assert [item["slug"] for item in body["objects"]] == ["a-first"]


def test_a_grid_packages_list_names_its_grid(client, catalogue):
    body = _json(client, "/api/v3/grids/admin/packages/")

    assert list(body) == ["meta", "grid", "objects"]
    assert body["grid"] == "/api/v3/grids/admin/"
    assert body["meta"]["total_count"] == 1
    assert body["objects"] == [PACKAGE]


def test_the_root_lists_the_resources(client):
    assert _json(client, "/api/v3/") == {
        "categories": "/api/v3/categories/",
        "grids": "/api/v3/grids/",
        "packages": "/api/v3/packages/",
    }


@pytest.mark.parametrize(
    ("path", "model"),
    [
        ("/api/v3/packages/nope/", "Package"),
        ("/api/v3/grids/nope/", "Grid"),
        ("/api/v3/grids/nope/packages/", "Grid"),
        ("/api/v3/categories/nope/", "Category"),
    ],
)
def test_a_missing_object_is_the_v3_404_body(client, path, model):
    response = client.get(path)

    assert response.status_code == 404
    assert response.content == (
        b'{"error": 404, "message": "No ' + model.encode() + b' matches the given query."}'
    )


def test_the_bytes_use_spaced_separators_and_escape_non_ascii(client, catalogue):
    content = client.get("/api/v3/packages/django-widgets/").content

    assert content.startswith(b'{"absolute_url": "/packages/p/django-widgets/", "created": ')
    assert b'"repo_description": "Widgets \\u2014 caf\\u00e9.", ' in content
    assert content.isascii()


def test_writes_are_refused_with_a_v3_error(client, catalogue):
    response = client.post("/api/v3/packages/", {})

    assert response.status_code == 405
    assert response.json() == {"error": 405, "message": 'Method "POST" not allowed.'}
