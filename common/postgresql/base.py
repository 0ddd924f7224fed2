"""Django's PostgreSQL backend, bounded: no request waits forever on a silent database.

The server ends a slow statement itself (`statement_timeout`, set with the other session
settings in settings.py), and TCP keepalives find a dead peer on an idle connection. Neither
helps when the server, or a proxy in front of it, keeps the connection open and answers nothing:
its kernel still acknowledges every packet. So every wait for the server on a connection (a
query, a commit, the health check when it asks the server) is bounded by DB_STALL_TIMEOUT
seconds: past it the connection is closed (its state is unknown) and `DatabaseStalledError`, an
OperationalError, is raised; the error middleware answers 503. Migrations, and the connection
Django uses to create and drop databases, run without either bound.
"""

import select
from typing import Any

import psycopg
from django.conf import settings
from django.db import connections
from django.db.backends.base.base import NO_DB_ALIAS
from django.db.backends.postgresql import base
from psycopg.pq import TransactionStatus


class DatabaseStalledError(psycopg.OperationalError):
    """The server did not answer within DB_STALL_TIMEOUT seconds; the connection was closed."""


class BoundedConnection(psycopg.Connection[Any]):
    """A psycopg connection whose every wait for the server lasts at most `stall_timeout`."""

    stall_timeout: float | None = None

    def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
        if timeout is None:
            timeout = self.stall_timeout
        try:
            return super().wait(gen, interval=interval, timeout=timeout)
        except psycopg.OperationalError as exc:
            if self.closed or self.pgconn.transaction_status != TransactionStatus.ACTIVE:
                raise  # the server answered (an error), or the connection is gone
            # Still waiting for an answer, past the bound: what the session did is unknown.
            self.close()
            raise DatabaseStalledError(
                f"the database did not answer within {timeout:g} s; connection closed"
            ) from exc


class _Driver:
    """psycopg as the backend uses it (exceptions, types), connecting with BoundedConnection."""

    def __getattr__(self, name: str) -> Any:
        return getattr(psycopg, name)

    @staticmethod
    def connect(*args: Any, **kwargs: Any) -> BoundedConnection:
        return BoundedConnection.connect(*args, **kwargs)


class DatabaseWrapper(base.DatabaseWrapper):
    Database = _Driver()

    @property
    def is_unbounded(self) -> bool:
        """The connection Django opens to create and drop databases (the test databases): a
        large one takes its time, and no request waits on it."""
        return self.alias == NO_DB_ALIAS

    def get_connection_params(self) -> dict[str, Any]:
        params = super().get_connection_params()
        if self.is_unbounded:
            params["options"] = f"{params.get('options', '')} -c statement_timeout=0".strip()
        return params

    def is_usable(self) -> bool:
        """Django's health check of a reused connection, without a round trip when it can: an
        idle connection has nothing to read unless the server closed it (a restart,
        `pg_terminate_backend`, an idle timeout: a FATAL message, then the end of the stream)
        or sent a notice; only then is the server asked (Django's `SELECT 1`). A silent server
        is the stall bound's to find, as it was the `SELECT 1`'s."""
        connection = self.connection
        if connection is None or connection.closed:
            return False
        if connection.pgconn.transaction_status != TransactionStatus.IDLE:
            return bool(super().is_usable())
        try:
            readable, _, _ = select.select([connection.fileno()], [], [], 0)
        except (OSError, ValueError):
            return False
        return not readable or bool(super().is_usable())

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        connection = super().get_new_connection(conn_params)
        if isinstance(connection, BoundedConnection) and not self.is_unbounded:
            connection.stall_timeout = settings.DB_STALL_TIMEOUT or None
        return connection


def lift_bounds_for_migrations(using: str = "default", **kwargs: Any) -> None:
    """pre_migrate: a migration may take long on a large table; nothing cuts it short."""
    _set_bounds(using, lifted=True)


def restore_bounds_after_migrations(using: str = "default", **kwargs: Any) -> None:
    """post_migrate: the connection's configured bounds again."""
    _set_bounds(using, lifted=False)


def _set_bounds(using: str, *, lifted: bool) -> None:
    connection = connections[using]
    if not isinstance(connection, DatabaseWrapper):
        return
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 0" if lifted else "RESET statement_timeout")
    if isinstance(connection.connection, BoundedConnection):
        connection.connection.stall_timeout = None if lifted else settings.DB_STALL_TIMEOUT or None
