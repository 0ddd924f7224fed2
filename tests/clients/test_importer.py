"""A catalogue importer written for djangopackages.org, replayed on default settings: it lists
the grids, then fetches every package URL of every grid back to back (650 packages, 680 URLs
with the ones in two grids), and keeps the import only if every answer is a package."""

import pytest

from tests.clients.conftest import Client

pytestmark = pytest.mark.slow


def test_the_importer_walks_every_grid_and_every_package_without_one_429(catalogue_server):
    client = Client(catalogue_server.port)
    catalogue = catalogue_server.catalogue

    grids = client.get("/api/v4/grids/?limit=500")
    assert grids.status == 200
    walked = [(grid["slug"], url) for grid in grids.json()["results"] for url in grid["packages"]]
    answers = [(slug, client.get(url)) for slug, url in walked]

    assert [r.status for _slug, r in answers] == [200] * len(walked)
    imported = {}
    for grid, response in answers:
        package = response.json()
        imported.setdefault(grid, []).append(package["id"])
        assert catalogue.packages[package["id"]] == package["slug"]
    assert imported == catalogue.grids
    assert len(walked) == 680
    assert {pk for members in imported.values() for pk in members} == set(catalogue.packages)
