"""The read cache on its own (api/read_cache.py), with a watch the test controls or a SQLite
file of its own: an answer and a list's order are kept until the watch sees a change; nothing
is kept when the process cannot watch the database, inside a transaction, or past its byte
budget and age; a format parameter, however written, never reaches the plain read. Through the
API with a real watch: test_read_cache_postgres.py, and test_read_cache_served.py under
gunicorn on both databases."""

import importlib
import sqlite3
import time

import pytest
from django.db import connection

from api import read_cache
from api.read_cache import Answer, ReadCache, SqliteWatch
from tests.factories import PackageFactory

INSTALL = importlib.import_module("api.migrations.0006_document_version_cache23").INSTALL

CACHE_ON = 1024 * 1024


class FakeWatch:
    """A watch whose answer the test sets."""

    def __init__(self, answer=False):
        self.answer = answer

    def changed(self):
        return self.answer

    def close(self):
        pass


def answer(body=b"{}"):
    return Answer(body, '"tag"', None, "GET, HEAD, OPTIONS")


# What the cache does on its own (a watch the test controls).


def test_an_answer_is_kept_until_the_watch_sees_a_change():
    watch = FakeWatch()
    cache = ReadCache(watch, max_bytes=CACHE_ON, max_age=60)
    assert cache.get("k") is None
    cache.put("k", answer(b"one"))

    assert cache.get("k") == answer(b"one")
    watch.answer = True
    assert cache.get("k") is None
    watch.answer = False
    assert cache.get("k") is None  # cleared, not only skipped once


def test_nothing_is_kept_when_the_watch_cannot_tell():
    cache = ReadCache(FakeWatch(None), max_bytes=CACHE_ON, max_age=60)
    assert cache.get("k") is None
    cache.put("k", answer())

    assert cache.entries == {}


def test_the_least_recently_used_answers_go_past_the_byte_budget():
    body = b"x" * 1000
    one_entry = 1000 + len("k0") + read_cache.ENTRY_OVERHEAD
    cache = ReadCache(FakeWatch(), max_bytes=2 * one_entry, max_age=60)
    cache.get("k0")
    cache.put("k0", answer(body))
    cache.put("k1", answer(body))
    assert cache.get("k0") is not None  # k0 is now the most recently used
    cache.put("k2", answer(body))

    assert list(cache.entries) == ["k0", "k2"]
    assert cache.size == 2 * one_entry
    cache.put("huge", answer(b"y" * 3 * one_entry))
    assert "huge" not in cache.entries


def test_an_answer_older_than_its_age_is_read_again(monkeypatch):
    cache = ReadCache(FakeWatch(), max_bytes=CACHE_ON, max_age=60)
    now = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    cache.get("k")
    cache.put("k", answer())
    now[0] += 59
    assert cache.get("k") is not None
    now[0] += 2

    assert cache.get("k") is None
    assert cache.size == 0


@pytest.mark.django_db
def test_nothing_is_kept_inside_a_transaction():
    cache = ReadCache(FakeWatch(), max_bytes=CACHE_ON, max_age=60)
    cache.get("k")
    assert connection.in_atomic_block  # the test's own transaction
    cache.put("k", answer())

    assert cache.entries == {}


def test_sqlite_a_document_write_is_seen_and_other_writes_are_not(tmp_path):
    path = str(tmp_path / "watched.sqlite3")
    writer = sqlite3.connect(path, isolation_level=None)
    for statement in (
        "CREATE TABLE api_document (id INTEGER PRIMARY KEY, body TEXT)",
        "CREATE TABLE heartbeat (at TEXT)",
        *INSTALL,
    ):
        writer.execute(statement)
    watch = SqliteWatch(path)

    assert watch.changed() is True  # first look: nothing known yet
    assert watch.changed() is False
    writer.execute("INSERT INTO heartbeat VALUES ('now')")
    assert watch.changed() is False  # the file changed, no document did
    for statement in (
        "INSERT INTO api_document (body) VALUES ('{}')",
        "UPDATE api_document SET body = '[]'",
        "DELETE FROM api_document",
    ):
        writer.execute(statement)
        assert watch.changed() is True, statement
        assert watch.changed() is False
    writer.close()
    watch.close()


def test_a_sqlite_file_without_the_documents_version_means_no_caching(tmp_path):
    path = str(tmp_path / "unmigrated.sqlite3")
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.close()

    assert SqliteWatch(path).changed() is None


def test_an_unreadable_sqlite_file_means_no_caching(tmp_path):
    (tmp_path / "not-a-database.sqlite3").write_bytes(b"this is not SQLite" * 100)
    watch = SqliteWatch(str(tmp_path / "not-a-database.sqlite3"))

    assert watch.changed() is None


def test_the_cache_is_off_with_a_zero_budget(settings):
    settings.API_READ_CACHE_BYTES = 0

    assert read_cache.read_cache() is None


def test_an_order_is_not_kept_when_the_watch_cannot_tell():
    cache = ReadCache(FakeWatch(None), max_bytes=CACHE_ON, max_age=60)
    cache.get("k")

    assert cache.kept_order("package", lambda: [3, 2, 1]) is None
    assert cache.orders == {}


def test_a_change_forgets_the_kept_order():
    watch = FakeWatch()
    cache = ReadCache(watch, max_bytes=CACHE_ON, max_age=60)
    cache.watching = True
    assert list(cache.kept_order("package", lambda: [3, 2, 1])) == [3, 2, 1]
    assert list(cache.kept_order("package", lambda: [9])) == [3, 2, 1]

    watch.answer = True
    cache.get("k")
    assert list(cache.kept_order("package", lambda: [4, 3, 2, 1])) == [4, 3, 2, 1]


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["format=api", "f%6Frmat=api", "limit=1&%66ormat=api"])
def test_a_format_parameter_however_written_goes_to_drf(client, query):
    PackageFactory(slug="written")

    for path in ("/api/v4/packages/written/", "/api/v4/packages/"):
        # DRF's answer to a format the Accept header refuses: never the plain JSON read's 200.
        response = client.get(f"{path}?{query}", HTTP_ACCEPT="application/json")
        assert response.status_code == 406, (path, query)
        browsable = client.get(f"{path}?{query}")
        assert browsable["Content-Type"].startswith("text/html"), (path, query)


def test_a_kept_order_older_than_its_age_is_read_again(monkeypatch):
    cache = ReadCache(FakeWatch(), max_bytes=CACHE_ON, max_age=60)
    now = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    cache.get("k")
    assert list(cache.kept_order("package", lambda: [2, 1])) == [2, 1]
    now[0] += 59
    assert list(cache.kept_order("package", lambda: [3, 2, 1])) == [2, 1]
    now[0] += 2

    assert list(cache.kept_order("package", lambda: [3, 2, 1])) == [3, 2, 1]
