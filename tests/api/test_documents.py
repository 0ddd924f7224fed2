"""Stored documents (api/documents.py): after every kind of write, `check_documents` finds
nothing; a write that bypasses them is reported; links are completed with the request's host."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from api import documents
from api.stored import Document
from categories.models import Category
from grids.models import Grid, GridPackage
from packages.models import Package
from tests.factories import (
    CategoryFactory,
    ElementFactory,
    FeatureFactory,
    GridFactory,
    GridPackageFactory,
    PackageFactory,
    UserFactory,
)
from tests.packages.conftest import serve_github_repo, serve_pypi

pytestmark = pytest.mark.django_db


def check_documents() -> tuple[int, str]:
    """`manage.py check_documents`: its exit code and what it printed."""
    out = StringIO()
    try:
        call_command("check_documents", stdout=out)
    except SystemExit as exited:
        return int(exited.code or 0), out.getvalue()
    return 0, out.getvalue()


def assert_clean():
    code, out = check_documents()
    assert (code, out) == (0, "All stored documents match their rows.\n")


def staff_client():
    client = APIClient()
    client.force_authenticate(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def catalogue():
    category = CategoryFactory(slug="apps")
    grid = GridFactory(slug="forms")
    package = PackageFactory(slug="crispy", category=category)
    GridPackageFactory(grid=grid, package=package)
    return category, grid, package


def test_a_write_that_bypasses_the_documents_is_reported_and_fixed(catalogue):
    _category, _grid, package = catalogue
    assert_clean()
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Package._meta.db_table} SET title = %s WHERE id = %s",
            ["Changed behind its back", package.pk],
        )

    code, out = check_documents()

    assert code == 1
    assert out == f"package {package.pk}: differs from its rows\n"
    call_command("check_documents", "--fix", stdout=StringIO())
    assert_clean()


def test_missing_and_orphaned_documents_are_reported(catalogue):
    _category, grid, package = catalogue
    Document.objects.filter(kind="grid", object_id=grid.pk).delete()
    Document.objects.create(kind="package", object_id=999_999, body="{}", changed_at=grid.created)

    code, out = check_documents()

    assert code == 1
    assert sorted(out.splitlines()) == [
        f"grid {grid.pk}: missing",
        "package 999999: stored, but the package no longer exists",
    ]


def test_api_edits_keep_the_documents(catalogue):
    category, grid, package = catalogue
    client = staff_client()
    assert (
        client.patch(
            f"/api/v4/packages/{package.pk}/", {"title": "Crispy"}, format="json"
        ).status_code
        == 200
    )
    assert (
        client.patch(f"/api/v4/grids/{grid.pk}/", {"title": "Forms!"}, format="json").status_code
        == 200
    )
    assert (
        client.patch(
            f"/api/v4/categories/{category.pk}/", {"title": "Applications"}, format="json"
        ).status_code
        == 200
    )
    created = client.post(
        "/api/v4/packages/",
        {
            "title": "New",
            "slug": "new",
            "repo_url": "https://github.com/a/new",
            "category": category.pk,
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    assert_clean()
    body = Document.objects.get(kind="package", object_id=package.pk).body
    assert '"title":"Crispy"' in body


def test_grid_membership_features_and_cells_keep_the_documents(catalogue):
    _category, grid, package = catalogue
    other = PackageFactory(slug="other")
    client = staff_client()
    assert (
        client.post(
            f"/api/v4/grids/{grid.pk}/packages/", {"package": "other"}, format="json"
        ).status_code
        == 201
    )
    assert_clean()
    feature = client.post(f"/api/v4/grids/{grid.pk}/features/", {"title": "Speed"}, format="json")
    assert feature.status_code == 201, feature.content
    cell = client.post(
        f"/api/v4/grids/{grid.pk}/cells/",
        {"package": "other", "feature": feature.json()["id"], "text": "fast"},
        format="json",
    )
    assert cell.status_code in {200, 201}, cell.content
    ElementFactory(
        grid_package=GridPackage.objects.get(package=package), feature=FeatureFactory(grid=grid)
    )
    assert_clean()
    grid.packages.remove(other)
    assert_clean()
    package.grids.clear()
    assert_clean()
    grid.packages.add(package, other)
    assert_clean()
    assert client.delete(f"/api/v4/grids/{grid.pk}/packages/other/").status_code == 204
    assert_clean()
    stored = json.loads(Document.objects.get(kind="grid", object_id=grid.pk).body)
    assert stored["packages"] == [f"\x00/api/v4/packages/{package.pk}/"]


def test_category_rename_and_deletes_keep_the_documents(catalogue):
    category, grid, package = catalogue
    category.title = "Renamed"
    category.save()
    assert_clean()
    package.delete()
    assert_clean()
    assert not Document.objects.filter(kind="package", object_id=package.pk).exists()
    assert json.loads(Document.objects.get(kind="grid", object_id=grid.pk).body)["packages"] == []
    GridPackageFactory(grid=grid, package=PackageFactory(category=category))
    grid.delete()
    Category.objects.filter(pk=CategoryFactory().pk).delete()
    assert_clean()
    assert not Document.objects.filter(kind="grid").exists()


def test_an_admin_edit_keeps_the_documents(client, catalogue):
    category, _grid, _package = catalogue
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.post(
        reverse("admin:categories_category_change", args=[category.pk]),
        {
            "title": "Edited in the admin",
            "slug": category.slug,
            "description": "d",
            "title_plural": "Edited",
            "show_pypi": "on",
            "created_0": "2024-01-02",
            "created_1": "03:04:05",
            "modified_0": "2024-01-02",
            "modified_1": "03:04:05",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert_clean()
    body = Document.objects.get(kind="category", object_id=category.pk).body
    assert '"title":"Edited in the admin"' in body


def test_an_import_keeps_the_documents(tmp_path, catalogue):
    from tests.catalogue.test_importer import SEED

    call_command("import_catalogue", str(SEED), stdout=StringIO(), stderr=StringIO())
    assert Package.objects.count() > 1
    assert_clean()
    assert Document.objects.filter(kind="package").count() == Package.objects.count()


def test_a_fetch_keeps_the_documents(fetch_settings, upstream):
    serve_github_repo(upstream)
    serve_pypi(upstream)
    widgets = PackageFactory(
        slug="widgets", repo_url="https://github.com/octo/widgets", pypi_url="django-widgets"
    )
    before = Document.objects.get(kind="package", object_id=widgets.pk)
    call_command("fetch_stats", "--json", stdout=StringIO(), stderr=StringIO())
    widgets.refresh_from_db()
    assert widgets.repo_watchers == 120
    assert_clean()
    after = Document.objects.get(kind="package", object_id=widgets.pk)
    assert '"repo_watchers":120' in after.body
    assert after.changed_at > before.changed_at


def test_changed_at_moves_only_when_the_bytes_change(catalogue):
    _category, _grid, package = catalogue
    before = Document.objects.get(kind="package", object_id=package.pk)
    documents.rebuild("package", [package.pk])
    Package.objects.get(pk=package.pk).save(touch=False)
    assert (
        Document.objects.get(kind="package", object_id=package.pk).changed_at == before.changed_at
    )


def test_links_are_completed_with_the_requests_scheme_and_host(catalogue):
    _category, grid, package = catalogue
    stored = Document.objects.get(kind="package", object_id=package.pk).body.encode()
    completed = documents.complete(stored, b"https://example.org")
    assert json.loads(completed)["grids"] == [f"https://example.org/api/v4/grids/{grid.pk}/"]
    # Text that looks like the marker is not a link.
    package.repo_description = '"\\u0000/api/v4/ and \\u0000'
    package.save()
    stored = Document.objects.get(kind="package", object_id=package.pk).body.encode()
    completed = json.loads(documents.complete(stored, b"https://example.org"))
    assert completed["repo_description"] == package.repo_description


def test_grid_deletion_by_queryset_keeps_the_documents(catalogue):
    _category, grid, _package = catalogue
    Grid.objects.filter(pk=grid.pk).delete()
    assert_clean()


def test_queryset_updates_keep_the_documents(catalogue):
    category, grid, package = catalogue
    Package.objects.filter(pk=package.pk).update(title="Updated", repo_watchers=7)
    Category.objects.filter(pk=category.pk).update(title_plural="Bulk")
    Package.objects.bulk_update([Package(pk=package.pk, title="Bulk-updated")], ["title"])
    assert_clean()
    assert (
        '"title":"Bulk-updated"' in Document.objects.get(kind="package", object_id=package.pk).body
    )
