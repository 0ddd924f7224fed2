"""The read cache through the API on PostgreSQL, with each write committed so that the
listening connection hears of it (api/read_cache.py): a second read asks the database nothing and
is the same bytes, every write (this process's or another's) is seen on the next read, a lost
listener keeps nothing, the throttle still counts, and the unfiltered list's kept order gives
every page exactly as the statement without it would."""

import time

import psycopg
import pytest
from django.core.handlers.base import BaseHandler
from django.db import connection
from rest_framework.test import APIClient

from api import read_cache
from packages.models import Package
from tests.api.test_read_cache import CACHE_ON
from tests.factories import CategoryFactory, PackageFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def cache_on(settings):
    settings.API_READ_CACHE_BYTES = CACHE_ON
    yield
    settings.API_READ_CACHE_BYTES = 0  # closes the listener before the database is flushed


def _headers(response):
    """Every header field but the throttle's counters, which move with each request."""
    moving = ("ratelimit", "x-ratelimit-remaining", "x-ratelimit-reset")
    return {name: value for name, value in response.items() if name.lower() not in moving}


@pytest.fixture
def resolutions(monkeypatch):
    """How many requests reached URL resolution."""
    counted = []
    resolve_request = BaseHandler.resolve_request

    def counting(handler, request):
        counted.append(request.path)
        return resolve_request(handler, request)

    monkeypatch.setattr(BaseHandler, "resolve_request", counting)
    return counted


@pytest.mark.parametrize(
    "path", ["/api/v4/packages/{pk}/", "/api/v4/packages/", "/api/v4/packages/?limit=1&offset=0"]
)
def test_a_second_read_asks_the_database_nothing_and_is_the_same(
    cache_on, django_assert_num_queries, resolutions, path
):
    package = PackageFactory()
    client = APIClient()
    url = path.format(pk=package.pk)
    first = client.get(url)
    assert first.status_code == 200
    assert len(resolutions) == 1

    with django_assert_num_queries(0):
        second = client.get(url)
        not_modified = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])

    assert len(resolutions) == 1, "a kept answer is given before URL resolution"
    assert second.content == first.content
    assert _headers(second) == _headers(first)
    assert second["X-RateLimit-Remaining"] != first["X-RateLimit-Remaining"]
    assert not_modified.status_code == 304
    assert not_modified["ETag"] == first["ETag"]


def test_another_host_gets_its_own_links(cache_on, settings):
    settings.ALLOWED_HOSTS = ["testserver", "example.org"]
    package = PackageFactory()
    client = APIClient()
    client.get(f"/api/v4/packages/{package.pk}/")

    other = client.get(f"/api/v4/packages/{package.pk}/", HTTP_HOST="example.org")

    assert other.status_code == 200
    assert b"http://example.org/api/v4/" in other.content
    assert b"testserver" not in other.content


def test_a_filtered_list_is_not_kept(cache_on, django_assert_num_queries):
    category = CategoryFactory(slug="apps")
    PackageFactory(category=category)
    client = APIClient()
    client.get("/api/v4/packages/?category=apps")

    with django_assert_num_queries(1, exact=False):
        assert client.get("/api/v4/packages/?category=apps").status_code == 200


@pytest.mark.parametrize(
    "path", ["/api/v4/packages/?_=1765100000", "/api/v4/packages/{pk}/?utm_source=feed"]
)
def test_a_url_with_a_parameter_no_one_else_sends_is_not_kept(
    cache_on, django_assert_num_queries, path
):
    package = PackageFactory()
    client = APIClient()
    url = path.format(pk=package.pk)
    first = client.get(url)

    with django_assert_num_queries(1, exact=False):
        again = client.get(url)

    assert again.status_code == first.status_code == 200
    assert again.content == first.content
    assert not read_cache.read_cache().entries, "a cache buster keeps nothing"


def test_a_write_by_another_process_is_seen_on_the_next_read(cache_on):
    package = PackageFactory(title="Before")
    client = APIClient()
    url = f"/api/v4/packages/{package.pk}/"
    assert client.get(url).json()["title"] == "Before"
    assert client.get("/api/v4/packages/").json()["results"][0]["title"] == "Before"

    # Another process: its own connection, its own commit; this process's cache hears of it
    # only through the notification.
    with psycopg.connect(**_libpq_params(), autocommit=True) as other:
        other.execute(
            "UPDATE api_document SET body = replace(body, '\"Before\"', '\"After\"') "
            "WHERE kind = 'package' AND object_id = %s",
            [package.pk],
        )
    time.sleep(0.2)  # the notification crosses a socket

    assert client.get(url).json()["title"] == "After"
    assert client.get("/api/v4/packages/").json()["results"][0]["title"] == "After"


def test_this_processs_own_edit_is_seen_at_once(cache_on):
    package = PackageFactory(title="Before")
    client = APIClient()
    url = f"/api/v4/packages/{package.pk}/"
    client.get(url)
    client.get("/api/v4/packages/")

    package.title = "After"
    package.save()
    assert client.get(url).json()["title"] == "After"
    assert client.get("/api/v4/packages/").json()["results"][0]["title"] == "After"

    editor = APIClient()
    editor.force_authenticate(UserFactory(is_staff=True, is_superuser=True))
    assert editor.patch(url, {"title": "Patched"}, format="json").status_code == 200
    assert client.get(url).json()["title"] == "Patched"
    assert client.get("/api/v4/packages/").json()["results"][0]["title"] == "Patched"
    Package.objects.filter(pk=package.pk).delete()
    assert client.get(url).status_code == 404
    assert client.get("/api/v4/packages/").json()["count"] == 0


def test_a_lost_listener_means_every_read_asks_the_database(
    cache_on, django_assert_num_queries, monkeypatch
):
    package = PackageFactory()
    client = APIClient()
    url = f"/api/v4/packages/{package.pk}/"
    client.get(url)
    cache = read_cache.read_cache()
    listener_pid = cache.watch.listener.info.backend_pid
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [listener_pid])
    time.sleep(0.2)

    with django_assert_num_queries(1):
        assert client.get(url).status_code == 200  # the watch lost its listener: not kept
    assert cache.watch.listener is None
    with django_assert_num_queries(1):
        assert client.get(url).status_code == 200  # within RETRY_SECONDS: still not kept

    monkeypatch.setattr(read_cache, "RETRY_SECONDS", 0)
    cache.watch.next_attempt = 0
    client.get(url)  # listens again; kept from here on
    with django_assert_num_queries(0):
        assert client.get(url).status_code == 200


def test_cached_answers_still_count_against_the_throttle(cache_on, rates):
    rates(anon="1/min burst=3")
    package = PackageFactory()
    client = APIClient()
    statuses = [client.get(f"/api/v4/packages/{package.pk}/").status_code for _ in range(5)]

    assert statuses == [200, 200, 200, 429, 429]


def _libpq_params():
    params = connection.get_connection_params()
    return {k: v for k, v in params.items() if isinstance(v, str | int) and k != "options"}


# The unfiltered list's order, kept: any page is its slice's documents.

PAGES = [(20, 0), (5, 0), (5, 5), (5, 20), (7, 21), (5, 25), (5, 1000), (1000, 0), (1, 24)]


def _pages(client):
    return {
        (limit, offset): client.get(f"/api/v4/packages/?limit={limit}&offset={offset}").content
        for limit, offset in PAGES
    }


def test_every_page_read_through_the_kept_order_is_the_page_read_without_it(settings):
    PackageFactory.create_batch(25)
    client = APIClient()
    without = _pages(client)
    settings.API_READ_CACHE_BYTES = CACHE_ON

    with_order = _pages(client)
    settings.API_READ_CACHE_BYTES = 0

    assert with_order == without
    assert b'"count":25' in with_order[(5, 5)]


def test_the_order_is_read_once_then_each_page_reads_only_its_documents(
    cache_on, django_assert_num_queries
):
    PackageFactory.create_batch(3)
    client = APIClient()
    with django_assert_num_queries(2):  # the order, then the page's documents
        assert client.get("/api/v4/packages/?limit=1").json()["count"] == 3
    with django_assert_num_queries(1):
        assert len(client.get("/api/v4/packages/?limit=2&offset=1").json()["results"]) == 2
    with django_assert_num_queries(0):  # past the end: nothing to read
        assert client.get("/api/v4/packages/?offset=10").json()["results"] == []


def test_a_new_or_deleted_row_changes_the_kept_order(cache_on):
    first, second = PackageFactory.create_batch(2)
    client = APIClient()
    assert [p["id"] for p in client.get("/api/v4/packages/").json()["results"]] == [
        second.pk,
        first.pk,
    ]

    third = PackageFactory()
    assert [p["id"] for p in client.get("/api/v4/packages/?x=1").json()["results"]] == [
        third.pk,
        second.pk,
        first.pk,
    ]
    second.delete()
    page = client.get("/api/v4/packages/?x=2").json()
    assert [p["id"] for p in page["results"]] == [third.pk, first.pk]
    assert page["count"] == 2


def test_what_is_kept_is_plain_bytes_and_strings(cache_on):
    package = PackageFactory()
    client = APIClient()
    client.get(f"/api/v4/packages/{package.pk}/")
    client.get("/api/v4/packages/")
    cache = read_cache.read_cache()

    assert len(cache.entries) == 2
    for key, entry in cache.entries.items():
        assert type(key) is str
        assert type(entry.answer.body) is bytes
        assert type(entry.answer.etag) is str
        assert entry.answer.last_modified is None or type(entry.answer.last_modified) is str
    assert {kind: list(order) for kind, (order, _) in cache.orders.items()} == {
        "package": [package.pk]
    }
