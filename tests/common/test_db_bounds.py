"""PostgreSQL sessions carry their bounds: statement and idle-in-transaction timeouts from the
settings, a client-side bound on every wait; a statement the server cuts short is a JSON 503
"did not answer in time"; migrations run unbounded, and the bounds come back after them."""

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.db.backends.base.base import NO_DB_ALIAS
from django.http import JsonResponse
from django.urls import path

from common.postgresql.base import lift_bounds_for_migrations

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def show(name):
    with connection.cursor() as cursor:
        cursor.execute(f"SHOW {name}")
        return cursor.fetchone()[0]


def test_every_session_has_a_statement_and_an_idle_transaction_timeout(settings):
    assert show("statement_timeout") == f"{settings.DB_STATEMENT_TIMEOUT}s"
    assert show("idle_in_transaction_session_timeout") == "2min"
    connection.ensure_connection()
    assert connection.connection.stall_timeout == settings.DB_STALL_TIMEOUT == 15
    assert connection.connection.info.get_parameters()["keepalives"] == "1"


def slow_statement(request):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL statement_timeout = '50ms'")
        cursor.execute("SELECT pg_sleep(2)")
    return JsonResponse({"slept": True})


urlpatterns = [path("api/v4/slow/", slow_statement)]


def test_a_statement_the_server_cuts_short_is_a_json_503(client, settings):
    settings.ROOT_URLCONF = __name__

    response = client.get("/api/v4/slow/")

    assert response.status_code == 503
    assert response.json() == {"detail": "The database did not answer in time; try again shortly."}
    assert response["Retry-After"] == "5"
    assert show("statement_timeout") == f"{settings.DB_STATEMENT_TIMEOUT}s"  # session kept


def test_migrations_run_without_bounds_and_restore_them(settings):
    lift_bounds_for_migrations(using="default")
    assert show("statement_timeout") == "0"
    assert connection.connection.stall_timeout is None

    call_command("migrate", verbosity=0)  # ends with post_migrate

    assert show("statement_timeout") == f"{settings.DB_STATEMENT_TIMEOUT}s"
    assert connection.connection.stall_timeout == settings.DB_STALL_TIMEOUT


def test_creating_and_dropping_databases_is_not_bounded():
    # The connection the test runner creates and drops databases with.
    wrapper = type(connections["default"])
    nodb = wrapper({**connection.settings_dict, "NAME": "postgres"}, alias=NO_DB_ALIAS)
    try:
        with nodb.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            assert cursor.fetchone()[0] == "0"
        assert nodb.connection.stall_timeout is None
    finally:
        nodb.close()
