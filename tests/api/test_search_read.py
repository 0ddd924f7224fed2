"""Anonymous JSON searches are answered by a plain view (api/search_read.py) with DRF's bytes
and headers; anything it cannot answer exactly goes to the DRF view."""

import pytest

from api.views import SearchViewSet
from tests.factories import GridFactory, PackageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue():
    PackageFactory(title="django-widget-tweaks", repo_description="Tweak form widgets \u2028.")
    PackageFactory(title="widgets-plus", repo_description='Quotes " and <b>.')
    GridFactory(title="Widgets", slug="widgets")


def fail(*args, **kwargs):
    raise AssertionError("the DRF view answered")


@pytest.mark.parametrize(
    "query", ["q=widget", "q=widg&limit=1", "q=djnago+widget", "q=widget&python=3.12", "q="]
)
def test_a_plain_search_has_drfs_bytes_and_headers(client, catalogue, monkeypatch, query):
    # An Accept header the plain view does not take, which DRF answers with the same renderer.
    drf = client.get(f"/api/v4/search/?{query}", HTTP_ACCEPT="application/json, */*")
    monkeypatch.setattr(SearchViewSet, "list", fail)

    plain = client.get(f"/api/v4/search/?{query}")

    assert plain.status_code == drf.status_code == 200
    assert plain.content == drf.content
    for header in ("Content-Type", "ETag", "Vary", "Allow", "X-Search-Terms"):
        assert plain[header] == drf[header], header


def test_a_matching_etag_is_a_304_without_a_body(client, catalogue, monkeypatch):
    tag = client.get("/api/v4/search/?q=widget")["ETag"]
    monkeypatch.setattr(SearchViewSet, "list", fail)

    response = client.get("/api/v4/search/?q=widget", HTTP_IF_NONE_MATCH=tag)

    assert response.status_code == 304
    assert response.content == b""


@pytest.mark.parametrize("query", ["q=widget&limit=zero", "q=widget&python=banana"])
def test_a_bad_value_is_drfs_400(client, catalogue, query):
    response = client.get(f"/api/v4/search/?{query}")

    assert response.status_code == 400
    assert response.json()


def test_a_plain_search_is_its_search_statements_only(
    client, catalogue, django_assert_max_num_queries
):
    # Packages, grids, and (fewer hits than the limit) the spelling vocabulary: nothing else.
    with django_assert_max_num_queries(3):
        assert client.get("/api/v4/search/?q=widget").status_code == 200
