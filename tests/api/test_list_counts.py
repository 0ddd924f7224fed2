"""PostgreSQL keeps each unfiltered list's row count (`ListCount`, statement triggers): it
follows every insert, delete and truncate, and a list page reads it instead of counting."""

import io

import pytest
from django.core.management import call_command
from django.db import connection

from api.stored import ListCount
from grids.models import Grid
from packages.models import Package
from tests.factories import CategoryFactory, GridFactory, PackageFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="counts are kept on PostgreSQL only"
    ),
]


def kept(kind):
    return ListCount.objects.get(kind=kind).count


def test_the_kept_count_follows_inserts_and_deletes():
    category = CategoryFactory()
    PackageFactory.create_batch(3, category=category)
    assert kept("package") == Package.objects.count() == 3

    Package.objects.bulk_create(
        Package(title=f"bulk-{n}", slug=f"bulk-{n}", category=category) for n in range(2)
    )
    assert kept("package") == 5

    Package.objects.filter(slug__startswith="bulk-").delete()
    Package.objects.first().delete()
    assert kept("package") == Package.objects.count() == 2
    assert kept("category") == 1


def test_a_list_reads_the_kept_count(client):
    PackageFactory.create_batch(2)
    ListCount.objects.filter(kind="package").update(count=7)

    assert client.get("/api/v4/packages/").json()["count"] == 7


def test_without_a_kept_count_a_list_counts_its_rows(client, django_assert_num_queries):
    PackageFactory.create_batch(2)
    ListCount.objects.all().delete()

    with django_assert_num_queries(1):
        assert client.get("/api/v4/packages/").json()["count"] == 2


def test_a_write_is_counted_at_once(client):
    PackageFactory.create_batch(2)
    assert client.get("/api/v4/packages/").json()["count"] == 2

    PackageFactory()
    assert client.get("/api/v4/packages/").json()["count"] == 3
    Package.objects.first().delete()
    assert client.get("/api/v4/packages/").json()["count"] == 2


@pytest.mark.django_db(transaction=True)
def test_a_truncated_table_counts_zero():
    GridFactory.create_batch(2)
    assert kept("grid") == 2

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE grids_grid CASCADE")

    assert kept("grid") == Grid.objects.count() == 0


def test_check_documents_names_a_wrong_kept_count_and_fix_recounts():
    PackageFactory.create_batch(2)
    ListCount.objects.filter(kind="package").update(count=9)

    out = io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("check_documents", stdout=out)
    assert exited.value.code == 1
    assert "package list count: kept 9, rows 2" in out.getvalue()

    call_command("check_documents", "--fix", stdout=io.StringIO())
    assert kept("package") == 2
    call_command("check_documents", stdout=io.StringIO())  # exits 0: raises nothing
