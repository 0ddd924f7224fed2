"""Search grids by word forms on both databases, as packages are searched (packages.0011).

PostgreSQL: `search_text`, a generated tsvector of the names (A) and the description (B), each in
the english and simple configurations, with a GIN index; it replaces the expression index of
grids.0002.

SQLite: the stored names of grids.0003 as virtual generated columns (the same SQL), and
`grid_search`, an FTS5 table with the porter stemmer over the names and description (and both
as written, each word followed by `0`, as packages.0011 explains), kept by triggers; its rowid
is the grid's id.
"""

from importlib import import_module

from django.db import migrations

_packages = import_module("packages.migrations.0011_package_search_text")

POSTGRES_DOCUMENT = " || ".join(
    [
        _packages.weighted(_packages.names_sql(), "A"),
        _packages.weighted("COALESCE(description, '')", "B"),
    ]
)

POSTGRES_FORWARD = [
    f"""ALTER TABLE grids_grid
    ADD COLUMN search_text tsvector GENERATED ALWAYS AS ({POSTGRES_DOCUMENT}) STORED""",
    "CREATE INDEX grid_search_text_idx ON grids_grid USING GIN (search_text)",
    "DROP INDEX grid_search_idx",
]

POSTGRES_BACKWARD = [
    """CREATE INDEX grid_search_idx ON grids_grid USING GIN ((
        setweight(to_tsvector('simple'::regconfig, COALESCE(title, '') || ' ' ||
                  COALESCE(slug, '')), 'A')
        || setweight(to_tsvector('simple'::regconfig, COALESCE(description, '')), 'B')))""",
    "ALTER TABLE grids_grid DROP COLUMN search_text",
]

_FTS_COLUMNS = "rowid, names, description, raw_names, raw_description"
_CHANGED = " OR ".join(f"old.{col} IS NOT new.{col}" for col in ["id", "title", "slug", "description"])


def _values(t: str) -> str:
    names = f"{t}.title || ' ' || {t}.slug"
    return (
        f"{t}.id, {names}, {t}.description, {_packages.marked(names)},"
        f" {_packages.marked(f'{t}.description')}"
    )


SQLITE_FORWARD = [
    *(
        f"ALTER TABLE grids_grid ADD COLUMN {column} text GENERATED ALWAYS AS ({sql}) VIRTUAL"
        for column, sql in _packages.SQLITE_NAMES.items()
    ),
    f"""CREATE VIRTUAL TABLE grid_search USING fts5(
        {_FTS_COLUMNS.removeprefix("rowid, ")},
        tokenize = 'porter unicode61 remove_diacritics 2')""",
    f"""CREATE TRIGGER grid_search_insert AFTER INSERT ON grids_grid BEGIN
        INSERT INTO grid_search ({_FTS_COLUMNS}) VALUES ({_values("new")});
    END""",
    f"""CREATE TRIGGER grid_search_update AFTER UPDATE ON grids_grid WHEN {_CHANGED} BEGIN
        DELETE FROM grid_search WHERE rowid = old.id;
        INSERT INTO grid_search ({_FTS_COLUMNS}) VALUES ({_values("new")});
    END""",
    """CREATE TRIGGER grid_search_delete AFTER DELETE ON grids_grid BEGIN
        DELETE FROM grid_search WHERE rowid = old.id;
    END""",
    f"INSERT INTO grid_search ({_FTS_COLUMNS}) SELECT {_values('g')} FROM grids_grid g",
]

SQLITE_BACKWARD = [
    "DROP TRIGGER grid_search_delete",
    "DROP TRIGGER grid_search_update",
    "DROP TRIGGER grid_search_insert",
    "DROP TABLE grid_search",
    *(f"ALTER TABLE grids_grid DROP COLUMN {column}" for column in _packages.SQLITE_NAMES),
]


class Migration(migrations.Migration):
    dependencies = [
        ("grids", "0004_text_without_control_characters"),
        ("packages", "0011_package_search_text"),
    ]

    operations = [
        migrations.RunPython(
            _packages.by_vendor({"postgresql": POSTGRES_FORWARD, "sqlite": SQLITE_FORWARD}),
            _packages.by_vendor({"postgresql": POSTGRES_BACKWARD, "sqlite": SQLITE_BACKWARD}),
        )
    ]
