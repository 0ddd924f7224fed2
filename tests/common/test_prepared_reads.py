"""The reads' statements are prepared on PostgreSQL (common/postgresql/prepared.py): the server
plans a detail's, and a list page's, once per connection; Django's own statements never are."""

import pytest
from django.db import connection

from common.postgresql.prepared import prepared_cursor
from tests.factories import PackageFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _prepared():
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [statement for (statement,) in cursor.fetchall()]


def test_a_detail_and_a_list_page_are_read_by_prepared_statements(client):
    package = PackageFactory(slug="prepared-one")
    assert _prepared() == []

    for _ in range(2):
        assert client.get(f"/api/v4/packages/{package.pk}/").status_code == 200
        assert client.get("/api/v4/packages/prepared-one/").status_code == 200
        assert client.get("/api/v4/packages/").json()["count"] == 1

    prepared = _prepared()
    assert len(prepared) == 3, prepared  # by id, by slug, the page: each prepared once
    assert all("$1" in statement for statement in prepared)
    assert any("object_id = $3" in statement for statement in prepared)
    assert any(".slug = $3" in statement for statement in prepared)


def test_djangos_own_statements_are_not_prepared():
    PackageFactory()
    for _ in range(10):
        assert connection.cursor().execute("SELECT count(*) FROM packages_package") is not None

    assert _prepared() == []


def test_a_native_statement_is_prepared_and_its_text_sent_as_written(
    django_assert_num_queries,
):
    PackageFactory(slug="native-100%")
    PackageFactory(slug="native-1000")
    # A `%` no placeholder is read as nothing but a character, as PostgreSQL reads it.
    sql = "SELECT slug FROM packages_package WHERE slug LIKE $1 || '%' AND slug <> $2"

    with django_assert_num_queries(1) as captured, prepared_cursor(native=True) as cursor:
        cursor.execute(sql, ["native-100", "native-1000"])
        assert cursor.fetchall() == [("native-100%",)]

    assert _prepared() == [sql]
    assert captured.captured_queries[0]["sql"] == sql
