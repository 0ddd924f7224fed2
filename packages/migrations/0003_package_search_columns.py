"""PostgreSQL only: stored, generated search columns on packages (grids/search.py reads them).

`search_document` is the weighted full-text document (title and slug weight A, description
weight B) with a GIN index; `search_title` / `search_slug` are the names as search compares
them (lower case, `-_.` as spaces, a leading `django ` dropped). The database computes them on
every write, so they cannot drift whoever writes the rows, and a search that matches most of
the catalogue no longer recomputes a tsvector and three string rewrites per row. They replace
the expression index of 0002. Other databases get nothing (search computes the same values).
"""

import importlib

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
DROP INDEX IF EXISTS package_search_idx;
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
        # Back to 0002's state: its expression index.
        previous = importlib.import_module("packages.migrations.0002_package_search_index")
        previous.create_index(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("packages", "0002_package_search_index")]

    operations = [migrations.RunPython(forward, backward)]
