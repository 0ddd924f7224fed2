"""Edits write only the columns they change, through the same services from the API and the
admin: a new repository queues a fetch, grid rows and features go through the grid services."""

import pytest
from django.urls import reverse
from django.utils import timezone

from grids.editing import update_grid
from grids.models import Grid
from packages.editing import update_package
from packages.models import Package
from tests.factories import FeatureFactory, GridFactory, PackageFactory, UserFactory
from tests.packages.conftest import admin_package_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


def grid_form(grid, *, features=(), **edited):
    data = {
        "title": grid.title,
        "slug": grid.slug,
        "description": grid.description,
        "features-TOTAL_FORMS": str(len(features)),
        "features-INITIAL_FORMS": "0",
        "features-MIN_NUM_FORMS": "0",
        "features-MAX_NUM_FORMS": "1000",
        "grid_packages-TOTAL_FORMS": "0",
        "grid_packages-INITIAL_FORMS": "0",
        "grid_packages-MIN_NUM_FORMS": "0",
        "grid_packages-MAX_NUM_FORMS": "1000",
        **edited,
    }
    for i, title in enumerate(features):
        data[f"features-{i}-title"] = title
        data[f"features-{i}-description"] = ""
        data[f"features-{i}-grid"] = grid.pk
    return data


def test_update_writes_only_the_changed_columns_of_a_stale_instance():
    package = PackageFactory(title="Old", repo_watchers=1)
    Package.objects.filter(pk=package.pk).update(repo_watchers=500, pypi_version="2.0")
    update_package(package=package, user=None, changes={"title": "New"})
    package.refresh_from_db()
    assert (package.title, package.repo_watchers, package.pypi_version) == ("New", 500, "2.0")


def test_admin_change_of_repo_url_queues_a_fetch(client, staff):
    package = PackageFactory(repo_url="https://github.com/o/old", last_fetched=timezone.now())
    url = reverse("admin:packages_package_change", args=[package.pk])
    response = client.post(url, admin_package_form(package, repo_url="https://github.com/o/new"))
    assert response.status_code == 302, response.content
    package.refresh_from_db()
    assert package.repo_url == "https://github.com/o/new"
    assert package.last_fetched is None  # first in line for the next run
    assert package.last_modified_by == staff


def test_admin_change_of_the_title_keeps_the_fetch_state_and_fetched_stats(client, staff):
    package = PackageFactory(last_fetched=timezone.now(), repo_watchers=1)
    form = admin_package_form(package, title="Renamed")
    Package.objects.filter(pk=package.pk).update(repo_watchers=77)  # a fetch wrote meanwhile
    response = client.post(reverse("admin:packages_package_change", args=[package.pk]), form)
    assert response.status_code == 302, response.content
    package.refresh_from_db()
    assert (package.title, package.repo_watchers) == ("Renamed", 77)
    assert package.last_fetched is not None


def test_admin_add_goes_through_the_editing_service(client, staff):
    category = PackageFactory().category
    form = admin_package_form(PackageFactory.build(category=category), slug="brand-new")
    response = client.post(reverse("admin:packages_package_add"), form)
    assert response.status_code == 302, response.content
    package = Package.objects.get(slug="brand-new")
    assert (package.created_by, package.last_modified_by) == (staff, staff)
    assert package.last_fetched is None


def test_grid_update_writes_only_the_changed_columns_of_a_stale_instance():
    grid = GridFactory(title="Old", description="Old words")
    Grid.objects.filter(pk=grid.pk).update(description="Edited meanwhile")
    update_grid(grid=grid, user=None, changes={"title": "New"})
    grid.refresh_from_db()
    assert (grid.title, grid.description) == ("New", "Edited meanwhile")


def test_grid_admin_saves_the_grid_and_its_features_through_the_services(client, staff):
    grid = GridFactory(description="Old words")
    form = grid_form(grid, title="Retitled", features=["Async"])
    response = client.post(reverse("admin:grids_grid_change", args=[grid.pk]), form)
    assert response.status_code == 302, response.content
    grid.refresh_from_db()
    assert (grid.title, grid.description) == ("Retitled", "Old words")
    assert [f.title for f in grid.features.all()] == ["Async"]
    assert grid.features.get().created_by == staff  # set by grids.editing.create_feature
    assert grid.last_modified_by == staff


def test_grid_admin_refuses_features_past_the_bound_with_a_message(client, staff, settings):
    settings.GRID_MAX_FEATURES = 1
    grid = GridFactory()
    FeatureFactory(grid=grid)
    response = client.post(
        reverse("admin:grids_grid_change", args=[grid.pk]),
        grid_form(grid, features=["One too many"]),
        follow=True,
    )
    assert response.status_code == 200
    assert "A grid holds at most 1 features" in response.content.decode()
    assert grid.features.count() == 1
