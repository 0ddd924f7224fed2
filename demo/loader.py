"""Load the demo catalogue: the seed package, real Django packages with sample stats, grids.

The data files beside this module are the project's own:
- `seed.json`: package 2431 (`cookiecutter-django-ansible`) with its category 4 and grid 218,
  exactly as djangopackages.org's API v4 shows them; loaded through the catalogue importer, so
  the demo serves the seed's values unchanged.
- `packages.tsv`: a curated slice of the Django-related projects on PyPI (name, version, month
  of the last release, summary), with known repository URLs, rough star counts and the
  repository owner's login added by hand; `sample.py` draws the rest of the stats from them.
- `grids.json`: comparison grids with their ids, features, rows and cells.

Loading only creates what is missing and never edits an existing row, so it is idempotent and
never undoes a curator's change. Scores are computed for the packages it creates.
"""

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Model
from django.utils.text import slugify

from catalogue.importer import import_bundle, reset_id_sequences
from categories.models import Category
from grids.models import Element, Feature, Grid, GridPackage
from packages.models import Package, Version
from packages.scoring import update_scores

from .sample import sample_releases, sample_stats

DATA_DIR = Path(__file__).resolve().parent

CATEGORIES = [
    # (id, slug, title, title_plural, show_pypi, description); 4 is the seed's category.
    (1, "apps", "App", "Apps", True, "Small components used to build projects."),
    (2, "frameworks", "Framework", "Frameworks", True, "Large efforts that combine many apps."),
    (3, "other", "Other", "Other", True, "Tools, test helpers and everything else."),
    (
        4,
        "projects",
        "Project",
        "Projects",
        False,
        "Complete Django projects and project templates.",
    ),
]
CATEGORY_BY_PLURAL = {plural: slug for _, slug, _, plural, _, _ in CATEGORIES}


class DemoDataError(Exception):
    """The demo's own data files do not load: a bug in the data, never a user error."""


@dataclass
class LoadReport:
    created: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, count: int) -> None:
        self.created[kind] = self.created.get(kind, 0) + int(count)

    @property
    def total(self) -> int:
        return sum(self.created.values())

    def __str__(self) -> str:
        return ", ".join(f"{count} {kind}" for kind, count in self.created.items() if count)


def read_packages() -> list[dict[str, str]]:
    with (DATA_DIR / "packages.tsv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def read_grids() -> list[dict[str, Any]]:
    return json.loads((DATA_DIR / "grids.json").read_text(encoding="utf-8"))


def read_seed() -> dict[str, list[dict[str, Any]]]:
    return json.loads((DATA_DIR / "seed.json").read_text(encoding="utf-8"))


@transaction.atomic
def load_demo_catalogue() -> LoadReport:
    """Create whatever part of the demo catalogue is missing; return what was created."""
    report = LoadReport()
    seed = read_seed()
    _import_new(seed, ["categories"], report)
    categories = _load_categories(report)
    packages, created_ids = _load_packages(categories, report)
    created_ids |= _import_new(seed, ["packages", "grids"], report)
    for spec in read_grids():
        _load_grid(spec, packages, report)
    reset_id_sequences()
    update_scores(Package.objects.filter(pk__in=created_ids))
    return report


def _import_new(
    bundle: dict[str, list[dict[str, Any]]], kinds: list[str], report: LoadReport
) -> set[int]:
    """Import the records of `kinds` when every one's id and slug are free; return package ids.

    All or nothing: a seed grid imported without its package would link whatever row holds
    the package's id instead.
    """
    models = {"categories": Category, "packages": Package, "grids": Grid}
    records = {kind: bundle[kind] for kind in kinds}
    if not all(_is_free(models[kind], r) for kind in kinds for r in records[kind]):
        return set()
    result = import_bundle(records)
    if result.skipped:
        raise DemoDataError(f"seed.json does not import: {result.skipped[0]}")
    for kind in kinds:
        report.add(kind, result.created[kind])
    return {record["id"] for record in records.get("packages", [])}


def _is_free(model: type[Model], record: dict[str, Any]) -> bool:
    by_id = model._default_manager.filter(pk=record["id"])
    by_slug = model._default_manager.filter(slug=record["slug"])
    return not (by_id | by_slug).exists()


def _free_id(model: type[Model], wanted: int) -> dict[str, int]:
    """`{"id": wanted}` when that id is unused, else `{}` (the database picks one)."""
    return {} if model._default_manager.filter(pk=wanted).exists() else {"id": wanted}


def _load_categories(report: LoadReport) -> dict[str, Category]:
    categories = {}
    for pk, slug, title, plural, show_pypi, description in CATEGORIES:
        if not Category.objects.filter(slug=slug).exists():
            Category.objects.create(
                slug=slug,
                title=title,
                title_plural=plural,
                show_pypi=show_pypi,
                description=description,
                **_free_id(Category, pk),
            )
            report.add("categories", 1)
        categories[slug] = Category.objects.get(slug=slug)
    return categories


def _load_packages(
    categories: dict[str, Category], report: LoadReport
) -> tuple[dict[str, Package], set[int]]:
    packages, created_ids, releases = {}, set(), []
    existing = Package.objects.in_bulk(field_name="slug")
    for row in read_packages():
        slug = slugify(row["name"])
        package = existing.get(slug)
        if package is None:
            package = Package(
                slug=slug,
                title=row["name"],
                category=categories[CATEGORY_BY_PLURAL[row["category"]]],
                repo_url=row["repo_url"],
                repo_description=row["summary"],
                pypi_url=row["pypi_name"],
                pypi_version=(row["pypi_version"] or None) if row["pypi_name"] else None,
                **sample_stats(row),
            )
            package.save(touch=False)  # keeps the demo's deterministic dates
            created_ids.add(package.pk)
            if row["pypi_name"]:
                releases += _releases(package, row)
        packages[row["pypi_name"] or slug] = package
    # One insert for every release; the packages' own saves above already invalidate the
    # API cache when this transaction commits.
    Version.objects.bulk_create(releases)
    report.add("packages", len(created_ids))
    report.add("versions", len(releases))
    return packages, created_ids


def _releases(package: Package, row: dict[str, str]) -> list[Version]:
    return [
        Version(
            package=package,
            number=release.number,
            upload_time=release.upload_time,
            is_prerelease=release.is_prerelease,
            is_sample=True,
        )
        for release in sample_releases(row)
    ]


def _load_grid(spec: dict[str, Any], packages: dict[str, Package], report: LoadReport) -> None:
    grid = Grid.objects.filter(slug=spec["slug"]).first()
    if grid is None:
        grid = Grid.objects.create(
            slug=spec["slug"],
            title=spec["title"],
            description=spec["description"],
            header=spec["header"],
            **_free_id(Grid, spec["id"]),
        )
        report.add("grids", 1)
    features = []
    for title in spec["features"]:
        feature, created = Feature.objects.get_or_create(grid=grid, title=title)
        features.append(feature)
        report.add("features", created)
    for name, cells in spec["rows"].items():
        package = packages.get(name) or Package.objects.filter(slug=name).first()
        if package is None:  # the seed package, when another row already holds its id
            continue
        grid_package, created = GridPackage.objects.get_or_create(grid=grid, package=package)
        report.add("grid packages", created)
        for feature, text in zip(features, cells, strict=True):
            _, created = Element.objects.get_or_create(
                grid_package=grid_package, feature=feature, defaults={"text": text}
            )
            report.add("elements", created)
