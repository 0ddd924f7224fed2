"""PostgreSQL only: the most-starred packages with what search's tiers test, in one index.

Search tests the `search.postgres.FIRST_STARRED` most-starred packages first (its prefix and
word tiers). With the stars index that walk fetches each row from the table, in stars order, so
from a different page each time (about 3 ms for 1,000 rows at 50,000 packages); this btree on
(stars, id) holds the search document and the four normalized names beside them, so the walk
reads the index alone (about 0.3 ms) once vacuum has marked the table's pages all-visible, and
needs no sort for the id that breaks ties. Other databases get nothing.
"""

from django.db import migrations

INCLUDED = [
    "search_text",
    "search_title",
    "search_slug",
    "search_squashed_title",
    "search_squashed_slug",
]
FORWARD = (
    "CREATE INDEX package_first_starred_idx ON packages_package (repo_watchers DESC, id)"
    f" INCLUDE ({', '.join(INCLUDED)})"
)
BACKWARD = "DROP INDEX package_first_starred_idx"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("packages", "0016_fetch_state_moved_state27")]

    operations = [migrations.RunPython(forward, backward)]
