"""This process's cache of anonymous JSON read answers (api/reads.py): the response body of a
package, grid or category detail asked with no query string, or of a list page asked with only
`limit` and `offset` (`DocumentRead.keeps`), as bytes, with its ETag, `Last-Modified` and
`Allow`, kept until the stored documents change; and each unfiltered list's ids in
order, so any page of it (whatever its query string) reads only its own documents.

A process learns of a change without asking anyone while it answers a request:
- PostgreSQL: a statement trigger on the documents' table (api/migrations/0005) sends a
  notification on `api_documents` when a write that changed a document commits; each process
  listens on a connection of its own and, before each read, looks at that connection's socket
  (a non-blocking `select`, no round trip). Any notification clears the cache.
- SQLite: `PRAGMA data_version` on a connection of its own, which moves whenever any other
  connection (another process, or this process's Django connection) commits a write; only
  then is the documents' version (a row triggers on the documents' table keep) read, and only
  a new version clears the cache.
- Its own writes also clear it at once (`forget_all`, called by `api.documents.rebuild`).

When it cannot watch (the listener cannot connect, an in-memory database), nothing is kept and
every read goes to the documents. An entry also expires after API_READ_CACHE_SECONDS, a bound on
a watch that missed something. Nothing is stored while a transaction is open (its writes may
roll back). Entries are plain bytes and strings: no pickle, no class reference.

API_READ_CACHE_BYTES bounds the bodies kept per process (least recently used go first); 0 turns
the cache off.
"""

import functools
import os
import select
import sqlite3
import threading
import time
from array import array
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import psycopg
from django.conf import settings
from django.db import connection
from django.http import HttpRequest

CHANNEL = "api_documents"
# SQLite: the documents' version, moved by every write to api_document (api/migrations/0006).
DOCUMENTS_VERSION = "SELECT version FROM api_document_version WHERE id = 1"
# After a failed attempt to listen, the next one waits this long (reads go to the documents).
RETRY_SECONDS = 5.0
# What an entry costs beyond its body and key (the objects around them), for the byte budget.
ENTRY_OVERHEAD = 200


@dataclass(frozen=True, slots=True)
class Answer:
    """A read's response: its body (links complete), ETag, `Last-Modified` (HTTP date) and the
    methods its resource allows (`Allow`)."""

    body: bytes
    etag: str
    last_modified: str | None
    allow: str


class ChangeWatch(Protocol):
    def changed(self) -> bool | None:
        """Has a document changed since the last call? None: cannot tell (keep nothing)."""

    def close(self) -> None:
        """Let go of what it holds (its connection)."""


class PostgresWatch:
    """Notifications on CHANNEL, read off a listening connection of this process's own."""

    def __init__(self, params: dict[str, Any]) -> None:
        self.params = params
        self.listener: psycopg.Connection[Any] | None = None
        self.next_attempt = 0.0

    def changed(self) -> bool | None:
        if self.listener is None:
            # A new listener heard nothing of what happened before it: anything kept is suspect.
            return True if self.listen() else None
        try:
            readable, _, _ = select.select([self.listener.fileno()], [], [], 0)
            if not readable:
                return False
            pgconn = self.listener.pgconn
            pgconn.consume_input()
            heard = 0
            while pgconn.notifies() is not None:
                heard += 1
            if not heard or pgconn.status != psycopg.pq.ConnStatus.OK:
                # Something else to read: the server's goodbye (a restart, a terminated backend)
                # or the end of the stream. Listen anew later; keep nothing meanwhile.
                raise psycopg.OperationalError("the listening connection was closed")
            return True
        except (OSError, ValueError, psycopg.Error):
            self.close()
            self.next_attempt = time.monotonic() + RETRY_SECONDS
            return None

    def listen(self) -> bool:
        if time.monotonic() < self.next_attempt:
            return False
        try:
            self.listener = psycopg.connect(**self.params, autocommit=True)
            self.listener.execute(f"LISTEN {CHANNEL}")
        except psycopg.Error:
            self.close()
            self.next_attempt = time.monotonic() + RETRY_SECONDS
            return False
        return True

    def close(self) -> None:
        if self.listener is not None:
            self.listener.close()
        self.listener = None


class SqliteWatch:
    """The documents' version (api_document_version, kept by triggers on api_document:
    api/migrations/0006), read on a connection of this process's own only when `PRAGMA
    data_version` says another connection wrote to the file: the task worker's heartbeats and
    other writes that change no document do not empty the cache."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.reader: sqlite3.Connection | None = None
        self.file_version: int | None = None
        self.documents_version: int | None = None

    def changed(self) -> bool | None:
        try:
            if self.reader is None:
                self.reader = sqlite3.connect(self.path, check_same_thread=False)
            (file_version,) = self.reader.execute("PRAGMA data_version").fetchone()
            if file_version == self.file_version:
                return False
            (documents_version,) = self.reader.execute(DOCUMENTS_VERSION).fetchone()
        except (sqlite3.Error, TypeError):
            self.close()
            return None
        seen = self.documents_version
        self.file_version, self.documents_version = file_version, documents_version
        return seen != documents_version

    def close(self) -> None:
        if self.reader is not None:
            self.reader.close()
        self.reader, self.file_version, self.documents_version = None, None, None


class NoWatch:
    """A database this process cannot watch: nothing is kept."""

    def changed(self) -> bool | None:
        return None

    def close(self) -> None:
        pass


def watch_for_database() -> ChangeWatch:
    """The watch that fits the default database."""
    if connection.vendor == "postgresql":
        params = connection.get_connection_params()
        libpq = {k: v for k, v in params.items() if isinstance(v, str | int) and k != "options"}
        return PostgresWatch(libpq)
    name = str(connection.settings_dict["NAME"])
    if connection.vendor == "sqlite" and name != ":memory:" and "mode=memory" not in name:
        return SqliteWatch(name)
    return NoWatch()


@dataclass
class Entry:
    answer: Answer
    size: int
    stored_at: float


class ReadCache:
    """Answers by URL, least recently used first out, cleared whenever the watch sees a change."""

    def __init__(self, watch: ChangeWatch, *, max_bytes: int, max_age: float) -> None:
        self.watch, self.max_bytes, self.max_age = watch, max_bytes, max_age
        self.entries: OrderedDict[str, Entry] = OrderedDict()
        # Each unfiltered list's ids in its order and when they were read, by kind (`kept_order`).
        self.orders: dict[str, tuple[Sequence[int], float]] = {}
        self.size = 0
        self.watching = False
        self.lock = threading.Lock()

    def get(self, key: str) -> Answer | None:
        """The answer kept for `key`, if the documents have not changed since."""
        with self.lock:
            changed = self.watch.changed()
            self.watching = changed is not None
            if changed is not False:
                self.clear()
                return None
            entry = self.entries.get(key)
            if entry is None:
                return None
            if time.monotonic() - entry.stored_at > self.max_age:
                self.drop(key)
                return None
            self.entries.move_to_end(key)
            return entry.answer

    def put(self, key: str, answer: Answer) -> None:
        """Keep `answer` (read after the last `get`), unless it might not last."""
        size = len(answer.body) + len(key) + ENTRY_OVERHEAD
        if not self.watching or connection.in_atomic_block or size > self.max_bytes:
            return
        with self.lock:
            self.drop(key)
            self.entries[key] = Entry(answer, size, time.monotonic())
            self.size += size
            while self.size > self.max_bytes:
                self.drop(next(iter(self.entries)))

    def kept_order(self, kind: str, read: Callable[[], list[int] | None]) -> Sequence[int] | None:
        """The unfiltered list of `kind`'s ids in order, `read()` once after each change; None
        when it may not be kept (as `put` keeps answers) or `read` cannot give it."""
        with self.lock:
            found = self.orders.get(kind)
        if found is not None and time.monotonic() - found[1] <= self.max_age:
            return found[0]
        if not self.watching or connection.in_atomic_block:
            return None
        ids = read()
        if ids is None or len(ids) * 8 > self.max_bytes:
            return None
        kept = array("q", ids)
        with self.lock:
            self.orders[kind] = (kept, time.monotonic())
        return kept

    def drop(self, key: str) -> None:
        entry = self.entries.pop(key, None)
        if entry is not None:
            self.size -= entry.size

    def clear(self) -> None:
        self.entries.clear()
        self.orders.clear()
        self.size = 0


@functools.cache
def _process_cache(pid: int) -> ReadCache | None:
    max_bytes = int(getattr(settings, "API_READ_CACHE_BYTES", 0))
    if max_bytes <= 0:
        return None
    max_age = float(getattr(settings, "API_READ_CACHE_SECONDS", 60))
    return ReadCache(watch_for_database(), max_bytes=max_bytes, max_age=max_age)


def read_cache() -> ReadCache | None:
    """This process's cache (None when turned off), made on first use; a forked child makes
    its own."""
    return _process_cache(os.getpid())


def cache_key(request: HttpRequest) -> str:
    """What an answer is kept by: its scheme, what its host is read from (CommonMiddleware has
    checked it against ALLOWED_HOSTS; the links are completed with it) and the path with its
    query string, as sent."""
    meta = request.META
    host = (
        f"{meta.get('HTTP_X_FORWARDED_HOST', '')}|{meta.get('HTTP_HOST', '')}|"
        f"{meta.get('SERVER_NAME', '')}:{meta.get('SERVER_PORT', '')}"
    )
    return f"{request.scheme}://{host}{request.path}?{meta.get('QUERY_STRING', '')}"


def forget_all() -> None:
    """This process wrote documents: what it kept is forgotten at once (other processes learn
    of it from their watch)."""
    cache = read_cache()
    if cache is not None:
        with cache.lock:
            cache.clear()


def forget_process_state(*, setting: str, **kwargs: Any) -> None:
    """`setting_changed` receiver (connected in `ApiConfig.ready`): a new cache, and a new watch
    of the database, when their settings change."""
    if setting in {"API_READ_CACHE_BYTES", "API_READ_CACHE_SECONDS", "DATABASES"}:
        cache = read_cache() if _process_cache.cache_info().currsize else None
        if cache is not None:
            cache.watch.close()
        _process_cache.cache_clear()
