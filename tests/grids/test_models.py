"""Grid models: one membership per pair, one cell per pair, cascades and ordering."""

import pytest
from django.db import IntegrityError, transaction

from grids.models import Element, Grid, GridPackage
from tests.factories import (
    ElementFactory,
    FeatureFactory,
    GridFactory,
    GridPackageFactory,
)

pytestmark = pytest.mark.django_db


def test_a_package_joins_a_grid_once():
    membership = GridPackageFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        GridPackage.objects.create(grid=membership.grid, package=membership.package)


def test_a_cell_exists_once_per_row_and_feature():
    element = ElementFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Element.objects.create(
            grid_package=element.grid_package, feature=element.feature, text="again"
        )


def test_grid_slug_is_unique():
    GridFactory(slug="orms")
    with pytest.raises(IntegrityError), transaction.atomic():
        GridFactory(slug="orms")


def test_deleting_a_grid_removes_its_rows_features_and_cells_but_not_packages():
    element = ElementFactory()
    package = element.grid_package.package
    element.grid_package.grid.delete()
    assert not Element.objects.exists()
    assert not GridPackage.objects.exists()
    package.refresh_from_db()


def test_deleting_a_package_removes_its_rows_and_cells():
    element = ElementFactory()
    grid = element.grid_package.grid
    element.grid_package.package.delete()
    assert Grid.objects.filter(pk=grid.pk).exists()
    assert not Element.objects.exists()


def test_grids_are_ordered_by_title_and_features_by_id():
    GridFactory(title="b grid")
    grid = GridFactory(title="a grid")
    first = FeatureFactory(grid=grid, title="z")
    second = FeatureFactory(grid=grid, title="a")
    assert [g.title for g in Grid.objects.all()] == ["a grid", "b grid"]
    assert list(grid.features.all()) == [first, second]
