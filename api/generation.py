"""The database's commit generation: a token that changes whenever another connection
commits, which the per-process response cache (api.caching) is checked against on the
embedded default: SQLite's `PRAGMA data_version`, PostgreSQL's current snapshot."""

import os
import sqlite3
import threading
import uuid

from django.db import connection
from django.db.backends.signals import connection_created

# Each new database connection starts SQLite's data_version counting afresh.
_connections_opened = [0]


def _count_connection(**_kwargs):
    _connections_opened[0] += 1


connection_created.connect(_count_connection, dispatch_uid="api-caching-connections")


class SqliteDataVersion:
    """`PRAGMA data_version` of an SQLite file, read on a connection of this process's own.

    The value changes whenever another connection (Django's included) commits to the file.
    Django's own connection is closed and reopened every `CONN_MAX_AGE` seconds, and a new
    connection counts afresh, so reading it there would drop every cached entry of the process
    once a minute; this connection stays open. None for an in-memory database, which only
    Django's connection can see.
    """

    def __init__(self):
        self.lock = threading.Lock()
        self.opened: tuple[int, str] | None = None
        self.connection: sqlite3.Connection | None = None

    def read(self, name) -> str | None:
        name = str(name)
        if name == ":memory:" or "mode=memory" in name:
            return None
        with self.lock:
            if self.opened != (os.getpid(), name):  # a forked worker opens its own
                self.connection = sqlite3.connect(name, check_same_thread=False)
                self.opened = (os.getpid(), name)
            assert self.connection is not None
            return f"file:{self.connection.execute('PRAGMA data_version').fetchone()[0]}"


_sqlite_data_version = SqliteDataVersion()


def database_generation() -> str:
    """A token that changes whenever another connection commits (one trivial read)."""
    if connection.vendor == "sqlite":
        version = _sqlite_data_version.read(connection.settings_dict["NAME"])
        if version is not None:
            return version
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA data_version")
            return f"{_connections_opened[0]}:{cursor.fetchone()[0]}"
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_current_snapshot()::text")
            return cursor.fetchone()[0]
    return uuid.uuid4().hex  # no generation to read: never reuse an entry across checks
