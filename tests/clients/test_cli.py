"""A command-line client written for djangopackages.org, replayed on default settings: it lists
`grids?limit=500`, then shows a 70-package grid by fetching each of its packages, and retries a
429 only when `Retry-After` is at most 10 s (otherwise the package is dropped)."""

import time

import pytest

from tests.clients.conftest import BIG_GRID, Client

pytestmark = pytest.mark.slow


def fetch(client, url, refused):
    """The CLI's fetch: one retry after a short Retry-After, else give up on this URL."""
    response = client.get(url)
    if response.status == 429:
        refused.append(url)
    if response.status == 429 and int(response.headers["Retry-After"]) <= 10:
        time.sleep(int(response.headers["Retry-After"]))
        response = client.get(url)
    return response


def test_the_cli_lists_grids_then_shows_all_70_packages_of_a_grid(catalogue_server):
    client, refused = Client(catalogue_server.port), []

    listed = fetch(client, "/api/v4/grids/?limit=500", refused)
    grid = next(g for g in listed.json()["results"] if len(g["packages"]) == BIG_GRID)
    detail = fetch(client, f"/api/v4/grids/{grid['id']}/", refused)
    shown = [fetch(client, url, refused) for url in detail.json()["packages"]]

    assert listed.status == 200
    assert listed.json()["count"] == len(catalogue_server.catalogue.grids)
    assert [response.status for response in shown] == [200] * BIG_GRID
    assert [r.json()["id"] for r in shown] == catalogue_server.catalogue.grids[grid["slug"]]
    assert refused == []  # never needed its retry
