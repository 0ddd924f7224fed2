"""The search index follows every kind of write, on both databases: ORM saves, queryset
updates, deletes, a category renamed, the importer's bulk writes; the spelling vocabulary too."""

import pytest
from django.db import connection

import search
from catalogue.importer import import_bundle
from categories.models import Category
from grids.models import Grid
from packages.models import Package
from search import spelling
from tests.factories import CategoryFactory, GridFactory, PackageFactory

pytestmark = pytest.mark.django_db


def _slugs(query):
    return [hit.slug for hit in search.search(query)]


def test_the_migrations_leave_the_search_objects_in_place():
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
    assert "packages_name_word" in tables
    if connection.vendor == "sqlite":
        assert {"package_search", "grid_search"} <= tables
        with connection.cursor() as cursor:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            triggers = {name for (name,) in cursor.fetchall()}
        assert {
            "package_search_insert",
            "package_search_update",
            "package_search_delete",
            "category_search_title",
            "package_name_words_insert",
            "package_name_words_update",
            "package_name_words_delete",
            "grid_search_insert",
            "grid_search_update",
            "grid_search_delete",
        } <= triggers


def test_a_saved_package_is_found_by_its_new_words_only():
    package = PackageFactory(title="django-alpha", slug="django-alpha", repo_description="One.")

    package.title, package.slug = "django-beta", "django-beta"
    package.repo_description = "Caching things."
    package.save()

    assert _slugs("alpha") == []
    assert _slugs("beta") == ["django-beta"]
    assert _slugs("cache") == ["django-beta"]


def test_a_queryset_update_is_followed():
    package = PackageFactory(title="django-alpha", slug="django-alpha", participants=[])

    Package.objects.filter(pk=package.pk).update(
        repo_description="Renders charts.", participants=["octocat"], repo_watchers=10**6
    )

    assert _slugs("chart") == ["django-alpha"]
    assert _slugs("octocat") == ["django-alpha"]
    assert search.search("alpha")[0].repo_watchers == 10**6


def test_stars_order_the_matches_after_an_update():
    first = PackageFactory(title="x-widget-a", slug="x-widget-a", repo_watchers=5)
    PackageFactory(title="x-widget-b", slug="x-widget-b", repo_watchers=50)

    Package.objects.filter(pk=first.pk).update(repo_watchers=500)

    assert _slugs("widget") == ["x-widget-a", "x-widget-b"]


def test_a_deleted_package_is_gone_from_search_and_from_the_vocabulary():
    PackageFactory(title="django-zebrafish", slug="django-zebrafish")
    assert spelling.correct(["zebrafisj"]) == ["zebrafish"]

    Package.objects.all().delete()

    assert _slugs("zebrafish") == []
    assert spelling.correct(["zebrafisj"]) == ["zebrafisj"]


def test_a_renamed_package_is_corrected_to_its_new_name():
    package = PackageFactory(title="django-zebrafish", slug="django-zebrafish")

    Package.objects.filter(pk=package.pk).update(title="django-starfish", slug="django-starfish")

    assert spelling.correct(["zebrafisj", "starfisj"]) == ["zebrafisj", "starfish"]


def test_a_category_renamed_is_searched_by_its_new_title():
    category = CategoryFactory(title="Apps", slug="apps")
    PackageFactory(title="django-one", slug="django-one", category=category)

    Category.objects.filter(pk=category.pk).update(title="Frameworks")
    category.refresh_from_db()

    assert _slugs("framework") == ["django-one"]
    assert _slugs("apps") == []


def test_a_package_moved_to_another_category_is_searched_by_it():
    package = PackageFactory(title="django-one", slug="django-one")
    other = CategoryFactory(title="Projects", slug="projects")

    package.category = other
    package.save()

    assert _slugs("projects") == ["django-one"]


def test_imported_packages_and_grids_are_searchable_and_spelled():
    import_bundle(
        {
            "categories": [{"id": 7, "title": "Apps", "slug": "apps"}],
            "packages": [
                {
                    "id": 70,
                    "title": "django-importedthing",
                    "slug": "django-importedthing",
                    "category": 7,
                    "repo_description": "Caching for imports.",
                    "participants": ["zorglub"],
                }
            ],
            "grids": [{"id": 9, "title": "Imported caches", "slug": "imported-caches"}],
        }
    )

    assert _slugs("importedthing") == ["django-importedthing"]
    assert _slugs("cached imports") == ["imported-caches", "django-importedthing"]
    assert _slugs("zorglub") == ["django-importedthing"]
    assert _slugs("caching") == ["imported-caches", "django-importedthing"]
    assert spelling.correct(["importedthimg"]) == ["importedthing"]


def test_a_grid_is_found_by_its_new_words_only():
    grid = GridFactory(title="Forms", slug="forms", description="Form libraries.")

    Grid.objects.filter(pk=grid.pk).update(
        title="Caches", slug="caches", description="Caching backends."
    )

    assert _slugs("form") == []
    assert _slugs("cache") == ["caches"]
