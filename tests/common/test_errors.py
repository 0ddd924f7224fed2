"""API errors are JSON; a lost database is a 503, not a 500."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_unknown_api_url_is_json_404(client):
    response = client.get("/api/v4/no-such-thing/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_unknown_site_url_stays_html_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "application/json" not in response["Content-Type"]


def test_foreign_host_is_json_400_under_api():
    response = Client().get("/api/v4/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert response.json() == {"detail": "Bad request."}


def test_unhandled_database_error_in_a_view_becomes_503(client, settings):
    settings.ROOT_URLCONF = "tests.common.outage_urls"
    response = client.get("/api/v4/outage/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json()["detail"].startswith("The database is unavailable")
