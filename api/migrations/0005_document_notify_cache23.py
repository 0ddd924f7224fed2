"""A notification on `api_documents` when a write to the stored documents commits, so every web
process's read cache (api/read_cache.py) forgets what it kept. PostgreSQL only: one statement
trigger (a bulk write notifies once), and PostgreSQL sends one notification per transaction
however many statements notify. SQLite's processes watch `PRAGMA data_version` instead.
"""

from django.db import migrations

INSTALL = """
CREATE FUNCTION api_document_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('api_documents', '');
    RETURN NULL;
END $$;
CREATE TRIGGER api_document_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON api_document FOR EACH STATEMENT EXECUTE FUNCTION api_document_notify();
"""

UNINSTALL = """
DROP TRIGGER IF EXISTS api_document_notify ON api_document;
DROP FUNCTION IF EXISTS api_document_notify();
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INSTALL)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNINSTALL)


class Migration(migrations.Migration):
    dependencies = [("api", "0004_list_counts_perf23")]

    operations = [migrations.RunPython(install, uninstall)]
