"""Hostile or malformed input to the read API: always a clear 4xx or a correct 200, never a 500."""

import pytest
from rest_framework.test import APIClient

from tests.factories import CategoryFactory, GridFactory, PackageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue():
    category = CategoryFactory(slug="apps", title="Apps")
    PackageFactory(title="django-emoji-🦄", slug="django-emoji", category=category)
    PackageFactory(title="django-שלום", slug="django-shalom", category=category)
    PackageFactory(title="django-filter", slug="django-filter", category=category)
    GridFactory(slug="forms")


def assert_json_error(response, status):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    return response.json()


def test_huge_limit_is_clamped_to_the_bound(client, settings):
    settings.API_MAX_PAGE_SIZE = 50
    PackageFactory.create_batch(51)
    body = client.get("/api/v4/packages/?limit=1000000").json()
    assert len(body["results"]) == 50


@pytest.mark.parametrize(
    "query",
    ["limit=-5", "limit=abc", "offset=-1", f"offset={10**30}", "limit=1e3"],
)
def test_bad_paging_numbers_are_400_with_a_message(client, catalogue, query):
    body = assert_json_error(client.get(f"/api/v4/packages/?{query}"), 400)
    name = query.split("=")[0]
    assert body[name]


@pytest.mark.parametrize(
    "url",
    [
        "/api/v4/packages/?q=%00",
        "/api/v4/packages/?category=%00",
        "/api/v4/packages/?grid=a%00b",
        "/api/v4/grids/?package=%00",
        "/api/v4/search/?q=%00",
        "/api/v4/search/?q=django%00filter",
        "/api/v4/packages/?ordering=%00",
    ],
)
def test_nul_bytes_in_query_strings_never_reach_the_database(client, catalogue, url):
    response = client.get(url)
    assert response.status_code in (200, 400), response.content[:300]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v4/packages/a%00b/",
        "/api/v4/packages/" + "a" * 4096 + "/",
        "/api/v4/packages/..%2F..%2Fetc%2Fpasswd/",
        "/api/v4/packages/%FF/",
        "/api/v4/grids/%FF%FE/",
        "/api/v4/categories/" + "9" * 40 + "/",
        "/api/v4/packages/a%00b/score/",
        "/api/v4/grids/..%2F/comparison/",
    ],
)
def test_odd_paths_are_json_404(client, catalogue, path):
    assert_json_error(client.get(path), 404)


@pytest.mark.parametrize(
    ("q", "slug"),
    [
        ("' OR 1=1 --", None),
        ("🦄", "django-emoji"),
        ("שלום", "django-shalom"),
        ("filter", "django-filter"),
        ("\u202efilter", "django-filter"),
    ],
)
def test_search_handles_sql_emoji_and_rtl_text(client, catalogue, q, slug):
    response = client.get("/api/v4/search/", {"q": q})
    assert response.status_code == 200
    slugs = [hit["slug"] for hit in response.json()]
    if slug is None:  # the quote and dashes are plain text: no row matches "or" and "1" here
        assert "django-filter" not in slugs
        assert len(slugs) < 5
    else:
        assert slugs[0] == slug


@pytest.mark.parametrize("q", ["x" * 201, " ".join(["word"] * 11), "x" * 5_000])
@pytest.mark.parametrize("path", ["/api/v4/search/", "/api/v4/packages/", "/api/v4/grids/"])
def test_text_of_any_length_is_a_query_not_a_400(client, catalogue, path, q):
    assert client.get(path, {"q": q}).status_code == 200


def test_xml_is_not_acceptable(client, catalogue):
    body = assert_json_error(client.get("/api/v4/packages/", HTTP_ACCEPT="application/xml"), 406)
    assert "detail" in body


@pytest.mark.parametrize(
    "path",
    ["/api/v4/", "/api/v4/packages/", "/api/v4/packages/django-filter/", "/api/v4/search/?q=f"],
)
def test_html_accept_gets_the_browsable_page(client, catalogue, path):
    response = client.get(path, HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("DELETE", "/api/v4/search/?q=x", "GET, HEAD, OPTIONS"),
        ("TRACE", "/api/v4/packages/", "GET, HEAD, OPTIONS, POST"),
        ("PUT", "/api/v4/packages/", "GET, HEAD, OPTIONS, POST"),
        ("PUT", "/api/v4/", "GET, HEAD, OPTIONS"),
        ("TRACE", "/api/v4/packages/django-filter/", "DELETE, GET, HEAD, OPTIONS, PATCH, PUT"),
        ("POST", "/api/v4/packages/django-filter/score/", "GET, HEAD, OPTIONS"),
        ("PATCH", "/api/v4/schema/", "GET, HEAD, OPTIONS"),
        ("TRACE", "/api/v4/api-auth/login/", "GET, HEAD, OPTIONS, POST, PUT"),
        ("BREW", "/api/v4/grids/", "GET, HEAD, OPTIONS, POST"),
    ],
)
@pytest.mark.parametrize("who", ["anonymous", "signed in"])
def test_a_method_the_resource_lacks_is_json_405_whoever_asks(
    catalogue, django_user_model, method, path, allow, who
):
    client = APIClient()
    if who == "signed in":
        client.force_authenticate(django_user_model.objects.create_user("mallory"))

    response = client.generic(method, path)

    assert assert_json_error(response, 405) == {"detail": f'Method "{method}" not allowed.'}
    assert response["Allow"] == allow


@pytest.mark.parametrize(
    "value",
    [
        "5998-09-16T00:42:02.88-23:20",
        "9999-12-31T23:59:59-05:00",
        "0001-01-01T00:00:00+05:00",
        "2024-02-30T00:00:00Z",
    ],
)
def test_extreme_date_filters_are_answered_not_crashed(client, catalogue, value):
    for name in ("updated_after", "updated_before", "fetched_before"):
        response = client.get("/api/v4/packages/", {name: value})
        assert response.status_code in (200, 400), (name, value, response.content[:200])


# --- the adversarial review's cases (issue 16): each a JSON 4xx whose body names the problem ---

HOSTILE_REQUESTS = [
    # (who, method, url, json body, status, key in the answer)
    ("anon", "get", "/api/v4/schema/?version=%01", None, 400, "version"),
    ("anon", "put", "/api/v4/categories/", {"title": "x"}, 405, "detail"),
    ("anon", "delete", "/api/v4/search/?q=x", None, 405, "detail"),
    ("anon", "patch", "/api/v4/grids/forms/comparison/", {}, 405, "detail"),
    ("anon", "get", "/api/v4/schema/?version=%00", None, 400, "version"),
    ("anon", "get", "/api/v4/schema/?version=%7F", None, 400, "version"),
    ("anon", "get", "/api/v4/schema/?version=4%0D%0AX-Evil:1", None, 400, "version"),
    ("anon", "get", "/api/v4/schema/?version=%22%3B%20filename%3Devil.html", None, 400, "version"),
    *[
        ("user", "post", "/api/v4/packages/", {"title": "t", field: url}, 400, field)
        for field in ("repo_url", "documentation_url")
        for url in (
            "http://127.1/o/r",
            "http://0177.0.0.1/o/r",
            "http://0x7f.0.0.1/o/r",
            "http://127.0.0.01/o/r",
            "http://2130706433/o/r",
            "http://\uff11\uff12\uff17.\uff10.\uff10.\uff11/o/r",
        )
    ],
]


@pytest.mark.parametrize(("who", "method", "url", "body", "status", "key"), HOSTILE_REQUESTS)
def test_hostile_requests_get_a_json_4xx_naming_the_problem(
    catalogue, django_user_model, who, method, url, body, status, key
):
    client = APIClient()
    if who == "user":
        client.force_authenticate(django_user_model.objects.create_user("mallory"))
    if body is not None and "title" in body:
        body = {"category": "apps", **body}

    response = getattr(client, method)(url, body, format="json")

    assert assert_json_error(response, status).get(key), response.content[:300]
