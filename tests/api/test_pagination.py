"""limit/offset pagination: defaults, clamping and 400s for values that mean nothing."""

import pytest

from tests.factories import PackageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def packages():
    return PackageFactory.create_batch(105)


def test_default_page_is_twenty_with_a_next_link(client, packages):
    body = client.get("/api/v4/packages/").json()

    assert body["count"] == 105
    assert len(body["results"]) == 20
    assert body["next"] == "http://testserver/api/v4/packages/?limit=20&offset=20"
    assert body["previous"] is None


def test_limit_above_one_hundred_is_clamped(client, packages):
    body = client.get("/api/v4/packages/?limit=1000").json()

    assert len(body["results"]) == 100
    assert body["next"] == "http://testserver/api/v4/packages/?limit=100&offset=100"


def test_last_page_has_previous_and_no_next(client, packages):
    body = client.get("/api/v4/packages/?limit=50&offset=100").json()

    assert [item["id"] for item in body["results"]] == [p.pk for p in packages[100:]]
    assert body["next"] is None
    assert body["previous"] == "http://testserver/api/v4/packages/?limit=50&offset=50"


def test_offset_past_the_end_is_an_empty_page(client, packages):
    body = client.get("/api/v4/packages/?offset=999999999").json()

    assert body["count"] == 105
    assert body["results"] == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=-1", "limit"),
        ("limit=0", "limit"),
        ("limit=ten", "limit"),
        ("limit=1.5", "limit"),
        ("offset=-20", "offset"),
        ("offset=abc", "offset"),
        ("limit=%00", "limit"),
    ],
)
@pytest.mark.parametrize("resource", ["packages", "grids", "categories"])
def test_bad_limit_or_offset_is_a_400_naming_it(client, query, field, resource):
    response = client.get(f"/api/v4/{resource}/?{query}")

    assert response.status_code == 400
    assert field in response.json()
    assert "integer" in response.json()[field][0]
