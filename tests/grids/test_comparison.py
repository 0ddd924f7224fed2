"""The grid comparison: marks, row order, missing cells, empty grids, query budget and CSV."""

import csv
import io
from datetime import UTC, datetime

import pytest
from django.test import override_settings

from grids.comparison import build_comparison, classify_mark, render_comparison_csv
from grids.models import Element
from tests.factories import (
    ElementFactory,
    FeatureFactory,
    GridFactory,
    GridPackageFactory,
    PackageFactory,
)

WHEN = datetime(2024, 3, 5, 6, 7, 8, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "mark"),
    [
        ("yes", "yes"),
        ("  YES \n", "yes"),
        ("Yes", "yes"),
        ("y", "yes"),
        ("true", "yes"),
        ("True", "yes"),
        ("good", "yes"),
        ("check", "yes"),
        ("+", "yes"),
        ("++", "yes"),
        ("✓", "yes"),
        ("✔", "yes"),
        ("✔️", "yes"),
        ("✅", "yes"),
        ("✅ yes", "yes"),
        ("Yes, via django-foo", "yes"),
        ("yes (since 2.0)", "yes"),
        ("✅ since 2.0", "yes"),
        ("no", "no"),
        ("No", "no"),
        ("n", "no"),
        ("false", "no"),
        ("bad", "no"),
        ("-", "no"),
        ("✗", "no"),
        ("✘", "no"),
        ("❌", "no"),
        ("No (planned for 3.0)", "no"),
        ("~", "partial"),
        ("±", "partial"),
        ("partial", "partial"),
        ("Partially: only Postgres", "partial"),
        ("+/-", "partial"),
        ("+ / -", "partial"),
        ("+-", "partial"),
        ("yes/no", "partial"),
        ("Yes and no", "partial"),
        ("yes or no", "partial"),
        ("✓ ✗", "partial"),
        ("yes ~", "partial"),
        ("", "none"),
        ("   ", "none"),
        ("x", "none"),
        ("maybe", "none"),
        ("?", "none"),
        ("n/a", "none"),
        ("N/A", "none"),
        ("+1", "none"),
        ("- a bullet point", "none"),
        ("~50%", "none"),
        ("check the docs", "none"),
        ("None", "none"),
        ("Not yet", "none"),
        ("Supports yes", "none"),
        ("and", "none"),
    ],
)
def test_classify_mark(text, mark):
    assert classify_mark(text) == mark


@pytest.mark.django_db
def test_empty_grid_has_no_features_and_no_packages():
    assert build_comparison(GridFactory()) == {"features": [], "packages": []}


@pytest.mark.django_db
def test_grid_with_features_but_no_packages_lists_the_features_in_id_order():
    grid = GridFactory()
    second = FeatureFactory(grid=grid, title="B", description="")
    first = FeatureFactory(grid=grid, title="A", description="Does A?")
    FeatureFactory()  # another grid's feature

    comparison = build_comparison(grid)

    assert comparison == {
        "features": [
            {"id": second.id, "title": "B", "description": ""},
            {"id": first.id, "title": "A", "description": "Does A?"},
        ],
        "packages": [],
    }


@pytest.mark.django_db
def test_grid_with_packages_but_no_features_has_rows_without_cells():
    grid_package = GridPackageFactory()

    comparison = build_comparison(grid_package.grid)

    assert comparison["features"] == []
    assert [row["slug"] for row in comparison["packages"]] == [grid_package.package.slug]
    assert comparison["packages"][0]["cells"] == {}


@pytest.mark.django_db
def test_row_holds_the_package_stats_flags_and_every_cell():
    grid = GridFactory()
    package = PackageFactory(
        title="django-alpha",
        slug="django-alpha",
        repo_watchers=120,
        repo_forks=7,
        last_updated=WHEN,
        pypi_version="1.4",
        commits_over_52=[1] * 52,
        participants=["ann", "bob", "cy"],
        score=61,
        repo_archived_at=WHEN,
    )
    grid_package = GridPackageFactory(grid=grid, package=package)
    filled = FeatureFactory(grid=grid)
    missing = FeatureFactory(grid=grid)
    ElementFactory(grid_package=grid_package, feature=filled, text="  Yes, with X ")

    (row,) = build_comparison(grid)["packages"]

    assert row == {
        "id": package.id,
        "title": "django-alpha",
        "slug": "django-alpha",
        "repo_watchers": 120,
        "repo_forks": 7,
        "last_updated": WHEN,
        "pypi_version": "1.4",
        "commits_over_52": [1] * 52,
        "participants": 3,
        "score": 61,
        "is_archived": True,
        "is_deprecated": False,
        "cells": {
            str(filled.id): {"text": "  Yes, with X ", "mark": "yes"},
            str(missing.id): {"text": "", "mark": "none"},
        },
    }


@pytest.mark.django_db
def test_deprecated_flag_and_unknown_fields():
    grid_package = GridPackageFactory(package=PackageFactory(deprecated_at=WHEN, pypi_version=None))

    (row,) = build_comparison(grid_package.grid)["packages"]

    assert row["is_deprecated"] is True
    assert row["is_archived"] is False
    assert row["last_updated"] is None
    assert row["pypi_version"] is None
    assert row["participants"] == 0


@pytest.mark.django_db
def test_rows_are_ordered_by_score_then_stars_then_title():
    grid = GridFactory()
    for title, score, stars in [
        ("d-low-score", 10, 9000),
        ("c-tie", 50, 100),
        ("B-tie", 50, 100),
        ("a-fewer-stars", 50, 99),
        ("e-top", 90, 1),
    ]:
        GridPackageFactory(
            grid=grid, package=PackageFactory(title=title, score=score, repo_watchers=stars)
        )

    titles = [row["title"] for row in build_comparison(grid)["packages"]]

    assert titles == ["e-top", "B-tie", "c-tie", "a-fewer-stars", "d-low-score"]


@pytest.mark.django_db
def test_cells_of_other_grids_do_not_leak_in():
    package = PackageFactory()
    mine = GridPackageFactory(package=package)
    theirs = GridPackageFactory(package=package)
    feature = FeatureFactory(grid=mine.grid)
    ElementFactory(grid_package=theirs, text="yes")

    (row,) = build_comparison(mine.grid)["packages"]

    assert row["cells"] == {str(feature.id): {"text": "", "mark": "none"}}


def make_grid(packages, features):
    grid = GridFactory()
    grid_packages = [GridPackageFactory(grid=grid) for _ in range(packages)]
    feature_rows = [FeatureFactory(grid=grid) for _ in range(features)]
    marks = ["yes", "no", "~", "", "+/-", "Yes, via X"]
    Element.objects.bulk_create(
        Element(grid_package=gp, feature=f, text=marks[(i + j) % len(marks)])
        for i, gp in enumerate(grid_packages)
        for j, f in enumerate(feature_rows)
    )
    return grid


@pytest.mark.django_db
@pytest.mark.parametrize(("packages", "features"), [(1, 1), (60, 20)])
def test_comparison_takes_three_queries_whatever_the_grid_size(
    packages, features, django_assert_num_queries
):
    grid = make_grid(packages, features)

    with django_assert_num_queries(3):
        comparison = build_comparison(grid)

    assert len(comparison["packages"]) == packages
    assert all(len(row["cells"]) == features for row in comparison["packages"])


def read_csv(text):
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.django_db
@override_settings(TIME_ZONE="America/New_York")
def test_csv_has_a_header_and_one_line_per_package_in_comparison_order():
    grid = GridFactory()
    speed = FeatureFactory(grid=grid, title="Speed")
    docs = FeatureFactory(grid=grid, title="Docs")
    top = GridPackageFactory(
        grid=grid,
        package=PackageFactory(
            title="Top", slug="top", repo_watchers=5, repo_forks=1, score=80, last_updated=WHEN
        ),
    )
    GridPackageFactory(
        grid=grid,
        package=PackageFactory(
            title="Low", slug="low", repo_watchers=9, repo_forks=2, score=3, pypi_version="2.0"
        ),
    )
    ElementFactory(grid_package=top, feature=speed, text='fast,\n"very"')
    ElementFactory(grid_package=top, feature=docs, text="+")

    rows = read_csv(render_comparison_csv(build_comparison(grid)))

    assert rows == [
        ["package", "slug", "stars", "forks", "last_updated", "pypi_version", "score"]
        + ["Speed", "Docs"],
        ["Top", "top", "5", "1", "2024-03-05T01:07:08-05:00", "", "80", 'fast,\n"very"', "+"],
        ["Low", "low", "9", "2", "", "2.0", "3", "", ""],
    ]


@pytest.mark.django_db
def test_csv_of_an_empty_grid_is_just_the_header():
    text = render_comparison_csv(build_comparison(GridFactory()))

    assert text == "package,slug,stars,forks,last_updated,pypi_version,score\r\n"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "written"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tlead", "'\tlead"),
        ("\rlead", "'\rlead"),
        ("+/-", "'+/-"),
        ("=", "'="),
        ("+", "+"),
        ("-", "-"),
        ("yes = good", "yes = good"),
        ("~", "~"),
    ],
)
def test_csv_neutralises_formulas_but_keeps_single_sign_marks(text, written):
    grid = GridFactory()
    feature = FeatureFactory(grid=grid, title="=1+1")
    grid_package = GridPackageFactory(grid=grid, package=PackageFactory(title="@evil"))
    ElementFactory(grid_package=grid_package, feature=feature, text=text)

    header, row = read_csv(render_comparison_csv(build_comparison(grid)))

    assert header[-1] == "'=1+1"
    assert row[0] == "'@evil"
    assert row[-1] == written
