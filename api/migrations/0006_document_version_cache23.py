"""SQLite: the stored documents' version, one row that every insert, update and delete on
api_document moves (row triggers: SQLite has no statement triggers), so a process's read cache
(api/read_cache.py) empties when a document changes, not on every write to the file (the task
worker's heartbeats, sessions, fetch state). PostgreSQL notifies instead (0005).
"""

from django.db import migrations

INSTALL = [
    "CREATE TABLE api_document_version (id INTEGER PRIMARY KEY CHECK (id = 1),"
    " version INTEGER NOT NULL)",
    "INSERT INTO api_document_version (id, version) VALUES (1, 0)",
    *(
        f"CREATE TRIGGER api_document_version_{event.lower()} AFTER {event} ON api_document"
        " BEGIN UPDATE api_document_version SET version = version + 1 WHERE id = 1; END"
        for event in ("INSERT", "UPDATE", "DELETE")
    ),
]
UNINSTALL = [
    *(f"DROP TRIGGER IF EXISTS api_document_version_{e}" for e in ("insert", "update", "delete")),
    "DROP TABLE IF EXISTS api_document_version",
]


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in INSTALL:
            schema_editor.execute(statement)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in UNINSTALL:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("api", "0005_document_notify_cache23")]

    operations = [migrations.RunPython(install, uninstall)]
