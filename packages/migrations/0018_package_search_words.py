"""PostgreSQL only: `packages_search_word`, every word of the packages' search documents.

Each distinct lexeme of `search_text` (0011: names, description, category, contributors, in
the english and the simple configuration) with how many packages hold it, kept as 0011 keeps
`packages_name_word` (`counted_words`: statement-level triggers; a word goes when its last
package does).

Search reads it before the words' GIN index (`search.postgres.could_match`): a query needing
a word that begins none of these matches nothing, and the index would find that out only after
loading every posting list of the query's other prefixes. SQLite gets nothing: FTS5 answers
such a query from its own term index.
"""

from importlib import import_module

from django.db import migrations

_search = import_module("packages.migrations.0011_package_search_text")

FORWARD = _search.counted_words(
    "search_word",
    words="unnest(tsvector_to_array({t}.search_text))",
    changed="{a}.search_text IS DISTINCT FROM {b}.search_text",
)
BACKWARD = _search.counted_words_dropped("search_word")


class Migration(migrations.Migration):
    dependencies = [("packages", "0017_package_first_starred_index")]

    operations = [
        migrations.RunPython(
            _search.by_vendor({"postgresql": FORWARD}), _search.by_vendor({"postgresql": BACKWARD})
        )
    ]
