"""The per-request health check of a reused PostgreSQL connection costs no round trip: an idle
connection has nothing to read unless the server closed it (a restart, `pg_terminate_backend`,
an idle timeout sends a FATAL message, then the end of the stream), and only then is the
connection asked (`SELECT 1`) and, failing, replaced before the request's first query."""

import time

import psycopg
import pytest
from django.db import connection

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def other_session():
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.pop("prepare_threshold", None)
    params.pop("options", None)
    return psycopg.connect(**params, autocommit=True)


def last_statement_of(pid: int) -> str:
    with other_session() as session:
        row = session.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()
    return row[0]


def request_starts() -> None:
    """What Django does for a reused connection when a request starts (the health check is due
    again) and its first query asks for a cursor (the check runs)."""
    connection.health_check_done = False
    connection.close_if_health_check_failed()


def test_a_healthy_idle_connection_is_not_asked_anything(settings):
    connection.ensure_connection()
    assert connection.health_check_enabled
    with connection.cursor() as cursor:
        cursor.execute("SELECT 'the request before'")
        pid = connection.connection.info.backend_pid

    request_starts()

    assert connection.connection is not None
    assert connection.connection.info.backend_pid == pid
    assert last_statement_of(pid) == "SELECT 'the request before'"


def test_a_connection_the_server_closed_is_replaced_before_the_first_query():
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    with other_session() as session:
        session.execute("SELECT pg_terminate_backend(%s)", [pid])
    deadline = time.monotonic() + 5
    while last_statement_of_exists(pid) and time.monotonic() < deadline:
        time.sleep(0.02)

    request_starts()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 2")
        assert cursor.fetchone() == (2,)

    assert connection.connection.info.backend_pid != pid


def last_statement_of_exists(pid: int) -> bool:
    with other_session() as session:
        return bool(
            session.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()
        )
