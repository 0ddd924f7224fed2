"""Hostile query parameters and paths under /api/v3/: a 400 (or a correct 200) in v3's own error
shape `{"error": status, "message": ...}`, never a 500 and never v4's `{"detail": ...}`."""

import pytest
from django.test import Client

from tests.factories import CategoryFactory, PackageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue():
    PackageFactory(slug="django-widgets", category=CategoryFactory(slug="apps"))


def v3_error(response, status):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert list(body) == ["error", "message"]
    assert body["error"] == status
    return body["message"]


@pytest.mark.parametrize("value", ["%00", "apps%00", "a%01b", "%0B", "%ED%A0%80%00"])
def test_a_category_with_a_control_character_is_a_v3_400(client, catalogue, value):
    message = v3_error(client.get(f"/api/v3/packages/?category={value}"), 400)
    assert "category" in message


def test_a_repeated_category_is_read_as_its_last_value(client, catalogue):
    body = client.get("/api/v3/packages/?category=%00&category=apps").json()
    assert body["meta"]["total_count"] == 1


@pytest.mark.parametrize(
    "query",
    [
        "category=" + "a" * 5000,
        "category=no%20such%20category",
        "category=%ED%A0%80",  # not UTF-8: Django reads it as U+FFFD
        "limit=%00",
        "offset=%00",
        "limit=-1",
        "limit=1e3",
        f"limit={10**30}",
        f"offset={10**30}",
        "limit=%EF%BC%91",  # a full-width digit: not a count, so the default
    ],
)
def test_other_odd_parameters_answer_a_list(client, catalogue, query):
    response = client.get(f"/api/v3/packages/?{query}")
    assert response.status_code == 200, response.content[:300]
    assert list(response.json()) == ["meta", "category", "objects"]


@pytest.mark.parametrize(
    "url",
    [
        "/api/v3/packages/no%20such/",
        "/api/v3/packages/a%00b/",
        "/api/v3/nothing-here/",
        "/api/v3/grids/%FF/packages/",
    ],
)
def test_a_path_that_names_nothing_is_a_v3_404(client, catalogue, url):
    v3_error(client.get(url), 404)


def test_a_server_error_under_v3_is_in_v3_shape(catalogue, monkeypatch):
    from api.v3 import views

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(views, "packages_for_v3", broken)
    client = Client(raise_request_exception=False)

    assert v3_error(client.get("/api/v3/packages/"), 500) == "Server error."


def test_an_oversized_body_under_v3_is_a_v3_413(client, settings):
    settings.MAX_REQUEST_BODY_BYTES = 10
    response = client.generic("GET", "/api/v3/packages/", b"x" * 100)
    v3_error(response, 413)
