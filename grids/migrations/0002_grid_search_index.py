"""PostgreSQL only: a GIN index on the weighted full-text document search uses (search.py).

An expression index rather than a stored column: it cannot fall out of sync with the rows,
whoever writes them. Other databases get nothing (search falls back to substring matching).
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations

INDEX_NAME = "grid_search_idx"


def _index():
    document = SearchVector("title", "slug", config="simple", weight="A") + SearchVector(
        "description", config="simple", weight="B"
    )
    return GinIndex(document, name=INDEX_NAME)


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.add_index(apps.get_model("grids", "Grid"), _index())


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.remove_index(apps.get_model("grids", "Grid"), _index())


class Migration(migrations.Migration):
    dependencies = [("grids", "0001_initial")]

    operations = [migrations.RunPython(create_index, drop_index)]
