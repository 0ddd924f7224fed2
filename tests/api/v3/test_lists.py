"""API v3 lists: by title, `limit`/`offset` fallbacks (never a 400 or 500), relative links that
keep the filter, constant query counts, and the response cache."""

import pytest

from tests.factories import CategoryFactory, GridFactory, GridPackageFactory, PackageFactory

pytestmark = pytest.mark.django_db


def _page(client, path):
    response = client.get(path)
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def packages():
    apps, tools = CategoryFactory(slug="apps"), CategoryFactory(slug="tools")
    for title in ("delta", "alpha", "charlie", "bravo", "echo"):
        PackageFactory(title=title, slug=title, category=apps if title != "echo" else tools)


def test_lists_are_ordered_by_title(client, packages):
    body = _page(client, "/api/v3/packages/")

    assert [item["slug"] for item in body["objects"]] == [
        "alpha",
        "bravo",
        "charlie",
        "delta",
        "echo",
    ]


def test_a_middle_page_links_both_ways(client, packages):
    body = _page(client, "/api/v3/packages/?limit=2&offset=2")

    assert [item["slug"] for item in body["objects"]] == ["charlie", "delta"]
    assert body["meta"] == {
        "limit": 2,
        "next": "/api/v3/packages/?limit=2&offset=4",
        "offset": 2,
        "previous": "/api/v3/packages/?limit=2&offset=0",
        "total_count": 5,
    }


def test_a_previous_link_from_an_offset_below_the_limit_starts_at_zero(client, packages):
    body = _page(client, "/api/v3/packages/?limit=3&offset=1")

    assert [item["slug"] for item in body["objects"]] == ["bravo", "charlie", "delta"]
    assert body["meta"]["previous"] == "/api/v3/packages/?limit=3&offset=0"
    first = _page(client, body["meta"]["previous"])
    assert [item["slug"] for item in first["objects"]] == ["alpha", "bravo", "charlie"]


def test_the_category_filter_is_kept_in_next(client, packages):
    body = _page(client, "/api/v3/packages/?category=apps&limit=3")

    assert [item["slug"] for item in body["objects"]] == ["alpha", "bravo", "charlie"]
    assert body["meta"]["total_count"] == 4
    assert body["meta"]["next"] == "/api/v3/packages/?category=apps&limit=3&offset=3"
    following = _page(client, body["meta"]["next"])
    assert [item["slug"] for item in following["objects"]] == ["delta"]
    assert following["meta"]["next"] is None


@pytest.mark.parametrize(
    "query", ["limit=ten", "limit=-3", "limit=", "offset=x", "offset=-1", "limit=1.5", "limit=%00"]
)
def test_a_bad_number_falls_back_to_the_default(client, packages, query):
    body = _page(client, f"/api/v3/packages/?{query}")

    assert (body["meta"]["limit"], body["meta"]["offset"]) == (20, 0)
    assert len(body["objects"]) == 5


def test_limit_zero_gives_no_objects_and_the_total(client, packages):
    body = _page(client, "/api/v3/packages/?limit=0")

    assert body["objects"] == []
    assert body["meta"]["total_count"] == 5
    assert body["meta"]["next"] is None


def test_an_offset_past_the_end_is_an_empty_page(client, packages):
    body = _page(client, "/api/v3/packages/?offset=999999999999999999999")

    assert body["objects"] == []
    assert body["meta"]["previous"].startswith("/api/v3/packages/?limit=20&offset=")


def test_limit_above_the_bound_reads_as_the_bound(client, packages, settings):
    settings.API_MAX_PAGE_SIZE = 2

    assert _page(client, "/api/v3/categories/?limit=500")["meta"]["limit"] == 2


@pytest.mark.parametrize("limit", [1, 50])
@pytest.mark.parametrize(
    ("path", "queries"),
    [
        # the count, the page (with categories), the grids of the page
        ("/api/v3/packages/", 3),
        ("/api/v3/packages/?category=apps", 3),
        # the count, the page, the packages of the page
        ("/api/v3/grids/", 3),
        # the grid, the count, the page, the grids of the page
        ("/api/v3/grids/shared/packages/", 4),
        # the count, the page
        ("/api/v3/categories/", 2),
    ],
)
def test_list_query_counts_do_not_grow(client, django_assert_num_queries, path, queries, limit):
    category = CategoryFactory(slug="apps")
    grids = [GridFactory(slug="shared"), *GridFactory.create_batch(49)]
    for package in PackageFactory.create_batch(50, category=category):
        for grid in grids[:3]:
            GridPackageFactory(grid=grid, package=package)
    CategoryFactory.create_batch(49)

    with django_assert_num_queries(queries):
        body = _page(
            client, f"{path}?limit={limit}" if "?" not in path else f"{path}&limit={limit}"
        )

    assert len(body["objects"]) == limit


@pytest.mark.parametrize(
    ("path", "queries"),
    [("/api/v3/packages/p/", 2), ("/api/v3/grids/g/", 2), ("/api/v3/categories/c/", 1)],
)
def test_detail_query_counts(client, django_assert_num_queries, path, queries):
    grid = GridFactory(slug="g")
    package = PackageFactory(slug="p", category=CategoryFactory(slug="c"))
    for other in (grid, *GridFactory.create_batch(3)):
        GridPackageFactory(grid=other, package=package)

    with django_assert_num_queries(queries):
        _page(client, path)


def test_a_repeated_read_with_its_etag_is_a_304(client, packages):
    first = client.get("/api/v3/packages/?limit=2")

    again = client.get("/api/v3/packages/?limit=2", HTTP_IF_NONE_MATCH=first["ETag"])

    assert again.status_code == 304
    assert first["ETag"]


def test_a_change_is_seen_at_once(client, packages):
    client.get("/api/v3/packages/alpha/")
    PackageFactory(title="aardvark", slug="aardvark")

    assert _page(client, "/api/v3/packages/?limit=1")["objects"][0]["slug"] == "aardvark"
