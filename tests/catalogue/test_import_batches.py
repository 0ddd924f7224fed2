"""`import_bundle` in batches: queries grow with batches, not records; a refused batch is replayed
alone; memberships are written in bulk; the progress bar is drawn on a terminal only."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalogue import importer
from categories.models import Category
from grids.models import Grid, GridPackage
from packages.models import Package
from tests.catalogue.test_importer import _package
from tests.factories import GridFactory

pytestmark = pytest.mark.django_db

BATCH = 10


@pytest.fixture
def category(monkeypatch):
    monkeypatch.setattr(importer, "BATCH_SIZE", BATCH)
    return Category.objects.create(id=4, title="Project", slug="projects")


def _bundle(count, **fields):
    packages = [_package(pk, **fields) for pk in range(100, 100 + count)]
    grid = {"id": 900, "title": "G", "slug": "g", "packages": [p["id"] for p in packages]}
    return {"categories": [], "packages": packages, "grids": [grid]}


def _queries(bundle):
    with CaptureQueriesContext(connection) as captured:
        report = importer.import_bundle(bundle)
    assert not report.skipped
    return len(captured.captured_queries)


def _fresh_queries(count, **fields):
    Package.objects.all().delete()
    Grid.objects.all().delete()
    return _queries(_bundle(count, **fields))


@pytest.mark.parametrize("count", [3 * BATCH, 5 * BATCH])
def test_a_fresh_import_costs_a_fixed_number_of_queries_per_batch(category, count):
    small, large = _fresh_queries(count), _fresh_queries(2 * count)

    per_batch, leftover = divmod(large - small, count // BATCH)
    assert leftover == 0
    assert per_batch <= 5  # read the stored rows, savepoint, insert, release: not one per record


@pytest.mark.parametrize("change", [False, True], ids=["unchanged", "changed"])
def test_a_reimport_costs_a_fixed_number_of_queries_per_batch(category, change):
    counts = []
    for count in (3 * BATCH, 6 * BATCH):
        _fresh_queries(count)
        fields = {"repo_watchers": 999, "title": "renamed"} if change else {}
        counts.append(_queries(_bundle(count, **fields)))

    per_batch, leftover = divmod(counts[1] - counts[0], 3)
    assert leftover == 0
    assert per_batch <= 7  # PostgreSQL's staged update is 4 statements; SQLite's one


def test_package_links_to_grids_cost_the_same_queries_for_many_links(category):
    grids = [GridFactory(id=pk) for pk in (218, 219)]
    links = [f"https://x.example/api/v4/grids/{grid.pk}/" for grid in grids]
    counts = []
    for count in (BATCH, 4 * BATCH):
        Package.objects.all().delete()
        bundle = {"packages": [_package(pk, grids=links) for pk in range(1, count + 1)]}
        counts.append(_queries(bundle))

    assert counts[1] - counts[0] <= 3 * 5  # three more batches; no query per membership
    assert GridPackage.objects.count() == 2 * 4 * BATCH


def test_package_links_keep_existing_memberships_and_add_the_missing(category):
    GridFactory(id=218)
    importer.import_bundle({"packages": [_package(1, grids=[218])]})
    first = GridPackage.objects.get()

    importer.import_bundle({"packages": [_package(1, grids=[218]), _package(2, grids=[218])]})

    assert GridPackage.objects.get(package_id=1).pk == first.pk
    assert sorted(GridPackage.objects.values_list("package_id", flat=True)) == [1, 2]


def _refused_second_batch(count):
    """`count` records whose second batch the unique index refuses (a duplicate slug)."""
    bundle = _bundle(count)
    bundle["packages"][BATCH + 4]["slug"] = bundle["packages"][BATCH + 2]["slug"]
    return bundle


def test_only_the_batch_the_database_refuses_is_replayed(category, monkeypatch):
    # Let a duplicate slug past the dictionary checks: the unique index refuses its batch.
    monkeypatch.setattr(importer, "_unique_fields", lambda model: [])
    counts = []
    for count in (3 * BATCH, 5 * BATCH):
        Package.objects.all().delete()
        Grid.objects.all().delete()
        with CaptureQueriesContext(connection) as captured:
            report = importer.import_bundle(_refused_second_batch(count))
        counts.append(len(captured.captured_queries))

    # Two more clean batches cost what clean batches cost (a replay costs queries per record).
    assert counts[1] - counts[0] <= 2 * 5
    assert [s.index for s in report.skipped] == [BATCH + 4]
    assert "slug: Package with this Slug already exists." in str(report.skipped[0])
    assert Package.objects.count() == 5 * BATCH - 1
    assert report.created["packages"] == 5 * BATCH - 1


def test_a_refused_update_batch_is_replayed_and_the_others_land(category, monkeypatch):
    importer.import_bundle(_bundle(2 * BATCH))
    monkeypatch.setattr(importer, "_unique_fields", lambda model: [])
    bundle = _bundle(2 * BATCH, repo_watchers=5)
    bundle["packages"][3]["slug"] = bundle["packages"][1]["slug"]

    report = importer.import_bundle(bundle)

    assert [s.index for s in report.skipped] == [3]
    assert report.updated["packages"] == 2 * BATCH - 1
    watchers = dict(Package.objects.values_list("pk", "repo_watchers"))
    assert watchers.pop(103) != 5
    assert set(watchers.values()) == {5}


def test_an_unchanged_row_is_not_rewritten_but_counts_as_updated(category):
    importer.import_bundle(_bundle(3))

    with CaptureQueriesContext(connection) as captured:
        report = importer.import_bundle(_bundle(3))

    assert report.updated["packages"] == 3
    writes = [q["sql"] for q in captured if "packages_package" in q["sql"].split(" WHERE")[0]]
    assert not [sql for sql in writes if sql.lstrip().upper().startswith(("UPDATE", "COPY"))]


class _Terminal(StringIO):
    def isatty(self):
        return True


def _command(tmp_path, stderr):
    path = tmp_path / "catalogue.json"
    path.write_text(json.dumps(_bundle(2 * BATCH)))
    call_command("import_catalogue", str(path), stdout=StringIO(), stderr=stderr)


def test_on_a_terminal_the_import_draws_a_progress_bar(category, tmp_path):
    stderr = _Terminal()

    _command(tmp_path, stderr)

    assert "importing packages" in stderr.getvalue()
    assert Package.objects.count() == 2 * BATCH


def test_off_a_terminal_the_import_draws_no_bar(category, tmp_path):
    stderr = StringIO()

    _command(tmp_path, stderr)

    assert stderr.getvalue() == ""
    assert Package.objects.count() == 2 * BATCH
