"""The demo catalogue: size, shape and idempotence."""

import pytest
from django.core.management import call_command

from categories.models import Category
from grids.models import Element, Grid
from packages.models import Package
from tests.checksums import catalogue_snapshot

pytestmark = pytest.mark.django_db


def test_demo_catalogue_is_realistic(capsys):
    call_command("load_demo")
    assert set(Category.objects.values_list("title_plural", flat=True)) == {
        "Apps",
        "Frameworks",
        "Projects",
        "Other",
    }
    assert Package.objects.count() >= 200
    assert Grid.objects.count() >= 10
    for grid in Grid.objects.all():
        assert grid.features.exists(), grid
        assert Element.objects.filter(feature__grid=grid).exists(), grid
    drf = Package.objects.get(slug="djangorestframework")
    assert drf.repo_url == "https://github.com/encode/django-rest-framework"
    assert drf.repo_watchers > 1000
    assert len(drf.commits_over_52) == 52
    assert all(isinstance(n, int) and n >= 0 for n in drf.commits_over_52)
    assert "created" in capsys.readouterr().out


def test_loading_twice_changes_nothing(capsys):
    call_command("load_demo")
    before = catalogue_snapshot()
    call_command("load_demo")
    assert catalogue_snapshot() == before
    assert "nothing to create" in capsys.readouterr().out


def test_loading_keeps_curator_edits_and_restores_deleted_rows():
    call_command("load_demo")
    Package.objects.filter(slug="django-filter").update(repo_description="curated")
    Grid.objects.get(slug="caching").delete()
    call_command("load_demo")
    assert Package.objects.get(slug="django-filter").repo_description == "curated"
    assert Grid.objects.get(slug="caching").features.count() == 3


def test_if_empty_skips_a_database_with_packages(capsys):
    call_command("load_demo")
    Package.objects.filter(slug="django-filter").delete()
    call_command("load_demo", "--if-empty")
    assert not Package.objects.filter(slug="django-filter").exists()
    assert "skipped" in capsys.readouterr().out
