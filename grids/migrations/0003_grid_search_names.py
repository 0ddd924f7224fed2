"""PostgreSQL only: the normalized and squashed names of grids as stored, generated columns.

The same columns (and the same SQL) as packages have from `packages.0002` and `packages.0008`:
`search_title`, `search_slug`, `search_squashed_title`, `search_squashed_slug`, `search_words`.
Grids are few, so no index: the columns only spare search from building the normalization in
every query (a large expression for the ORM to compile, and to evaluate per row). Matching
still goes through the GIN expression index of 0002. Other databases get nothing.
"""

from importlib import import_module

from django.db import migrations

_packages = import_module("packages.migrations.0008_package_search_tiers")
NORMALIZED = _packages.NORMALIZED

FORWARD = f"""ALTER TABLE grids_grid
    ADD COLUMN search_title text GENERATED ALWAYS AS ({NORMALIZED.format(col="title")}) STORED,
    ADD COLUMN search_slug text GENERATED ALWAYS AS ({NORMALIZED.format(col="slug")}) STORED,
    ADD COLUMN search_squashed_title text
        GENERATED ALWAYS AS ({_packages.squashed_sql("title")}) STORED,
    ADD COLUMN search_squashed_slug text
        GENERATED ALWAYS AS ({_packages.squashed_sql("slug")}) STORED,
    ADD COLUMN search_words text GENERATED ALWAYS AS (
        ' ' || {NORMALIZED.format(col="title")} || ' ' || {NORMALIZED.format(col="slug")}
    ) STORED"""

BACKWARD = """ALTER TABLE grids_grid DROP COLUMN search_title, DROP COLUMN search_slug,
    DROP COLUMN search_squashed_title, DROP COLUMN search_squashed_slug, DROP COLUMN search_words"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("grids", "0002_grid_search_index"), ("packages", "0008_package_search_tiers")]

    operations = [migrations.RunPython(forward, backward)]
