"""Every link in a `.json` (format suffix) response of API v4 resolves to a 200."""

import pytest
from rest_framework.test import APIClient

from tests.factories import (
    CategoryFactory,
    ElementFactory,
    FeatureFactory,
    GridFactory,
    GridPackageFactory,
    PackageFactory,
    VersionFactory,
)

pytestmark = pytest.mark.django_db

HOST = "http://testserver"


@pytest.fixture
def catalogue():
    category = CategoryFactory(id=4, slug="apps")
    package = PackageFactory(id=1, slug="widgets", category=category)
    other = PackageFactory(id=2, slug="gadgets", category=CategoryFactory(id=5))
    VersionFactory.create_batch(2, package=package)
    grid = GridFactory(id=3, slug="forms")
    feature = FeatureFactory(id=6, grid=grid)
    for member in (package, other):
        ElementFactory(grid_package=GridPackageFactory(grid=grid, package=member), feature=feature)


def _links(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from _links(item)
    elif isinstance(value, list):
        for item in value:
            yield from _links(item)
    elif isinstance(value, str) and value.startswith(f"{HOST}/"):
        yield value


# Resources whose JSON holds no links; they must still answer 200 with the suffix.
LINKLESS = {"/api/v4/packages/1/score.json", "/api/v4/categories/4.json"}


@pytest.mark.parametrize(
    "path",
    [
        "/api/v4/.json",
        "/api/v4/packages.json?limit=1",
        "/api/v4/packages/1.json",
        "/api/v4/packages/widgets.json",
        "/api/v4/packages/1/score.json",
        "/api/v4/packages/1/versions.json?limit=1",
        "/api/v4/grids.json?limit=1",
        "/api/v4/grids/3.json",
        "/api/v4/grids/3/comparison.json",
        "/api/v4/grids/3/packages.json?limit=1",
        "/api/v4/grids/3/packages/1.json",
        "/api/v4/grids/3/features.json",
        "/api/v4/grids/3/features/6.json",
        "/api/v4/grids/3/cells.json?limit=1",
        "/api/v4/categories.json?limit=1",
        "/api/v4/categories/4.json",
        "/api/v4/search.json?q=widgets",
    ],
)
def test_every_link_in_a_json_suffix_response_resolves(catalogue, path):
    client = APIClient()
    response = client.get(path)
    assert response.status_code == 200, response.content

    links = sorted(set(_links(response.json())))
    broken = [link for link in links if client.get(link).status_code != 200]

    assert bool(links) != (path in LINKLESS)
    assert broken == []


def test_a_package_in_json_links_its_category_and_grids_with_the_suffix(catalogue):
    body = APIClient().get("/api/v4/packages/1.json").json()

    assert body["category"] == f"{HOST}/api/v4/categories/4.json"
    assert body["grids"] == [f"{HOST}/api/v4/grids/3.json"]
