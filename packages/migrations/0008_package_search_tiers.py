"""PostgreSQL only: what search's tiers and misspelling matches read, stored and indexed.

Adds pg_trgm, and generated columns beside those of 0002 (same normalization, its SQL reused):
`search_squashed_title` / `search_squashed_slug` (normalized, no spaces, no leading `django`),
and `search_words` (" title slug", normalized: a query word starts a name word when it follows
a space). Indexes: `text_pattern_ops` btrees on the four normalized and squashed names (exact
and prefix tiers), and a trigram GIN on `search_words` (the title-words tier's LIKE '% word%',
and misspellings' pg_trgm `<%`). Other databases get nothing.
"""

from importlib import import_module

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

NORMALIZED = import_module("packages.migrations.0002_package_search_columns").NORMALIZED
JOINED = "replace({normalized}, ' ', '')"
SQUASHED = """CASE WHEN {joined} LIKE 'django_%' THEN substr({joined}, 7) ELSE {joined} END"""


def squashed_sql(col):
    joined = JOINED.format(normalized=NORMALIZED.format(col=col))
    return SQUASHED.format(joined=joined)


PATTERN_INDEXED = ["search_title", "search_slug", "search_squashed_title", "search_squashed_slug"]

FORWARD = [
    f"""ALTER TABLE packages_package
    ADD COLUMN search_squashed_title text GENERATED ALWAYS AS ({squashed_sql("title")}) STORED,
    ADD COLUMN search_squashed_slug text GENERATED ALWAYS AS ({squashed_sql("slug")}) STORED,
    ADD COLUMN search_words text GENERATED ALWAYS AS (
        ' ' || {NORMALIZED.format(col="title")} || ' ' || {NORMALIZED.format(col="slug")}
    ) STORED""",
    *(
        f"CREATE INDEX package_{column}_idx ON packages_package ({column} text_pattern_ops)"
        for column in PATTERN_INDEXED
    ),
    "CREATE INDEX package_search_words_trgm_idx ON packages_package "
    "USING GIN (search_words gin_trgm_ops)",
]

BACKWARD = [
    *(f"DROP INDEX package_{column}_idx" for column in PATTERN_INDEXED),
    """ALTER TABLE packages_package DROP COLUMN search_squashed_title,
    DROP COLUMN search_squashed_slug, DROP COLUMN search_words""",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARD:
            schema_editor.execute(statement, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARD:
            schema_editor.execute(statement, params=None)


class PostgresTrigramExtension(TrigramExtension):
    """pg_trgm on PostgreSQL; nothing elsewhere, either way (Django's own operation asks
    pg_extension on the way back whatever the database)."""

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [("packages", "0007_usage")]

    operations = [PostgresTrigramExtension(), migrations.RunPython(forward, backward)]
