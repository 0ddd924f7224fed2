"""A stored-document list page is one statement whatever its filter, ordering or offset, and
answers what DRF answers (api/list_pages.py)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.utils.urls import remove_query_param, replace_query_param

from api.list_pages import page_links
from api.stored import Document
from tests.factories import CategoryFactory, PackageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def packages():
    apps, tools = CategoryFactory(slug="apps"), CategoryFactory(slug="tools")
    return [
        PackageFactory(repo_watchers=stars, category=apps if stars % 20 else tools)
        for stars in (5, 30, 10, 40, 20)
    ]


def drf(client, path):
    """DRF's own answer to `path` (a `format` parameter sends any read to DRF)."""
    return client.get(f"{path}&format=json").json()


@pytest.mark.parametrize(
    "path",
    [
        "/api/v4/packages/?ordering=-repo_watchers&limit=2&offset=1",
        "/api/v4/packages/?ordering=title&limit=3",
        "/api/v4/packages/?category=apps&ordering=repo_watchers&limit=1&offset=1",
        "/api/v4/packages/?limit=2&offset=4",
    ],
)
def test_a_filtered_ordered_page_is_one_statement_with_drfs_rows_and_count(
    client, packages, django_assert_num_queries, path
):
    with django_assert_num_queries(1):
        body = client.get(path).json()

    expected = drf(client, path)
    assert body["count"] == expected["count"]
    assert [row["id"] for row in body["results"]] == [row["id"] for row in expected["results"]]
    assert [row["slug"] for row in body["results"]] == [row["slug"] for row in expected["results"]]


def test_a_page_past_the_end_has_the_count_and_no_results(client, packages):
    body = client.get("/api/v4/packages/?limit=2&offset=50").json()

    assert body["count"] == 5
    assert body["results"] == []
    assert body["next"] is None


def test_a_filter_that_matches_nothing_is_an_empty_page(client, packages):
    body = client.get("/api/v4/packages/?category=no-such-category").json()

    assert (body["count"], body["results"]) == (0, [])


def test_a_row_without_its_document_is_still_listed(client, packages):
    Document.objects.filter(kind="package", object_id=packages[2].pk).delete()

    body = client.get("/api/v4/packages/?ordering=repo_watchers").json()

    assert [row["repo_watchers"] for row in body["results"]] == [5, 10, 20, 30, 40]


def drf_links(url, count, limit, offset):
    """What DRF's LimitOffsetPagination writes (the reads' former code)."""
    following = None
    if offset + limit < count:
        following = replace_query_param(
            replace_query_param(url, "limit", limit), "offset", offset + limit
        )
    previous = None
    if offset > 0:
        previous = replace_query_param(url, "limit", limit)
        if offset - limit <= 0:
            previous = remove_query_param(previous, "offset")
        else:
            previous = replace_query_param(previous, "offset", offset - limit)
    return following, previous


@pytest.mark.parametrize(
    "query",
    [
        "",
        "offset=5",
        "limit=3&offset=7&ordering=-title",
        "q=caf%C3%A9+%26+%3D&b=&a=1&a=2&offset=x",
        "flag&z=%E2%80%A8&limit=0&limit=9",
        "bad=%ZZ&semi=a;b&plus=a+b&space=a%20b",
    ],
)
@pytest.mark.parametrize(
    ("count", "limit", "offset"), [(50, 20, 0), (50, 20, 15), (50, 20, 40), (5, 2, 4)]
)
def test_page_links_are_drfs(query, count, limit, offset):
    url = f"http://testserver/api/v4/packages/?{query}"

    assert page_links(url, count=count, limit=limit, offset=offset) == drf_links(
        url, count, limit, offset
    )


@given(st.text(), st.integers(0, 60), st.integers(1, 30), st.integers(0, 80))
def test_page_links_are_drfs_for_any_query(query, count, limit, offset):
    url = f"http://testserver/api/v4/packages/?{query}"

    assert page_links(url, count=count, limit=limit, offset=offset) == drf_links(
        url, count, limit, offset
    )
