"""Conditional GET (ETag, Last-Modified, 304) and the stored-document reads (api/reads.py):
the same bytes and headers DRF gives, every write seen at once, nothing pickled anywhere."""

import uuid
from datetime import UTC, datetime

import pytest
from django.utils.http import http_date
from rest_framework.test import APIClient

from api.serializers.read import PackageSerializer
from packages.models import Package
from tests.factories import (
    CategoryFactory,
    GridFactory,
    GridPackageFactory,
    PackageFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def package():
    package = PackageFactory(slug="django-foo")
    Package.objects.filter(pk=package.pk).update(modified=datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC))
    return package


@pytest.mark.parametrize("path", ["/api/v4/packages/", "/api/v4/packages/django-foo/"])
def test_list_and_detail_carry_an_etag(client, package, path):
    response = client.get(path)

    assert response.status_code == 200
    assert response["ETag"].startswith('"')


def test_detail_carries_last_modified(client, package):
    response = client.get("/api/v4/packages/django-foo/")

    assert response["Last-Modified"] == http_date(
        datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC).timestamp()
    )


@pytest.mark.parametrize(
    "path",
    [
        "/api/v4/packages/",
        "/api/v4/packages/django-foo/",
        "/api/v4/grids/",
        "/api/v4/categories/",
        "/api/v4/search/?q=foo",
        "/api/v3/packages/django-foo/",
    ],
)
def test_matching_if_none_match_is_a_304_without_serializing(client, package, path, monkeypatch):
    etag = client.get(path)["ETag"]

    def fail(*args, **kwargs):
        raise AssertionError("serialized for a 304")

    monkeypatch.setattr(PackageSerializer, "to_representation", fail)
    response = client.get(path, HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag


@pytest.mark.parametrize(
    ("path", "queries"),
    [("/api/v4/packages/django-foo/", 1), ("/api/v4/packages/42/", 1), ("/api/v4/grids/", 1)],
)
def test_a_stored_document_read_is_one_query_and_a_list_one_too(
    client, package, path, queries, django_assert_num_queries
):
    GridFactory()
    PackageFactory(id=42)
    # The document (a list: one statement, its count and its page's documents).
    with django_assert_num_queries(queries):
        assert client.get(path).status_code == 200


def test_if_none_match_lists_and_weak_tags(client, package):
    etag = client.get("/api/v4/packages/")["ETag"]

    assert client.get("/api/v4/packages/", HTTP_IF_NONE_MATCH=f'W/"x", {etag}').status_code == 304
    assert client.get("/api/v4/packages/", HTTP_IF_NONE_MATCH='"other"').status_code == 200
    assert client.get("/api/v4/packages/django-foo/", HTTP_IF_NONE_MATCH="*").status_code == 304


def test_a_change_gives_a_new_body_and_etag(client, package):
    first = client.get("/api/v4/packages/django-foo/")

    package.title = "Renamed"
    package.save()
    second = client.get("/api/v4/packages/django-foo/", HTTP_IF_NONE_MATCH=first["ETag"])

    assert second.status_code == 200
    assert second.json()["title"] == "Renamed"
    assert second["ETag"] != first["ETag"]


def test_a_new_grid_membership_shows_in_the_package_at_once(client, package):
    assert client.get("/api/v4/packages/django-foo/").json()["grids"] == []

    GridPackageFactory(grid=GridFactory(id=9), package=package)

    assert client.get("/api/v4/packages/django-foo/").json()["grids"] == [
        "http://testserver/api/v4/grids/9/"
    ]


def test_a_bulk_update_shows_at_once(client, package):
    client.get("/api/v4/packages/")
    Package.objects.filter(pk=package.pk).update(title="Bulk-updated")

    assert client.get("/api/v4/packages/").json()["results"][0]["title"] == "Bulk-updated"


def test_formats_and_query_strings_are_answered_apart(client, package):
    plain = client.get("/api/v4/packages/").json()["results"][0]["category"]
    suffixed = client.get("/api/v4/packages/?format=json").json()["results"][0]["category"]
    dotted = client.get("/api/v4/packages.json").json()["results"][0]["category"]

    assert not plain.endswith("format=json")
    assert suffixed.endswith("?format=json")
    assert dotted.endswith(".json")
    assert client.get("/api/v4/packages/?limit=1&offset=5").json()["results"] == []


def test_browsable_pages_and_errors_carry_no_etag(client, package):
    response = client.get("/api/v4/packages/?format=api")

    assert response.status_code == 200
    assert not response.has_header("ETag")
    assert client.get("/api/v4/packages/?limit=-1").status_code == 400
    assert not client.get("/api/v4/packages/?limit=-1").has_header("ETag")


def test_links_follow_the_requests_host_and_scheme(client, package, settings):
    settings.ALLOWED_HOSTS = ["testserver", "mirror.example.org"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    client.get("/api/v4/packages/")

    other_host = client.get("/api/v4/packages/", HTTP_HOST="mirror.example.org").json()
    other_scheme = client.get("/api/v4/packages/", HTTP_X_FORWARDED_PROTO="https").json()

    assert other_host["results"][0]["category"].startswith("http://mirror.example.org/")
    assert other_scheme["results"][0]["category"].startswith("https://testserver")


def test_a_host_allowed_hosts_refuses_is_a_400(client, package, settings):
    settings.ALLOWED_HOSTS = ["testserver"]

    codes = [
        client.get(path, HTTP_HOST="evil.example").status_code
        for path in ("/api/v4/packages/django-foo/", "/api/v4/packages/")
    ]

    assert codes == [400, 400]


def test_an_anonymous_read_is_answered_without_drf(client, package, monkeypatch):
    from rest_framework.views import APIView

    first = client.get("/api/v4/packages/django-foo/")

    def fail(*args, **kwargs):
        raise AssertionError("DRF dispatched a plain anonymous read")

    monkeypatch.setattr(APIView, "initial", fail)
    again = client.get("/api/v4/packages/django-foo/")
    listed = client.get("/api/v4/packages/?category=" + package.category.slug)

    assert again.content == first.content
    assert listed.status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/api/v4/packages/",
        "/api/v4/packages/?limit=1&offset=1",
        "/api/v4/packages/?limit=1&offset=2&nonce=x",
        "/api/v4/packages/?category=apps&ordering=-title",
        "/api/v4/packages/?q=w%C3%BCrst",
        "/api/v4/packages/?offset=99",
        "/api/v4/packages/django-foo/",
        "/api/v4/packages/wurst/",
        "/api/v4/grids/",
        "/api/v4/grids/?package=django-foo",
        "/api/v4/grids/g/",
        "/api/v4/categories/",
        "/api/v4/categories/apps/",
    ],
)
def test_stored_documents_are_the_bytes_and_headers_drf_gives(package, path):
    apps = CategoryFactory(slug="apps")
    grid = GridFactory(slug="g", description="\u2028 line separator")
    GridPackageFactory(grid=grid, package=package)
    GridPackageFactory(
        grid=grid,
        package=PackageFactory(slug="wurst", title="Würst \u2029", category=apps),
    )
    PackageFactory(category=apps)
    anonymous = APIClient().get(path)
    signed_in = APIClient()
    signed_in.force_authenticate(UserFactory())
    by_drf = signed_in.get(path)

    assert anonymous.status_code == by_drf.status_code == 200
    assert anonymous.content == by_drf.content
    for header in ("Content-Type", "Allow", "ETag", "Last-Modified"):
        assert anonymous.get(header) == by_drf.get(header), header
    assert "Accept" in anonymous["Vary"]


def test_reads_in_another_time_zone_are_answered_in_it(client, package, settings):
    settings.TIME_ZONE = "America/New_York"

    assert client.get("/api/v4/packages/django-foo/").json()["modified"].endswith("-05:00")
    assert client.get("/api/v4/packages/").json()["results"][0]["modified"].endswith("-05:00")


def test_no_cache_entry_holds_a_class_reference_and_renaming_a_class_breaks_no_read(
    client, package, monkeypatch, settings, redis_url
):
    """With Redis as the cache, what reads leave in it (the throttles' buckets) are plain
    values, and stored documents are text: a deploy that renames a class changes no read."""
    import redis

    prefix = f"test-{uuid.uuid4().hex}"
    redis_cache = {"BACKEND": "common.redis_cache.DegradingRedisCache", "LOCATION": redis_url}
    settings.CACHES = {
        "default": {**redis_cache, "KEY_PREFIX": prefix},
        "throttle": {**redis_cache, "KEY_PREFIX": f"{prefix}:throttle"},
    }
    from api import rendering, views

    first = client.get("/api/v4/packages/django-foo/")
    client.get("/api/v4/packages/")
    client.get("/api/v4/search/?q=foo")
    client.get("/api/v3/packages/")
    monkeypatch.delattr(rendering, "PackageJSON")
    viewset = views.PackageViewSet
    viewset.__name__ = viewset.__qualname__ = "RenamedViewSet"
    try:
        again = client.get("/api/v4/packages/django-foo/")
    finally:
        viewset.__name__ = viewset.__qualname__ = "PackageViewSet"

    assert (again.status_code, again.content) == (200, first.content)
    server = redis.Redis.from_url(redis_url)
    keys = list(server.scan_iter(f"{prefix}*"))
    assert keys, "the reads stored nothing: this test would prove nothing"
    for key in keys:
        kind = server.type(key).decode()
        values = [server.get(key)] if kind == "string" else list(server.hvals(key))
        for value in values:
            assert b"\x80" not in value[:1], (key, value)  # no pickle at all
            assert b"api." not in value, (key, value)
            assert b"django." not in value, (key, value)
