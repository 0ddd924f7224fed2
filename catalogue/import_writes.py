"""The importer's bulk writes: rows (values by attname) inserted and updated in bulk statements.

Values are adapted for the database once per field (JSON and date-times through the field's own
`get_db_prep_save`; strings, numbers and booleans, which the checks already typed, as they are),
without a model instance or Django's per-value SQL compilation. SQLite gets one `executemany`
of INSERT, and of UPDATE by primary key, per batch. PostgreSQL gets COPY: the new rows straight
into the table; the changed ones into a temporary table (dropped at once) that one UPDATE ...
FROM reads. No model signals are sent, as with `bulk_create`. The schema is not touched: every
index and constraint is maintained by the database as each row is written.
"""

import contextlib
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorDebugWrapper

# Field kinds whose checked Python value is already what both backends bind.
_AS_IS = (models.CharField, models.TextField, models.IntegerField, models.BooleanField)
_STAGING = "import_staging"


class RowWriter:
    """Bulk INSERT and UPDATE of every concrete field of `model`."""

    def __init__(self, model: type[models.Model], using: str = "default") -> None:
        self.connection = connection = connections[using]
        quote = connection.ops.quote_name
        fields = list(model._meta.concrete_fields)
        pk = model._meta.pk
        assert pk is not None
        others = [field for field in fields if field is not pk]
        self.is_postgresql = connection.vendor == "postgresql"
        self.pk_attname = pk.attname
        self.adapters = [_adapter(field, connection) for field in fields]
        self.update_adapters = [_adapter(field, connection) for field in others]
        table = quote(model._meta.db_table)
        columns = ", ".join(quote(field.column) for field in fields)
        marks = ", ".join(["%s"] * len(fields))
        self.insert_sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"
        assignments = ", ".join(f"{quote(field.column)} = %s" for field in others)
        self.update_sql = f"UPDATE {table} SET {assignments} WHERE {quote(pk.column)} = %s"
        self.copy_sql = f"COPY {table} ({columns}) FROM STDIN"
        self.staging_sql = [
            f"CREATE TEMPORARY TABLE {_STAGING} AS SELECT {columns} FROM {table} WITH NO DATA",
            f"COPY {_STAGING} ({columns}) FROM STDIN",
            f"UPDATE {table} AS t SET "
            + ", ".join(f"{quote(f.column)} = s.{quote(f.column)}" for f in others)
            + f" FROM {_STAGING} AS s WHERE t.{quote(pk.column)} = s.{quote(pk.column)}",
            f"DROP TABLE {_STAGING}",
        ]

    def insert(self, rows: Sequence[dict[str, Any]]) -> None:
        """Insert `rows` (nothing is sent for none)."""
        if not rows:
            return
        params = [[adapt(row) for adapt in self.adapters] for row in rows]
        with self.connection.cursor() as cursor:
            if self.is_postgresql:
                _copy(cursor, self.copy_sql, params)
            else:
                cursor.executemany(self.insert_sql, params)

    def update(self, rows: Sequence[dict[str, Any]]) -> None:
        """Write every stored field of `rows`, found by primary key (nothing is sent for none)."""
        if not rows:
            return
        with self.connection.cursor() as cursor:
            if self.is_postgresql:
                create, copy, update, drop = self.staging_sql
                cursor.execute(create)
                _copy(cursor, copy, [[adapt(row) for adapt in self.adapters] for row in rows])
                cursor.execute(update)
                cursor.execute(drop)
            else:
                pk = self.pk_attname
                params = [
                    [adapt(row) for adapt in self.update_adapters] + [row[pk]] for row in rows
                ]
                cursor.executemany(self.update_sql, params)


def _copy(cursor: Any, sql: str, params: list[list[Any]]) -> None:
    """psycopg's COPY FROM STDIN through Django's cursor: its errors raised as Django's
    (DatabaseError and kin), logged as one query where Django logs queries (tests)."""
    logged = cursor.debug_sql(sql) if isinstance(cursor, CursorDebugWrapper) else None
    with (
        logged or contextlib.nullcontext(),
        cursor.db.wrap_database_errors,
        cursor.cursor.copy(sql) as copy,
    ):
        for row in params:
            copy.write_row(row)


def _adapter(
    field: models.Field, connection: BaseDatabaseWrapper
) -> Callable[[dict[str, Any]], Any]:
    attname = field.attname
    if isinstance(field, _AS_IS) or (
        isinstance(field, models.ForeignKey) and isinstance(field.target_field, _AS_IS)
    ):
        return lambda row: row[attname]
    prepare = field.get_db_prep_save

    def adapt(row: dict[str, Any]) -> Any:
        value = row[attname]
        return None if value is None else prepare(value, connection)

    return adapt
