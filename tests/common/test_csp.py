"""The Content-Security-Policy header: on every HTML page, never on JSON, a nonce only where a
page used one (the browser check of each page is tests/e2e/test_csp.py)."""

import re

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    ["/api/v4/?format=api", "/api/v4/api-auth/login/", "/admin/login/", "/api/v4/docs/"],
)
def test_html_pages_carry_the_policy(client, path):
    response = client.get(path)

    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert policy.startswith("default-src 'self'; ")
    assert "frame-ancestors 'none'" in policy
    assert "'unsafe-inline'" not in policy


def test_json_answers_carry_no_policy(client):
    assert "Content-Security-Policy" not in client.get("/api/v4/", HTTP_ACCEPT="application/json")


def test_a_nonce_enters_the_policy_only_when_the_page_uses_it(client):
    docs = client.get("/api/v4/docs/")
    nonce = re.search(r'nonce="([^"]+)"', docs.content.decode())[1]
    browsable = client.get("/api/v4/?format=api")

    assert f"'nonce-{nonce}'" in docs["Content-Security-Policy"]
    assert "nonce-" not in browsable["Content-Security-Policy"]
    assert client.get("/api/v4/docs/")["Content-Security-Policy"] != docs["Content-Security-Policy"]
