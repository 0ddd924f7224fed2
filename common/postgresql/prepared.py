"""Statements PostgreSQL plans once per connection, for the few that run on every read.

Django's PostgreSQL cursors bind parameters on the client, so the server parses and plans every
statement anew; for a stored document's read (api/reads.py, api/list_pages.py) that costs about
as much as running it (measured: a detail's statement 168 -> 130 us, a list page's documents
320 -> 215 us a round trip). `prepared_cursor()` gives Django's own cursor wrapper (queries are
counted, logged and their errors translated as any other's) around a psycopg cursor that binds
on the server and prepares each statement the first time a connection runs it; from then on the
server skips parsing it, and plans it once for good when a generic plan is as cheap
(`plan_cache_mode`). psycopg keeps the last 100 per connection. Only for statements of a fixed
text (their values as parameters); on any other database, Django's cursor. Django's own cursors
never prepare (client-side binding), whatever the connection's threshold.

Behind PgBouncer, transaction pooling needs PgBouncer 1.21 or later with
`max_prepared_statements` set (docs/configuration.md).
"""

from collections.abc import Mapping, Sequence
from typing import Any

import psycopg
from django.db import connection
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper

# psycopg prepares nothing on a connection whose threshold is None (Django's default).
PREPARE_THRESHOLD = 5


class PreparingCursor(psycopg.Cursor[Any]):
    """A server-binding psycopg cursor that prepares every statement it runs."""

    def execute(
        self,
        query: Any,
        params: Sequence[Any] | Mapping[str, Any] | None = None,
        *,
        prepare: bool | None = None,
        binary: bool | None = None,
    ) -> "PreparingCursor":
        return super().execute(query, params, prepare=True, binary=binary)


class PreparingRawCursor(psycopg.RawCursor[Any], PreparingCursor):
    """`PreparingCursor` for statements written with PostgreSQL's own `$1` placeholders, their
    values a sequence: psycopg sends the text as it is. (It parses a statement's `%(name)s`
    placeholders at every run of a statement over 4 KB: search's are 8 KB.)"""


class PreparedDebugWrapper(CursorDebugWrapper):
    """Django's logging wrapper (DEBUG, tests' query counts), logging the statement as written:
    psycopg keeps no text of a prepared statement's run for Django to log."""

    def execute(self, sql: Any, params: Any = None) -> Any:
        with self.debug_sql(sql, params):
            return CursorWrapper.execute(self, sql, params)


def prepared_cursor(*, native: bool = False) -> CursorWrapper:
    """A cursor on the default database whose statements PostgreSQL prepares; `native`: for
    statements written with PostgreSQL's `$1` placeholders (values a sequence)."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    raw_connection = connection.connection
    if raw_connection.prepare_threshold is None:
        raw_connection.prepare_threshold = PREPARE_THRESHOLD
    with connection.wrap_database_errors:
        raw = (PreparingRawCursor if native else PreparingCursor)(raw_connection)
    # What Django's own cursor() wraps its cursors in.
    wrapper = PreparedDebugWrapper if connection.queries_logged else CursorWrapper
    return wrapper(raw, connection)
