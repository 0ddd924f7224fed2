"""limit/offset pagination: defaults, clamping and 400s for values that mean nothing."""

import pytest

from tests.factories import CategoryFactory, GridFactory, GridPackageFactory, PackageFactory

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


def test_a_limit_above_one_hundred_is_honoured(client, packages):
    body = client.get("/api/v4/packages/?limit=500").json()

    assert len(body["results"]) == 105
    assert body["next"] is None


def test_limit_above_the_bound_reads_as_the_bound(client, settings, packages):
    settings.API_MAX_PAGE_SIZE = 30

    body = client.get("/api/v4/packages/?limit=1000").json()

    assert len(body["results"]) == 30
    assert body["next"] == "http://testserver/api/v4/packages/?limit=30&offset=30"


def test_the_bound_is_one_thousand(settings):
    assert settings.API_MAX_PAGE_SIZE == 1000


def test_limit_zero_is_the_default_page(client, packages):
    body = client.get("/api/v4/packages/?limit=0").json()

    assert len(body["results"]) == 20
    assert body["next"] == "http://testserver/api/v4/packages/?limit=20&offset=20"


@pytest.mark.parametrize("page_size", [1, 500])
def test_one_hundred_fifty_grids_in_one_page_with_the_same_queries(
    client, django_assert_num_queries, page_size
):
    packages = PackageFactory.create_batch(2)
    for grid in GridFactory.create_batch(150):
        for package in packages:
            GridPackageFactory(grid=grid, package=package)

    # One statement: the count and the page's stored documents, in order.
    with django_assert_num_queries(1):
        body = client.get(f"/api/v4/grids/?limit={page_size}").json()

    assert body["count"] == 150
    assert len(body["results"]) == min(page_size, 150)
    assert all(len(grid["packages"]) == 2 for grid in body["results"])


@pytest.mark.parametrize("resource", ["packages", "grids", "categories"])
def test_lists_are_newest_first(client, resource):
    factory = {"packages": PackageFactory, "grids": GridFactory, "categories": CategoryFactory}
    ids = [row.pk for row in factory[resource].create_batch(3)]

    def listed(query=""):
        return [item["id"] for item in client.get(f"/api/v4/{resource}/{query}").json()["results"]]

    assert listed() == ids[::-1]
    assert listed("?ordering=-id") == ids[::-1]
    assert listed("?ordering=id") == ids


def test_last_page_has_previous_and_no_next(client, packages):
    body = client.get("/api/v4/packages/?limit=50&offset=100").json()

    assert [item["id"] for item in body["results"]] == [p.pk for p in packages[4::-1]]
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


@pytest.mark.django_db
def test_paging_through_a_list_sees_a_write_at_once(django_assert_num_queries):
    from rest_framework.test import APIClient

    PackageFactory.create_batch(3)
    client = APIClient()
    client.get("/api/v4/packages/?limit=1&offset=0")

    with django_assert_num_queries(1):  # the count and the page's documents, one statement
        second = client.get("/api/v4/packages/?limit=1&offset=1")
    PackageFactory()
    with django_assert_num_queries(1):
        after_a_write = client.get("/api/v4/packages/?limit=1&offset=2")

    assert second.json()["count"] == 3
    assert after_a_write.json()["count"] == 4
