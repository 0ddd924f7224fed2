"""GET /api/v4/packages/{id or slug}/score/ and /versions/, and ordering by score."""

from datetime import UTC, datetime

import pytest

from packages.scoring import compute_score
from tests.factories import PackageFactory, VersionFactory

pytestmark = pytest.mark.django_db


def test_score_explains_itself(client):
    package = PackageFactory(slug="popular", repo_watchers=5000, repo_forks=400)
    VersionFactory(package=package, number="2.0", upload_time=datetime(2026, 10, 1, tzinfo=UTC))
    body = client.get("/api/v4/packages/popular/score/").json()
    expected = compute_score(package)
    assert body["score"] == expected.total
    assert [c["name"] for c in body["components"]] == [c.name for c in expected.components]
    assert sum(c["points"] for c in body["components"]) == pytest.approx(body["score"], abs=1)
    for component in body["components"]:
        assert set(component) == {"name", "points", "max", "inputs"}
    stars = next(c for c in body["components"] if c["name"] == "stars")
    assert stars["inputs"]["repo_watchers"] == 5000


def test_score_of_unknown_package_is_404(client):
    assert client.get("/api/v4/packages/nope/score/").status_code == 404


def test_score_query_budget(client, django_assert_max_num_queries):
    package = PackageFactory()
    for n in range(5):
        VersionFactory(package=package, number=f"1.{n}")
    with django_assert_max_num_queries(2):
        assert client.get(f"/api/v4/packages/{package.id}/score/").status_code == 200


def test_versions_newest_first_and_paginated(client):
    package = PackageFactory(slug="pkg")
    for day, number in [(1, "1.0"), (3, "2.0rc1"), (2, "1.1")]:
        VersionFactory(
            package=package,
            number=number,
            upload_time=datetime(2026, 1, day, tzinfo=UTC),
            is_prerelease="rc" in number,
        )
    VersionFactory(package=package, number="0.1", upload_time=None, is_yanked=True)
    body = client.get("/api/v4/packages/pkg/versions/").json()
    assert body["count"] == 4
    assert [v["number"] for v in body["results"]] == ["2.0rc1", "1.1", "1.0", "0.1"]
    assert body["results"][0] == {
        "number": "2.0rc1",
        "upload_time": "2026-01-03T00:00:00Z",
        "is_yanked": False,
        "is_prerelease": True,
        "requires_python": "",
    }
    page = client.get("/api/v4/packages/pkg/versions/?limit=1&offset=1").json()
    assert [v["number"] for v in page["results"]] == ["1.1"]
    assert page["next"]
    assert page["previous"]


@pytest.mark.parametrize("count", [1, 30])
def test_versions_query_budget(client, django_assert_max_num_queries, count):
    package = PackageFactory()
    for n in range(count):
        VersionFactory(package=package, number=f"1.{n}")
    with django_assert_max_num_queries(3):
        body = client.get(f"/api/v4/packages/{package.id}/versions/").json()
    assert body["count"] == count


def test_versions_reject_bad_limit(client):
    PackageFactory(slug="pkg")
    assert client.get("/api/v4/packages/pkg/versions/?limit=-1").status_code == 400


def test_packages_order_by_score(client):
    PackageFactory(slug="mid", score=50)
    PackageFactory(slug="top", score=90)
    PackageFactory(slug="low", score=5)
    slugs = [p["slug"] for p in client.get("/api/v4/packages/?ordering=-score").json()["results"]]
    assert slugs == ["top", "mid", "low"]
