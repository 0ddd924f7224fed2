"""The OpenAPI schema validates without warnings and documents every query parameter."""

import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(client):
    response = client.get("/api/v4/schema/", HTTP_ACCEPT="application/vnd.oai.openapi")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_schema_validates_with_warnings_as_errors(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yaml"))


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (
            "/api/v4/packages/",
            {
                "archived",
                "category",
                "deprecated",
                "fetched_before",
                "format",
                "grid",
                "has_pypi",
                "limit",
                "offset",
                "ordering",
                "python",
                "django",
                "q",
                "updated_after",
                "updated_before",
            },
        ),
        (
            "/api/v4/grids/",
            {"format", "header", "is_locked", "limit", "offset", "ordering", "package", "q"},
        ),
        ("/api/v4/categories/", {"format", "limit", "offset", "ordering"}),
        ("/api/v4/search/", {"format", "limit", "q", "python", "django"}),
        ("/api/v4/packages/{id}/", {"format"}),
    ],
)
def test_every_query_parameter_is_documented(schema, path, expected):
    parameters = schema["paths"][path]["get"]["parameters"]

    documented = {p["name"] for p in parameters if p["in"] == "query"}

    assert documented == expected
    assert all(p.get("description") for p in parameters)


def test_detail_paths_take_an_id_or_slug(schema):
    for resource in ("packages", "grids", "categories"):
        (path_parameter,) = [
            p
            for p in schema["paths"][f"/api/v4/{resource}/{{id}}/"]["get"]["parameters"]
            if p["in"] == "path"
        ]
        assert path_parameter["schema"]["type"] == "string"


def test_docs_page_points_at_the_schema(client):
    response = client.get("/api/v4/docs/")

    assert response.status_code == 200
    assert b"/api/v4/schema/" in response.content


def test_docs_page_loads_its_script_from_our_static_files(client):
    content = client.get("/api/v4/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/redoc/" in content
    assert "cdn.jsdelivr.net" not in content


@pytest.mark.parametrize(
    "version",
    ["%01", "%00", "%7F", "4%0D%0ASet-Cookie:x=1", "%22%3B%20filename%3Devil.html", "x" * 21],
)
def test_schema_version_that_could_reach_a_header_is_400(client, version):
    response = client.get(f"/api/v4/schema/?version={version}")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert "version" in response.json()
    assert "Content-Disposition" not in response


def test_schema_version_token_names_the_download(client):
    response = client.get("/api/v4/schema/?version=4.0-rc1")

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'inline; filename="djangopackages API (4.0-rc1).yaml"'
