"""Search by word forms over names, description, category and contributors, on both databases.

PostgreSQL:
- `search_category`: the category's title, set by a trigger on every insert and category change
  and rewritten by one on categories when a title changes (a generated column cannot read
  another table);
- `search_text`: a generated tsvector of the names (title and slug, weight A), the description
  (B), `search_category` (C), each in the english configuration (word forms: `cache` finds
  "Caching") and the simple one (words as written, so a word typed half-way still matches), and
  the contributors' logins (D, simple); a GIN index. It replaces `search_document` (0002), and
  the names' trigram index of 0008 goes (the names' words are matched through `search_text`);
- `packages_name_word`: every word of the packages' titles and slugs with how many packages
  hold it, kept by statement-level triggers (transition tables: an import of 50,000 rows is one
  statement per batch; `counted_words`, which 0018 uses too) for the spelling pass
  (`search.spelling`).

SQLite:
- the stored names of 0002/0008 as virtual generated columns (the same SQL), with indexes
  that hold the stars too;
- `package_search`, an FTS5 table with the porter stemmer over the same fields, kept by
  triggers on packages and categories. Its rowid orders the rows by stars (`stars * 2**32 +
  (2**32 - 1 - id)`, stars capped at 2**31 - 1), so the most-starred matches are the first
  FTS5 reads. `raw_names` and `raw_description` hold each word as written plus a `0`, which
  the stemmer leaves alone: a prefix query then matches a word typed past its stem (`authenti`
  for "authentication", stem `authent`). Prefix indexes for prefixes of 1 to 10 characters:
  a query word is a prefix, and without them FTS5 merges the lists of every word it starts;
- `packages_name_word` as on PostgreSQL, kept by row triggers.

Django rebuilds a SQLite table for some schema changes (`_remake_table`), which drops its
triggers and generated columns: a later migration that does that to packages_package or
categories_category must run `sqlite_forward` again (tests/api/test_search_index.py fails
otherwise).
"""

from importlib import import_module

from django.db import migrations

_names = import_module("packages.migrations.0002_package_search_columns")
_tiers = import_module("packages.migrations.0008_package_search_tiers")

SEPARATED = "replace(replace(replace(lower({col}), '-', ' '), '_', ' '), '.', ' ')"


def names_sql(row: str = "") -> str:
    """Title and slug, lower case, with `-_.` as spaces (`row` qualifies: `new.`, `p.`...)."""
    return f"{SEPARATED.format(col=f'{row}title')} || ' ' || {SEPARATED.format(col=f'{row}slug')}"


def weighted(text: str, weight: str) -> str:
    """Both configurations of `text` (english word forms, simple words as written), weighted."""
    return (
        f"setweight(to_tsvector('english'::regconfig, {text})"
        f" || to_tsvector('simple'::regconfig, {text}), '{weight}')"
    )


POSTGRES_DOCUMENT = " || ".join(
    [
        weighted(names_sql(), "A"),
        weighted("COALESCE(repo_description, '')", "B"),
        weighted("COALESCE(search_category, '')", "C"),
        "setweight(jsonb_to_tsvector('simple'::regconfig, COALESCE(participants, '[]'::jsonb),"
        " '[\"string\"]'), 'D')",
    ]
)
NAME_WORDS = "regexp_split_to_table(lower({t}.title || ' ' || {t}.slug), '[^[:alnum:]]+')"


def counted_words(name: str, *, words: str, changed: str) -> list[str]:
    """PostgreSQL: `packages_{name}`, words of the packages and how many packages hold each,
    kept by statement-level triggers (transition tables: an import of 50,000 rows is one
    statement per batch), filled from the rows. `words`: the SQL of row `{t}`'s words (a
    function returning rows); `changed`: whether updated row `{a}`, against `{b}`, changed what
    its words are read from. A word goes when its last package does."""
    table, prefix = f"packages_{name}", f"package_{name}s"
    row_words = words.format(t="r")
    changed_from_old = changed.format(a="o", b="r")
    changed_from_new = changed.format(a="n", b="r")
    return [
        f'CREATE TABLE {table} (word text COLLATE "C" PRIMARY KEY, packages integer NOT NULL)',
        # Words sorted, so that concurrent writers lock the rows they share in the same order.
        f"""CREATE FUNCTION {prefix}_apply(words text[], deltas integer[]) RETURNS void
    LANGUAGE sql AS $$
        INSERT INTO {table} AS v (word, packages)
        SELECT w, d FROM unnest(words, deltas) AS u(w, d) ORDER BY w
        ON CONFLICT (word) DO UPDATE SET packages = v.packages + EXCLUDED.packages;
        DELETE FROM {table} WHERE word = ANY(words) AND packages <= 0;
    $$""",
        f"""CREATE FUNCTION {prefix}_counted() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        words text[];
        deltas integer[];
    BEGIN
        IF TG_OP = 'INSERT' THEN
            SELECT array_agg(word ORDER BY word), array_agg(n ORDER BY word) INTO words, deltas
            FROM (SELECT word, count(*)::integer AS n FROM (
                SELECT DISTINCT r.id, w AS word FROM new_rows r, {row_words} w
            ) x WHERE word <> '' GROUP BY word) y;
        ELSIF TG_OP = 'DELETE' THEN
            SELECT array_agg(word ORDER BY word), array_agg(-n ORDER BY word) INTO words, deltas
            FROM (SELECT word, count(*)::integer AS n FROM (
                SELECT DISTINCT r.id, w AS word FROM old_rows r, {row_words} w
            ) x WHERE word <> '' GROUP BY word) y;
        ELSE
            SELECT array_agg(word ORDER BY word), array_agg(n ORDER BY word) INTO words, deltas
            FROM (SELECT word, sum(delta)::integer AS n FROM (
                SELECT DISTINCT r.id, w AS word, 1 AS delta
                FROM new_rows r JOIN old_rows o ON o.id = r.id, {row_words} w
                WHERE {changed_from_old}
                UNION ALL
                SELECT DISTINCT r.id, w AS word, -1 AS delta
                FROM old_rows r JOIN new_rows n ON n.id = r.id, {row_words} w
                WHERE {changed_from_new}
            ) x WHERE word <> '' GROUP BY word HAVING sum(delta) <> 0) y;
        END IF;
        IF words IS NOT NULL THEN
            PERFORM {prefix}_apply(words, deltas);
        END IF;
        RETURN NULL;
    END $$""",
        f"""CREATE TRIGGER {prefix}_insert AFTER INSERT ON packages_package
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION {prefix}_counted()""",
        f"""CREATE TRIGGER {prefix}_update AFTER UPDATE ON packages_package
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION {prefix}_counted()""",
        f"""CREATE TRIGGER {prefix}_delete AFTER DELETE ON packages_package
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION {prefix}_counted()""",
        f"""CREATE FUNCTION {prefix}_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        TRUNCATE {table};
        RETURN NULL;
    END $$""",
        f"""CREATE TRIGGER {prefix}_truncate AFTER TRUNCATE ON packages_package
    FOR EACH STATEMENT EXECUTE FUNCTION {prefix}_truncated()""",
        f"""INSERT INTO {table} (word, packages)
    SELECT word, count(*) FROM (
        SELECT DISTINCT p.id, w AS word FROM packages_package p, {words.format(t="p")} w
    ) x WHERE word <> '' GROUP BY word""",
    ]


def counted_words_dropped(name: str) -> list[str]:
    """PostgreSQL: what `counted_words(name, ...)` made, dropped."""
    prefix = f"package_{name}s"
    return [
        *(
            f"DROP TRIGGER {prefix}_{event} ON packages_package"
            for event in ("truncate", "insert", "update", "delete")
        ),
        f"DROP FUNCTION {prefix}_truncated()",
        f"DROP FUNCTION {prefix}_counted()",
        f"DROP FUNCTION {prefix}_apply(text[], integer[])",
        f"DROP TABLE packages_{name}",
    ]


POSTGRES_FORWARD = [
    "ALTER TABLE packages_package ADD COLUMN search_category text",
    """UPDATE packages_package p SET search_category = c.title
    FROM categories_category c WHERE c.id = p.category_id""",
    """CREATE FUNCTION package_search_category() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.search_category := (SELECT title FROM categories_category WHERE id = NEW.category_id);
        RETURN NEW;
    END $$""",
    """CREATE TRIGGER package_search_category BEFORE INSERT OR UPDATE OF category_id
    ON packages_package FOR EACH ROW EXECUTE FUNCTION package_search_category()""",
    """CREATE FUNCTION category_search_title() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE packages_package SET search_category = NEW.title WHERE category_id = NEW.id;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER category_search_title AFTER UPDATE OF title ON categories_category
    FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title)
    EXECUTE FUNCTION category_search_title()""",
    f"""ALTER TABLE packages_package
    ADD COLUMN search_text tsvector GENERATED ALWAYS AS ({POSTGRES_DOCUMENT}) STORED""",
    "CREATE INDEX package_search_text_idx ON packages_package USING GIN (search_text)",
    "ALTER TABLE packages_package DROP COLUMN search_document",
    "DROP INDEX package_search_words_trgm_idx",
    *counted_words(
        "name_word",
        words=NAME_WORDS,
        changed="({a}.title, {a}.slug) IS DISTINCT FROM ({b}.title, {b}.slug)",
    ),
]

POSTGRES_BACKWARD = [
    *counted_words_dropped("name_word"),
    "CREATE INDEX package_search_words_trgm_idx ON packages_package "
    "USING GIN (search_words gin_trgm_ops)",
    """ALTER TABLE packages_package ADD COLUMN search_document tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple'::regconfig,
                  COALESCE(title, '') || ' ' || COALESCE(slug, '')), 'A')
        || setweight(to_tsvector('simple'::regconfig, COALESCE(repo_description, '')), 'B')
    ) STORED""",
    "CREATE INDEX package_search_document_idx ON packages_package USING GIN (search_document)",
    "ALTER TABLE packages_package DROP COLUMN search_text",
    "DROP TRIGGER category_search_title ON categories_category",
    "DROP FUNCTION category_search_title()",
    "DROP TRIGGER package_search_category ON packages_package",
    "DROP FUNCTION package_search_category()",
    "ALTER TABLE packages_package DROP COLUMN search_category",
]

# SQLite: the characters that most often end a word in names and descriptions become spaces
# (SQLite has no translate(), and its parser takes a few dozen nested calls at most). A word
# ended by another character is indexed by its stem alone, as in the other columns.
_SEPARATORS = list("-_.,;:!?()[]/'\"`*") + ["\t", "\n", "\r"]


def _spaced(text: str, separators: str | list[str] = _SEPARATORS) -> str:
    for separator in separators:
        text = f"replace({text}, '{separator.replace(chr(39), chr(39) * 2)}', ' ')"
    return text


def marked(text: str) -> str:
    """Every word of `text` followed by `0`: a token the porter stemmer leaves as it is."""
    return f"replace({_spaced(f'COALESCE({text}, {chr(39) * 2})')}, ' ', '0 ') || '0'"


def sqlite_key(t: str) -> str:
    """The FTS5 rowid of package row `t`: most stars first, then the oldest (lowest id). Stars
    count up to 2**31 - 1 here (a 64-bit rowid), ids below 2**32."""
    return f"(min({t}.repo_watchers, 2147483647) * 4294967296 + (4294967295 - {t}.id))"


def _sqlite_values(t: str) -> str:
    names = f"{t}.title || ' ' || {t}.slug"
    contributors = (
        f"CASE WHEN json_valid({t}.participants) AND json_type({t}.participants) = 'array'"
        f" THEN (SELECT group_concat(value, ' ') FROM json_each({t}.participants)) ELSE '' END"
    )
    category = f"(SELECT title FROM categories_category WHERE id = {t}.category_id)"
    return (
        f"{sqlite_key(t)}, {names}, {t}.repo_description, {category}, {contributors},"
        f" {marked(names)}, {marked(f'{t}.repo_description')}"
    )


# The distinct words of row `t`'s title and slug, as json_each rows (`value`): SQLite has no
# split function, so the words become a JSON array (split at the separators names use most);
# a name JSON cannot hold (a control character) gives none.
_JSON_WORDS = (
    """'["' || replace(replace(replace({spaced}, '\\', '\\\\'), '"', '\\"'), ' ', '","')"""
    """ || '"]'"""
)


def _json_name_words(t: str) -> str:
    words = _JSON_WORDS.format(spaced=_spaced(f"lower({t}.title || ' ' || {t}.slug)", "-_.()/:,'+"))
    return f"CASE WHEN json_valid({words}) THEN {words} ELSE '[]' END"


def sqlite_name_words(t: str) -> str:
    return f"SELECT DISTINCT value FROM json_each({_json_name_words(t)}) WHERE value <> ''"


_FTS_COLUMNS = "rowid, names, description, category, contributors, raw_names, raw_description"
SLUG_TWINS = {"search_slug": "search_title", "search_squashed_slug": "search_squashed_title"}
_WATCHED = ["id", "title", "slug", "repo_description", "category_id", "participants"]
_CHANGED = " OR ".join(f"old.{col} IS NOT new.{col}" for col in [*_WATCHED, "repo_watchers"])
SQLITE_NAMES = {
    "search_title": _names.NORMALIZED.format(col="title"),
    "search_slug": _names.NORMALIZED.format(col="slug"),
    "search_squashed_title": _tiers.squashed_sql("title"),
    "search_squashed_slug": _tiers.squashed_sql("slug"),
    "search_words": f"' ' || {_names.NORMALIZED.format(col='title')} || ' ' || "
    f"{_names.NORMALIZED.format(col='slug')}",
}

SQLITE_FORWARD = [
    *(
        f"ALTER TABLE packages_package ADD COLUMN {column} text GENERATED ALWAYS AS ({sql}) VIRTUAL"
        for column, sql in SQLITE_NAMES.items()
    ),
    # With the stars: a prefix's most-starred rows come from the index alone. A slug is indexed
    # only where it differs from the title (mostly it does not): the title's index finds it.
    *(
        f"CREATE INDEX package_{column}_idx ON packages_package ({column}, repo_watchers)"
        + (f" WHERE {column} <> {SLUG_TWINS[column]}" if column in SLUG_TWINS else "")
        for column in _tiers.PATTERN_INDEXED
    ),
    f"""CREATE VIRTUAL TABLE package_search USING fts5(
        {_FTS_COLUMNS.removeprefix("rowid, ")},
        tokenize = 'porter unicode61 remove_diacritics 2', prefix = '1 2 3 4 5 6 7 8 9 10')""",
    f"""CREATE TRIGGER package_search_insert AFTER INSERT ON packages_package BEGIN
        INSERT INTO package_search ({_FTS_COLUMNS}) VALUES ({_sqlite_values("new")});
    END""",
    f"""CREATE TRIGGER package_search_update AFTER UPDATE ON packages_package WHEN {_CHANGED}
    BEGIN
        DELETE FROM package_search WHERE rowid = {sqlite_key("old")};
        INSERT INTO package_search ({_FTS_COLUMNS}) VALUES ({_sqlite_values("new")});
    END""",
    f"""CREATE TRIGGER package_search_delete AFTER DELETE ON packages_package BEGIN
        DELETE FROM package_search WHERE rowid = {sqlite_key("old")};
    END""",
    f"""CREATE TRIGGER category_search_title AFTER UPDATE OF title ON categories_category
    WHEN old.title IS NOT new.title BEGIN
        UPDATE package_search SET category = new.title WHERE rowid IN (
            SELECT {sqlite_key("p")} FROM packages_package p WHERE p.category_id = new.id);
    END""",
    f"""INSERT INTO package_search ({_FTS_COLUMNS})
    SELECT {_sqlite_values("p")} FROM packages_package p""",
    "CREATE TABLE packages_name_word (word text PRIMARY KEY, packages integer NOT NULL)",
    f"""CREATE TRIGGER package_name_words_insert AFTER INSERT ON packages_package BEGIN
        INSERT INTO packages_name_word (word, packages)
        SELECT value, 1 FROM ({sqlite_name_words("new")}) WHERE true
        ON CONFLICT (word) DO UPDATE SET packages = packages + 1;
    END""",
    f"""CREATE TRIGGER package_name_words_update AFTER UPDATE OF title, slug ON packages_package
    WHEN old.title IS NOT new.title OR old.slug IS NOT new.slug BEGIN
        UPDATE packages_name_word SET packages = packages - 1
        WHERE word IN ({sqlite_name_words("old")});
        DELETE FROM packages_name_word
        WHERE packages <= 0 AND word IN ({sqlite_name_words("old")});
        INSERT INTO packages_name_word (word, packages)
        SELECT value, 1 FROM ({sqlite_name_words("new")}) WHERE true
        ON CONFLICT (word) DO UPDATE SET packages = packages + 1;
    END""",
    f"""CREATE TRIGGER package_name_words_delete AFTER DELETE ON packages_package BEGIN
        UPDATE packages_name_word SET packages = packages - 1
        WHERE word IN ({sqlite_name_words("old")});
        DELETE FROM packages_name_word
        WHERE packages <= 0 AND word IN ({sqlite_name_words("old")});
    END""",
    f"""INSERT INTO packages_name_word (word, packages)
    SELECT value, count(*) FROM (
        SELECT DISTINCT p.id, w.value FROM packages_package p, json_each({_json_name_words("p")}) w
        WHERE w.value <> ''
    ) GROUP BY value""",
]

SQLITE_BACKWARD = [
    "DROP TRIGGER package_name_words_delete",
    "DROP TRIGGER package_name_words_update",
    "DROP TRIGGER package_name_words_insert",
    "DROP TABLE packages_name_word",
    "DROP TRIGGER category_search_title",
    "DROP TRIGGER package_search_delete",
    "DROP TRIGGER package_search_update",
    "DROP TRIGGER package_search_insert",
    "DROP TABLE package_search",
    *(f"DROP INDEX package_{column}_idx" for column in _tiers.PATTERN_INDEXED),
    *(f"ALTER TABLE packages_package DROP COLUMN {column}" for column in SQLITE_NAMES),
]


def by_vendor(statements):
    """A RunPython function running the statements listed for the database's vendor."""

    def run(apps, schema_editor):
        for statement in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement, params=None)

    return run


def sqlite_forward(schema_editor) -> None:
    """Create SQLite's search objects (after a migration that rebuilt packages_package)."""
    by_vendor({"sqlite": SQLITE_FORWARD})(None, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("packages", "0010_package_repo_key_spellings"),
        ("categories", "0002_text_without_control_characters"),
    ]

    operations = [
        migrations.RunPython(
            by_vendor({"postgresql": POSTGRES_FORWARD, "sqlite": SQLITE_FORWARD}),
            by_vendor({"postgresql": POSTGRES_BACKWARD, "sqlite": SQLITE_BACKWARD}),
        )
    ]
