"""PostgreSQL only: stored, generated search columns on packages (search.py reads them).

`search_document` is the weighted full-text document (title and slug weight A, description
weight B) with a GIN index; `search_title` / `search_slug` are the names as search compares
them (lower case, `-_.` as spaces, a leading `django ` dropped). The database computes them on
every write, so they cannot drift whoever writes the rows, and a search that matches most of
the catalogue no longer recomputes a tsvector and three string rewrites per row.
Other databases get nothing (search computes the same values).

It replaces the two migrations that first added an expression index (0002) and then these
columns (0003, dropping that index): a database that applied both is left as it is, a new one
gets the columns straight away.
"""

from django.db import migrations

NORMALIZED = """CASE
    WHEN replace(replace(replace(lower({col}), '-', ' '), '_', ' '), '.', ' ') LIKE 'django %'
    THEN substr(replace(replace(replace(lower({col}), '-', ' '), '_', ' '), '.', ' '), 8)
    ELSE replace(replace(replace(lower({col}), '-', ' '), '_', ' '), '.', ' ')
END"""

FORWARD = f"""
ALTER TABLE packages_package
    ADD COLUMN search_document tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple'::regconfig,
                  COALESCE(title, '') || ' ' || COALESCE(slug, '')), 'A')
        || setweight(to_tsvector('simple'::regconfig, COALESCE(repo_description, '')), 'B')
    ) STORED,
    ADD COLUMN search_title text GENERATED ALWAYS AS ({NORMALIZED.format(col="title")}) STORED,
    ADD COLUMN search_slug text GENERATED ALWAYS AS ({NORMALIZED.format(col="slug")}) STORED;
CREATE INDEX package_search_document_idx ON packages_package USING GIN (search_document);
"""

BACKWARD = """
ALTER TABLE packages_package
    DROP COLUMN search_document, DROP COLUMN search_title, DROP COLUMN search_slug;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    replaces = [
        ("packages", "0002_package_search_index"),
        ("packages", "0003_package_search_columns"),
    ]
    dependencies = [("packages", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
