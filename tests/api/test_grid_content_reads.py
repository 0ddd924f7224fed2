"""Read side of the grid content endpoints: whole bodies and query budgets at two page sizes."""

import pytest
from rest_framework.test import APIClient

from tests.factories import ElementFactory, FeatureFactory, GridFactory, GridPackageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def grid():
    grid = GridFactory(id=9, slug="g")
    features = FeatureFactory.create_batch(3, grid=grid)
    for _ in range(5):
        membership = GridPackageFactory(grid=grid)
        for feature in features:
            ElementFactory(grid_package=membership, feature=feature)
    return grid


@pytest.mark.parametrize("path", ["packages", "features", "cells"])
@pytest.mark.parametrize("limit", [2, 100])
def test_list_query_budget(grid, django_assert_num_queries, path, limit):
    # The grid, the count, the page; nothing per row.
    with django_assert_num_queries(3):
        response = APIClient().get(f"/api/v4/grids/g/{path}/?limit={limit}")

    assert response.status_code == 200
    assert len(response.json()["results"]) == min(limit, response.json()["count"])


def test_membership_detail_is_the_whole_row(grid):
    membership = grid.grid_packages.first()
    package = membership.package

    response = APIClient().get(f"/api/v4/grids/g/packages/{package.slug}/")

    assert response.json() == {
        "grid": "http://testserver/api/v4/grids/9/",
        "package": f"http://testserver/api/v4/packages/{package.pk}/",
        "created": response.json()["created"],
    }
    assert APIClient().get(f"/api/v4/grids/g/packages/{package.pk}/").json() == response.json()


def test_an_unknown_grid_is_a_404(grid):
    for path in ("packages", "features", "cells"):
        response = APIClient().get(f"/api/v4/grids/nope/{path}/")
        assert response.status_code == 404
        assert response.json() == {"detail": "No Grid matches the given query."}
