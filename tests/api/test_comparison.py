"""GET /api/v4/grids/{id or slug}/comparison/: the whole table, JSON and CSV."""

import csv
import io

import pytest

from tests.factories import (
    ElementFactory,
    FeatureFactory,
    GridFactory,
    GridPackageFactory,
    PackageFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def grid():
    grid = GridFactory(slug="orms", title="ORMs")
    speed = FeatureFactory(grid=grid, title="Speed", description="How fast")
    docs = FeatureFactory(grid=grid, title="Docs", description="")
    low = GridPackageFactory(grid=grid, package=PackageFactory(title="low", score=10))
    high = GridPackageFactory(
        grid=grid, package=PackageFactory(title="high", score=80, participants=["a", "b"])
    )
    ElementFactory(grid_package=high, feature=speed, text="Yes")
    ElementFactory(grid_package=high, feature=docs, text="~")
    ElementFactory(grid_package=low, feature=speed, text="no")
    grid.features_in_order = [speed, docs]
    return grid


def test_comparison_serves_the_whole_table(client, grid):
    speed, docs = grid.features_in_order
    response = client.get("/api/v4/grids/orms/comparison/")
    assert response.status_code == 200
    body = response.json()
    assert body["grid"]["slug"] == "orms"
    assert body["grid"]["packages"]
    assert body["features"] == [
        {"id": speed.id, "title": "Speed", "description": "How fast"},
        {"id": docs.id, "title": "Docs", "description": ""},
    ]
    high, low = body["packages"]
    assert [high["title"], low["title"]] == ["high", "low"]
    assert high["url"] == f"http://testserver/api/v4/packages/{high['id']}/"
    assert high["participants_count"] == 2
    assert high["score"] == 80
    assert high["is_archived"] is False
    assert high["cells"] == {
        str(speed.id): {"text": "Yes", "mark": "yes"},
        str(docs.id): {"text": "~", "mark": "partial"},
    }
    assert low["cells"][str(docs.id)] == {"text": "", "mark": "none"}
    assert low["cells"][str(speed.id)] == {"text": "no", "mark": "no"}
    assert list(high) == [
        "url",
        "id",
        "title",
        "slug",
        "repo_watchers",
        "repo_forks",
        "last_updated",
        "pypi_version",
        "commits_over_52",
        "participants_count",
        "score",
        "is_archived",
        "is_deprecated",
        "cells",
    ]


def test_comparison_by_id_and_unknown_grid(client, grid):
    assert client.get(f"/api/v4/grids/{grid.id}/comparison/").status_code == 200
    missing = client.get("/api/v4/grids/nope/comparison/")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "No Grid matches the given query."}


def test_empty_grid_has_no_rows(client):
    GridFactory(slug="empty")
    body = client.get("/api/v4/grids/empty/comparison/").json()
    assert body["features"] == []
    assert body["packages"] == []


@pytest.mark.parametrize(("packages", "features"), [(1, 1), (30, 10)])
def test_comparison_query_count_is_constant(
    client, django_assert_max_num_queries, packages, features
):
    grid = GridFactory(slug="big")
    columns = [FeatureFactory(grid=grid) for _ in range(features)]
    for _ in range(packages):
        row = GridPackageFactory(grid=grid)
        for column in columns:
            ElementFactory(grid_package=row, feature=column, text="+")
    with django_assert_max_num_queries(5):
        response = client.get("/api/v4/grids/big/comparison/")
    assert len(response.json()["packages"]) == packages


def test_comparison_follows_cell_edits(client, grid):
    speed, _ = grid.features_in_order
    url = "/api/v4/grids/orms/comparison/"
    first = client.get(url)
    element = ElementFactory._meta.model.objects.get(feature=speed, text="Yes")
    element.text = "No"
    element.save()
    second = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert second.status_code == 200
    high = second.json()["packages"][0]
    assert high["cells"][str(speed.id)] == {"text": "No", "mark": "no"}


def test_comparison_as_csv(client, grid):
    for url in ("/api/v4/grids/orms/comparison/?format=csv", "/api/v4/grids/orms/comparison.csv"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Type"].startswith("text/csv")
        assert 'filename="orms-comparison.csv"' in response["Content-Disposition"]
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        assert rows[0][-2:] == ["Speed", "Docs"]
        assert [row[0] for row in rows[1:]] == ["high", "low"]
        assert rows[1][-2:] == ["Yes", "~"]


def test_csv_error_is_json(client):
    response = client.get("/api/v4/grids/nope/comparison/?format=csv")
    assert response.status_code == 404
    assert response.json()["detail"]
