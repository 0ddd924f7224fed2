"""Conditional GET (ETag, Last-Modified, 304) and the cache of rendered responses."""

import threading
import time
from datetime import UTC, datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.utils.http import http_date

from api import caching
from api import generation as db_generation
from api.serializers.read import PackageSerializer
from packages.models import Package
from tests.factories import GridFactory, GridPackageFactory, PackageFactory

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
    ],
)
def test_matching_if_none_match_is_a_304_without_queries_or_serializing(
    client, package, path, django_assert_num_queries, monkeypatch
):
    etag = client.get(path)["ETag"]

    def fail(*args, **kwargs):
        raise AssertionError("serialized for a 304")

    monkeypatch.setattr(PackageSerializer, "to_representation", fail)
    with django_assert_num_queries(0):
        response = client.get(path, HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag


def test_if_none_match_works_without_the_cache(client, package, settings):
    settings.API_CACHE_SECONDS = 0
    etag = client.get("/api/v4/packages/")["ETag"]

    assert client.get("/api/v4/packages/", HTTP_IF_NONE_MATCH=f'W/"x", {etag}').status_code == 304
    assert client.get("/api/v4/packages/", HTTP_IF_NONE_MATCH='"other"').status_code == 200


def test_a_change_gives_a_new_body_and_etag(client, package):
    first = client.get("/api/v4/packages/django-foo/")

    package.title = "Renamed"
    package.save()
    second = client.get("/api/v4/packages/django-foo/", HTTP_IF_NONE_MATCH=first["ETag"])

    assert second.status_code == 200
    assert second.json()["title"] == "Renamed"
    assert second["ETag"] != first["ETag"]


def test_a_new_grid_membership_invalidates_the_cached_package(client, package):
    assert client.get("/api/v4/packages/django-foo/").json()["grids"] == []

    GridPackageFactory(grid=GridFactory(id=9), package=package)

    assert client.get("/api/v4/packages/django-foo/").json()["grids"] == [
        "http://testserver/api/v4/grids/9/"
    ]


def test_cached_response_is_served_without_queries(client, package, django_assert_num_queries):
    first = client.get("/api/v4/packages/")

    with django_assert_num_queries(0):
        second = client.get("/api/v4/packages/")

    assert second.content == first.content
    assert second["Content-Type"] == "application/json"
    assert "Accept" in second["Vary"]
    assert second["Vary"] == first["Vary"]
    assert second["Allow"] == "GET, HEAD, OPTIONS"


def test_formats_and_query_strings_are_cached_apart(client, package):
    plain = client.get("/api/v4/packages/").json()["results"][0]["category"]
    suffixed = client.get("/api/v4/packages/?format=json").json()["results"][0]["category"]

    assert not plain.endswith("format=json")
    assert suffixed.endswith("?format=json")
    assert client.get("/api/v4/packages/?limit=1&offset=5").json()["results"] == []


def test_browsable_pages_are_not_cached_or_etagged(client, package):
    response = client.get("/api/v4/packages/?format=api")

    assert response.status_code == 200
    assert not response.has_header("ETag")


def test_errors_are_not_cached(client, package):
    assert client.get("/api/v4/packages/?limit=-1").status_code == 400
    assert not client.get("/api/v4/packages/?limit=-1").has_header("ETag")


@pytest.fixture
def shared_cache(settings):
    """The default cache as production has it with Redis: seen by every process."""
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "tests.api.shared_cache.SharedMemoryCache", "LOCATION": "shared"},
    }
    cache.clear()
    caching.reset_local_entries()
    yield
    cache.clear()


@pytest.mark.usefixtures("shared_cache")
def test_another_processs_write_is_seen_once_the_shared_version_is_rechecked(
    client, package, monkeypatch, django_assert_max_num_queries
):
    client.get("/api/v4/packages/")
    Package.objects.filter(pk=package.pk).update(title="Changed elsewhere")
    cache.set(caching.VERSION_KEY, "bumped-by-another-process", None)

    with django_assert_max_num_queries(0):
        within_the_second = client.get("/api/v4/packages/").json()
    monkeypatch.setattr(caching, "LOCAL_VERSION_SECONDS", 0)
    after = client.get("/api/v4/packages/").json()

    assert within_the_second["results"][0]["title"] != "Changed elsewhere"
    assert after["results"][0]["title"] == "Changed elsewhere"


def test_another_processs_commit_is_seen_once_the_database_generation_is_rechecked(
    client, package, monkeypatch, django_assert_max_num_queries
):
    client.get("/api/v4/packages/")
    Package.objects.filter(pk=package.pk).update(title="Changed elsewhere")
    monkeypatch.setattr(caching, "database_generation", lambda: "after-another-commit")

    with django_assert_max_num_queries(0):
        within_the_second = client.get("/api/v4/packages/").json()
    monkeypatch.setattr(caching, "LOCAL_VERSION_SECONDS", 0)
    after = client.get("/api/v4/packages/").json()

    assert within_the_second["results"][0]["title"] != "Changed elsewhere"
    assert after["results"][0]["title"] == "Changed elsewhere"


@pytest.mark.django_db(transaction=True)
def test_the_database_generation_changes_when_another_connection_commits():
    def commit_elsewhere():
        PackageFactory(slug="written-by-another-worker")
        connection.close()

    before = db_generation.database_generation()
    unchanged = db_generation.database_generation()
    thread = threading.Thread(target=commit_elsewhere)
    thread.start()
    thread.join()

    assert unchanged == before
    assert db_generation.database_generation() != before


def test_the_embedded_cache_serves_its_own_writes_at_once(client, package):
    client.get("/api/v4/packages/django-foo/")

    client_view = Package.objects.get(pk=package.pk)
    client_view.title = "Renamed here"
    client_view.save()

    assert client.get("/api/v4/packages/django-foo/").json()["title"] == "Renamed here"


def test_entries_expire_after_api_cache_seconds(client, package, settings, monkeypatch):
    client.get("/api/v4/packages/")
    Package.objects.filter(pk=package.pk).update(title="Bulk-updated")

    now = time.time()
    monkeypatch.setattr(caching.time, "time", lambda: now + settings.API_CACHE_SECONDS + 1)
    cache.clear()

    assert client.get("/api/v4/packages/").json()["results"][0]["title"] == "Bulk-updated"


def test_if_none_match_star_is_a_304(client, package):
    client.get("/api/v4/packages/django-foo/")

    response = client.get("/api/v4/packages/django-foo/", HTTP_IF_NONE_MATCH="*")

    assert response.status_code == 304


@pytest.mark.parametrize("setup", ["embedded", "shared"])
def test_a_response_cached_for_one_host_is_not_served_to_another(client, package, settings, setup):
    if setup == "shared":
        settings.CACHES = {
            **settings.CACHES,
            "default": {"BACKEND": "tests.api.shared_cache.SharedMemoryCache", "LOCATION": "h"},
        }
    settings.ALLOWED_HOSTS = ["testserver", "mirror.example.org"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    client.get("/api/v4/packages/")

    other_host = client.get("/api/v4/packages/", HTTP_HOST="mirror.example.org").json()
    other_scheme = client.get("/api/v4/packages/", HTTP_X_FORWARDED_PROTO="https").json()

    assert other_host["results"][0]["category"].startswith("http://mirror.example.org/")
    assert other_scheme["results"][0]["category"].startswith("https://testserver")


def test_an_anonymous_cached_read_is_answered_before_drf_dispatches(client, package, monkeypatch):
    from rest_framework.views import APIView

    first = client.get("/api/v4/packages/django-foo/")

    def fail(*args, **kwargs):
        raise AssertionError("DRF dispatched a cached read")

    monkeypatch.setattr(APIView, "initial", fail)
    again = client.get("/api/v4/packages/django-foo/")

    assert again.content == first.content
    assert again["Vary"] == first["Vary"]
    assert again["Allow"] == first["Allow"]


def test_a_cached_anonymous_read_is_answered_before_its_url_is_resolved(
    client, package, monkeypatch
):
    from django.urls.resolvers import URLResolver

    first = client.get("/api/v4/packages/django-foo/")

    def fail(*args, **kwargs):
        raise AssertionError("the URL of a cached read was resolved")

    monkeypatch.setattr(URLResolver, "resolve", fail)
    again = client.get("/api/v4/packages/django-foo/")

    assert again.content == first.content
    assert (again["ETag"], again["Vary"], again["Allow"]) == (
        first["ETag"],
        first["Vary"],
        first["Allow"],
    )


def test_the_sqlite_generation_survives_a_reconnect_and_sees_another_commit(tmp_path):
    import sqlite3

    path = tmp_path / "db.sqlite3"
    with sqlite3.connect(path) as setup:
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute("CREATE TABLE t (x)")
    generation = db_generation.SqliteDataVersion()

    before = generation.read(path)
    with sqlite3.connect(path) as reader:  # a reconnect, as Django's after CONN_MAX_AGE
        reader.execute("SELECT * FROM t").fetchall()
    unchanged = generation.read(path)
    with sqlite3.connect(path) as writer:
        writer.execute("INSERT INTO t VALUES (1)")
    after = generation.read(path)

    assert before == unchanged
    assert after != before
    assert generation.read(":memory:") is None
    assert generation.read("file:memorydb_default?mode=memory&cache=shared") is None


def test_an_uncached_read_looks_in_the_cache_once(client, package, monkeypatch):
    lookups = []
    lookup = caching._lookup
    monkeypatch.setattr(caching, "_lookup", lambda key: lookups.append(key) or lookup(key))

    client.get("/api/v4/packages/django-foo/")
    client.get("/api/v4/packages/django-foo/")

    assert len(lookups) == 2
    assert lookups[0] == lookups[1]


def test_a_host_allowed_hosts_refuses_is_a_400_however_often_it_asks(client, package, settings):
    settings.ALLOWED_HOSTS = ["testserver"]

    codes = [
        client.get("/api/v4/packages/django-foo/", HTTP_HOST="evil.example").status_code
        for _ in range(2)
    ]

    assert codes == [400, 400]


def _entry(body=b"{}", expires_in=300):
    return {"version": "v", "body": body, "expires_at": time.time() + expires_in}


def test_one_off_urls_do_not_evict_the_entries_that_are_read_again():
    entries = caching._LocalEntries()
    entries.reset("v")
    entries.put("read-again", _entry())
    entries.get("read-again")

    for n in range(caching.LOCAL_ENTRIES * 2):
        entries.put(f"one-off-{n}", _entry())

    assert entries.get("read-again") is not None
    assert len(entries.probation) + len(entries.entries) <= caching.LOCAL_ENTRIES


def test_an_expired_entry_makes_way_for_a_fresh_one():
    entries = caching._LocalEntries()
    entries.reset("v")
    entries.put("key", _entry(b"old", expires_in=-1))
    entries.get("key")

    assert entries.get("key") is None
    entries.put("key", _entry(b"new"))
    assert entries.get("key")["body"] == b"new"
