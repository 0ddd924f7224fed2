"""Grid content writes that reach past what the caller owns or past a grid's bounds (issue 16,
4 and 10): removing a row with someone else's cells is a 403 saying why; a full grid is a 400
naming the bound; neither changes anything."""

import pytest
from rest_framework.test import APIClient

from grids.models import Element, GridPackage
from tests.api.test_permissions import snapshot
from tests.factories import (
    ElementFactory,
    FeatureFactory,
    GridFactory,
    GridPackageFactory,
    PackageFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    return {name: UserFactory(username=name) for name in ("alice", "bob")} | {
        "staff": UserFactory(username="staff", is_staff=True)
    }


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def row_with_alices_cell(people):
    grid = GridFactory(slug="g")
    row = GridPackageFactory(grid=grid, package=PackageFactory(slug="p"), created_by=people["bob"])
    ElementFactory(grid_package=row, feature=FeatureFactory(grid=grid), created_by=people["alice"])
    return row


def test_removing_a_row_with_someone_elses_cell_is_403_saying_why(people, row_with_alices_cell):
    before = snapshot()

    response = client_for(people["bob"]).delete("/api/v4/grids/g/packages/p/")

    assert response.status_code == 403
    assert "1 cell(s) someone else wrote" in response.json()["detail"]
    assert snapshot() == before


@pytest.mark.parametrize("who", ["alice", "staff"])
def test_the_cells_creator_or_staff_may_remove_the_row(people, row_with_alices_cell, who):
    response = client_for(people[who]).delete("/api/v4/grids/g/packages/p/")

    assert response.status_code == 204
    assert not GridPackage.objects.exists()
    assert not Element.objects.exists()


def test_a_row_without_cells_is_anyones_to_remove(people):
    GridPackageFactory(grid=GridFactory(slug="g"), package=PackageFactory(slug="p"))

    assert client_for(people["bob"]).delete("/api/v4/grids/g/packages/p/").status_code == 204


def test_deleting_a_feature_with_someone_elses_cell_is_403(people):
    grid = GridFactory(slug="g")
    feature = FeatureFactory(grid=grid, created_by=people["bob"])
    ElementFactory(
        grid_package=GridPackageFactory(grid=grid), feature=feature, created_by=people["alice"]
    )

    response = client_for(people["bob"]).delete(f"/api/v4/grids/g/features/{feature.pk}/")

    assert response.status_code == 403
    assert "someone else wrote" in response.json()["detail"]


def test_a_full_grid_refuses_another_package_naming_the_bound(people, settings):
    settings.GRID_MAX_PACKAGES = 2
    grid = GridFactory(slug="g")
    GridPackageFactory.create_batch(2, grid=grid)
    PackageFactory(slug="third")
    before = snapshot()

    response = client_for(people["bob"]).post(
        "/api/v4/grids/g/packages/", {"package": "third"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "grid": ["A grid holds at most 2 packages (GRID_MAX_PACKAGES); this one is full."]
    }
    assert snapshot() == before


def test_a_full_grid_refuses_another_feature_naming_the_bound(people, settings):
    settings.GRID_MAX_FEATURES = 1
    FeatureFactory(grid=GridFactory(slug="g"))

    response = client_for(people["bob"]).post(
        "/api/v4/grids/g/features/", {"title": "One more"}, format="json"
    )

    assert response.status_code == 400
    assert "GRID_MAX_FEATURES" in response.json()["grid"][0]


def test_a_full_grid_refuses_a_new_cell_but_overwrites_an_old_one(people, settings):
    settings.GRID_MAX_CELLS = 1
    grid = GridFactory(slug="g")
    row = GridPackageFactory(grid=grid, package=PackageFactory(slug="p"))
    taken, free = FeatureFactory(grid=grid), FeatureFactory(grid=grid)
    ElementFactory(grid_package=row, feature=taken, text="old")
    client = client_for(people["bob"])

    refused = client.post(
        "/api/v4/grids/g/cells/", {"package": "p", "feature": free.pk, "text": "x"}, format="json"
    )
    overwritten = client.post(
        "/api/v4/grids/g/cells/",
        {"package": "p", "feature": taken.pk, "text": "new"},
        format="json",
    )

    assert refused.status_code == 400
    assert "GRID_MAX_CELLS" in refused.json()["grid"][0]
    assert overwritten.status_code == 200
    assert list(Element.objects.values_list("text", flat=True)) == ["new"]


def test_grid_bounds_default_to_the_documented_values(settings):
    assert (settings.GRID_MAX_PACKAGES, settings.GRID_MAX_FEATURES, settings.GRID_MAX_CELLS) == (
        200,
        50,
        5000,
    )
