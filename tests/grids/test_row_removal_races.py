"""Removing a grid row while someone writes a cell in it: the grid row, then the membership,
then the cells are locked in that order by every grid edit, so the two serialize. A cell
created (201) survives, and the removal that would have deleted another user's cell is refused;
or the removal wins and the cell is refused. A deadlock is never reported as an outage."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from api import editing as api_editing
from grids.models import Element, GridPackage
from tests.factories import FeatureFactory, GridPackageFactory, UserFactory


@pytest.fixture
def users():
    return UserFactory(username="remover"), UserFactory(username="writer")


def signed_in(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def remove_row(client, membership):
    grid, package = membership.grid.slug, membership.package.slug
    return client.delete(f"/api/v4/grids/{grid}/packages/{package}/")


def write_cell(client, membership, feature):
    body = {"package": membership.package.slug, "feature": feature.pk, "text": "Yes"}
    return client.post(f"/api/v4/grids/{membership.grid.slug}/cells/", body, format="json")


@pytest.mark.django_db(transaction=True)
def test_a_cell_written_after_the_removal_was_allowed_is_not_cascaded_away(users, monkeypatch):
    remover, writer = users
    membership = GridPackageFactory(created_by=remover)
    feature = FeatureFactory(grid=membership.grid, created_by=remover)
    remove = api_editing.grid_editing.remove_package

    def cell_lands_in_between(**kwargs):
        # Another user's cell commits after the permission check, before the row is removed.
        assert write_cell(signed_in(writer), membership, feature).status_code == 201
        return remove(**kwargs)

    monkeypatch.setattr(api_editing.grid_editing, "remove_package", cell_lands_in_between)

    response = remove_row(signed_in(remover), membership)

    assert response.status_code == 403, response.content
    assert "cell(s) someone else wrote" in response.json()["detail"]
    assert GridPackage.objects.filter(pk=membership.pk).exists()
    assert Element.objects.get().created_by == writer


@pytest.mark.django_db(transaction=True)
def test_a_cell_for_a_row_removed_meanwhile_is_refused(users, monkeypatch):
    from grids import editing

    remover, writer = users
    membership = GridPackageFactory(created_by=remover)
    feature = FeatureFactory(grid=membership.grid, created_by=remover)
    set_cell = editing.set_cell

    def row_removed_in_between(**kwargs):
        # The row goes after the cell's validation found it, before the cell is written.
        assert remove_row(signed_in(remover), membership).status_code == 204
        return set_cell(**kwargs)

    monkeypatch.setattr("api.serializers.write.set_cell", row_removed_in_between)

    response = write_cell(signed_in(writer), membership, feature)

    assert response.status_code == 400, response.content
    assert response.json() == {
        "package": ["This package is not in this grid: add it to the grid first."]
    }
    assert not Element.objects.exists()


ROUNDS = 30


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_concurrent_row_removals_and_cell_writes_stay_consistent(users):
    remover, writer = users
    outcomes = []
    for _ in range(ROUNDS):
        membership = GridPackageFactory(created_by=remover)
        feature = FeatureFactory(grid=membership.grid, created_by=remover)
        start = threading.Barrier(2)
        statuses = {}

        def run(name, action, start=start, statuses=statuses):
            try:
                start.wait()
                statuses[name] = action().status_code
            finally:
                connection.close()

        threads = [
            threading.Thread(
                target=run, args=("remove", lambda m=membership: remove_row(signed_in(remover), m))
            ),
            threading.Thread(
                target=run,
                args=("cell", lambda m=membership, f=feature: write_cell(signed_in(writer), m, f)),
            ),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        row_kept = GridPackage.objects.filter(pk=membership.pk).exists()
        cell_kept = Element.objects.filter(grid_package_id=membership.pk).exists()
        outcomes.append((statuses.get("remove"), statuses.get("cell"), row_kept, cell_kept))

    for removed, written, row_kept, cell_kept in outcomes:
        # Serialized by the grid's lock: no deadlock, no conflict left to report.
        assert removed in {204, 403}, outcomes
        assert written in {201, 400}, outcomes
        # Whatever the interleaving, the answers and the rows tell one story.
        assert cell_kept == (written == 201), outcomes
        assert row_kept == (removed != 204), outcomes
        assert not (written == 201 and removed == 204), outcomes
