"""The contract: seed package 2431, imported, renders exactly as djangopackages.org shows it."""

import html
import json
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SEED_HOST = "https://djangopackages.org"


@pytest.fixture
def seed_catalogue(db):
    call_command("import_catalogue", str(FIXTURES / "seed_catalogue.json"), stdout=None)


def _expected_body():
    return (
        (FIXTURES / "package_2431_expected.json")
        .read_text()
        .replace(SEED_HOST, "http://testserver")
    )


@override_settings(TIME_ZONE="America/New_York")
def test_browsable_page_shows_the_seed_json_byte_for_byte(seed_catalogue, client):
    response = client.get("/api/v4/packages/2431/?format=api")

    assert response.status_code == 200
    page = response.content.decode()
    assert "API endpoint that allows packages to be viewed or edited." in page
    block = re.search(r'response-info".*?<pre class="prettyprint">(.*?)</pre>', page, re.S)[1]
    shown = html.unescape(re.sub(r"<[^>]+>", "", block))
    head, body = shown.split("\n\n", 1)
    assert "HTTP 200 OK" in head
    assert "Allow: GET, HEAD, OPTIONS" in head
    assert "Content-Type: application/json" in head
    assert "Vary: Accept" in head
    assert body == _expected_body()


@override_settings(TIME_ZONE="America/New_York")
def test_json_of_the_seed_package_has_its_keys_in_order(seed_catalogue, client):
    response = client.get("/api/v4/packages/2431/")

    expected = json.loads(_expected_body().replace("?format=api", ""))
    assert list(response.json()) == list(expected)
    assert response.json() == expected
    assert response.json()["last_updated"] == "2018-08-03T04:16:50-04:00"


def test_utc_renders_the_same_instants(seed_catalogue, client):
    body = client.get("/api/v4/packages/2431/").json()

    assert body["last_updated"] == "2018-08-03T08:16:50Z"
    assert body["created"] == "2014-06-18T17:47:01.690653Z"
