"""The lists' row counts (`api.stored.ListCount`), kept on PostgreSQL by statement triggers.

Each table a list shows gets an AFTER INSERT and an AFTER DELETE trigger adding or subtracting
the statement's rows (transition tables: one update per statement, not per row), and a
TRUNCATE trigger setting it to 0 (a flush truncates every table at once, this one too: its
triggers fire after, and put the counts back). Without a count's row a list counts its table. Concurrent writers serialize
on the count's row until they commit, so the count is always the committed rows'. SQLite keeps
no count: counting its table is cheaper than keeping one.
"""

from django.db import migrations, models

TABLES = {
    "package": "packages_package",
    "grid": "grids_grid",
    "category": "categories_category",
}

FUNCTIONS = """
CREATE FUNCTION api_list_count_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE api_listcount SET count = count + (SELECT count(*) FROM changed_rows)
    WHERE kind = TG_ARGV[0];
    RETURN NULL;
END $$;
CREATE FUNCTION api_list_count_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE api_listcount SET count = count - (SELECT count(*) FROM changed_rows)
    WHERE kind = TG_ARGV[0];
    RETURN NULL;
END $$;
CREATE FUNCTION api_list_count_emptied() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO api_listcount (kind, count) VALUES (TG_ARGV[0], 0)
    ON CONFLICT (kind) DO UPDATE SET count = 0;
    RETURN NULL;
END $$;
"""

TRIGGERS = """
CREATE TRIGGER api_list_count_added AFTER INSERT ON {table}
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT
    EXECUTE FUNCTION api_list_count_added('{kind}');
CREATE TRIGGER api_list_count_removed AFTER DELETE ON {table}
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT
    EXECUTE FUNCTION api_list_count_removed('{kind}');
CREATE TRIGGER api_list_count_emptied AFTER TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION api_list_count_emptied('{kind}');
INSERT INTO api_listcount (kind, count) SELECT '{kind}', count(*) FROM {table};
"""

DROP = """
DROP TRIGGER IF EXISTS api_list_count_added ON {table};
DROP TRIGGER IF EXISTS api_list_count_removed ON {table};
DROP TRIGGER IF EXISTS api_list_count_emptied ON {table};
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTIONS)
    for kind, table in TABLES.items():
        schema_editor.execute(TRIGGERS.format(kind=kind, table=table))


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES.values():
        schema_editor.execute(DROP.format(table=table))
    schema_editor.execute(
        "DROP FUNCTION IF EXISTS api_list_count_added(), api_list_count_removed(),"
        " api_list_count_emptied()"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0003_documents_docs23"),
        ("packages", "0001_initial"),
        ("grids", "0001_initial"),
        ("categories", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="ListCount",
            fields=[
                ("kind", models.CharField(max_length=16, primary_key=True, serialize=False)),
                ("count", models.BigIntegerField()),
            ],
        ),
        migrations.RunPython(install, uninstall),
    ]
