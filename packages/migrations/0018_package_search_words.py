"""PostgreSQL only: `packages_search_word`, every word of the packages' search documents.

Each distinct lexeme of `search_text` (0011: names, description, category, contributors, in
the english and the simple configuration) with how many packages hold it, kept by
statement-level triggers (transition tables, as `packages_name_word` is in 0011: an import's
batch is one statement) and counted so a word goes when its last package does.

Search reads it before the words' GIN index (`search.postgres.could_match`): a query needing
a word that begins none of these matches nothing, and the index would find that out only after
loading every posting list of the query's other prefixes. SQLite gets nothing: FTS5 answers
such a query from its own term index.
"""

from django.db import migrations

_WORDS = "unnest(tsvector_to_array({t}.search_text)) AS word"
_CHANGED = "{a}.search_text IS DISTINCT FROM {b}.search_text"

FORWARD = [
    'CREATE TABLE packages_search_word (word text COLLATE "C" PRIMARY KEY, packages integer NOT NULL)',
    # Words sorted, so that concurrent writers lock the rows they share in the same order.
    """CREATE FUNCTION package_search_words_apply(words text[], deltas integer[]) RETURNS void
    LANGUAGE sql AS $$
        INSERT INTO packages_search_word AS v (word, packages)
        SELECT w, d FROM unnest(words, deltas) AS u(w, d) ORDER BY w
        ON CONFLICT (word) DO UPDATE SET packages = v.packages + EXCLUDED.packages;
        DELETE FROM packages_search_word WHERE word = ANY(words) AND packages <= 0;
    $$""",
    f"""CREATE FUNCTION package_search_words_counted() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        words text[];
        deltas integer[];
    BEGIN
        IF TG_OP = 'INSERT' THEN
            SELECT array_agg(word ORDER BY word), array_agg(n ORDER BY word) INTO words, deltas
            FROM (SELECT word, count(*)::integer AS n
                  FROM new_rows r, {_WORDS.format(t="r")} GROUP BY word) y;
        ELSIF TG_OP = 'DELETE' THEN
            SELECT array_agg(word ORDER BY word), array_agg(-n ORDER BY word) INTO words, deltas
            FROM (SELECT word, count(*)::integer AS n
                  FROM old_rows r, {_WORDS.format(t="r")} GROUP BY word) y;
        ELSE
            SELECT array_agg(word ORDER BY word), array_agg(n ORDER BY word) INTO words, deltas
            FROM (SELECT word, sum(delta)::integer AS n FROM (
                SELECT word, 1 AS delta FROM new_rows r JOIN old_rows o ON o.id = r.id,
                    {_WORDS.format(t="r")} WHERE {_CHANGED.format(a="o", b="r")}
                UNION ALL
                SELECT word, -1 AS delta FROM old_rows r JOIN new_rows n ON n.id = r.id,
                    {_WORDS.format(t="r")} WHERE {_CHANGED.format(a="n", b="r")}
            ) x GROUP BY word HAVING sum(delta) <> 0) y;
        END IF;
        IF words IS NOT NULL THEN
            PERFORM package_search_words_apply(words, deltas);
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER package_search_words_insert AFTER INSERT ON packages_package
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION package_search_words_counted()""",
    """CREATE TRIGGER package_search_words_update AFTER UPDATE ON packages_package
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION package_search_words_counted()""",
    """CREATE TRIGGER package_search_words_delete AFTER DELETE ON packages_package
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION package_search_words_counted()""",
    """CREATE FUNCTION package_search_words_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        TRUNCATE packages_search_word;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER package_search_words_truncate AFTER TRUNCATE ON packages_package
    FOR EACH STATEMENT EXECUTE FUNCTION package_search_words_truncated()""",
    f"""INSERT INTO packages_search_word (word, packages)
    SELECT word, count(*) FROM packages_package p, {_WORDS.format(t="p")} GROUP BY word""",
]

BACKWARD = [
    "DROP TRIGGER package_search_words_truncate ON packages_package",
    "DROP TRIGGER package_search_words_insert ON packages_package",
    "DROP TRIGGER package_search_words_update ON packages_package",
    "DROP TRIGGER package_search_words_delete ON packages_package",
    "DROP FUNCTION package_search_words_truncated()",
    "DROP FUNCTION package_search_words_counted()",
    "DROP FUNCTION package_search_words_apply(text[], integer[])",
    "DROP TABLE packages_search_word",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARD:
            schema_editor.execute(statement, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARD:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("packages", "0017_package_first_starred_index")]

    operations = [migrations.RunPython(forward, backward)]
