"""With DEBUG=1 (`make run`) every error under /api/ is still JSON, never Django's debug page."""

import pytest
from django.test import Client

from api.reads import DocumentRead
from api.views import PackageViewSet

pytestmark = pytest.mark.django_db


@pytest.fixture
def debug(settings):
    settings.DEBUG = True


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v4/no-such-thing/", {"detail": "Not found."}),
        ("/api/v3/no/such/thing/", {"error": 404, "message": "Not found."}),  # v3's own shape
        ("/api/x", {"detail": "Not found."}),
    ],
)
def test_an_unknown_api_path_is_a_json_404(debug, client, path, body):
    response = client.get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == body


def test_an_unhandled_error_is_a_json_500(debug, monkeypatch):
    def explode(self, request, *args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(PackageViewSet, "list", explode)
    monkeypatch.setattr(DocumentRead, "list_answer", explode)  # the stored-document read

    response = Client(raise_request_exception=False).get("/api/v4/packages/")

    assert response.status_code == 500
    assert response.json() == {"detail": "Server error."}


def test_a_foreign_host_is_a_json_400(debug):
    response = Client().get("/api/v4/", HTTP_HOST="evil.example")

    assert response.status_code == 400
    assert response.json() == {"detail": "Bad request."}


def test_the_browsable_api_still_answers_html(debug, client):
    response = client.get("/api/v4/packages/nope/?format=api")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_site_path_outside_the_api_keeps_the_debug_page(debug, client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
