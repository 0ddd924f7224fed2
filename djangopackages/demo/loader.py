"""The demo catalogue: real Django packages and comparison grids with plausible stats.

`packages.tsv` is a curated slice of a public list of Django-related PyPI projects (name,
version, month of the last release, summary), with known repository URLs added by hand for the
best-known ones; `grids.json` describes the grids. Repository stats are generated
deterministically from each name, so every run produces the same catalogue. Loading only
creates what is missing and never edits an existing row, so it is idempotent and never undoes a
curator's change.
"""

import csv
import hashlib
import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.db import transaction
from django.utils.text import slugify

from categories.models import Category
from grids.models import Element, Feature, Grid, GridPackage
from packages.models import WEEKS, Package

DATA_DIR = Path(__file__).resolve().parent
ANCHOR = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)

CATEGORIES = [
    # (slug, title, title_plural, show_pypi, description)
    ("apps", "App", "Apps", True, "Small components used to build projects."),
    ("frameworks", "Framework", "Frameworks", True, "Large efforts that combine many apps."),
    ("projects", "Project", "Projects", False, "Complete sites and project templates."),
    ("other", "Other", "Other", True, "Tools, test helpers and everything else."),
]
CATEGORY_BY_PLURAL = {plural: slug for slug, _, plural, _, _ in CATEGORIES}


@dataclass
class LoadReport:
    created: dict = field(default_factory=dict)

    def add(self, kind, was_created):
        self.created[kind] = self.created.get(kind, 0) + int(was_created)

    @property
    def total(self):
        return sum(self.created.values())

    def __str__(self):
        return ", ".join(f"{count} {kind}" for kind, count in self.created.items())


def read_packages():
    with (DATA_DIR / "packages.tsv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def read_grids():
    return json.loads((DATA_DIR / "grids.json").read_text(encoding="utf-8"))


def _rng(name):
    return random.Random(int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big"))


def _release_date(row, rng):
    month = row["last_release_month"]
    if not month:
        return ANCHOR - timedelta(days=rng.randint(30, 1500))
    year, number = (int(part) for part in month.split("-"))
    return datetime(year, number, rng.randint(1, 28), rng.randint(0, 23), tzinfo=UTC)


def demo_stats(row, rank):
    """Plausible, deterministic repository stats for the demo row at popularity `rank`."""
    rng = _rng(row["name"])
    released = _release_date(row, rng)
    created = released - timedelta(days=rng.randint(400, 4000))
    stats = {"created": created, "modified": max(created, released)}
    if not row["repo_url"]:
        return stats
    stars = int(30000 * 0.96**rank * rng.uniform(0.4, 1.6)) + rng.randint(10, 120)
    idle_weeks = max(0, (ANCHOR - released).days // 7)
    weekly = max(0.2, stars / 2500)
    commits = [
        0 if week >= WEEKS - idle_weeks else max(0, int(rng.gauss(weekly, weekly / 2)))
        for week in range(WEEKS)
    ]
    handle = slugify(row["name"]).replace("django-", "") or "dev"
    stats.update(
        repo_watchers=stars,
        repo_forks=int(stars * rng.uniform(0.08, 0.25)),
        commits_over_52=commits,
        participants=[f"{handle}-dev{i}" for i in range(1, min(30, 2 + stars // 800) + 1)],
        last_updated=min(ANCHOR, released + timedelta(days=rng.randint(0, 20))),
    )
    return stats


@transaction.atomic
def load_demo_catalogue():
    """Create whatever part of the demo catalogue is missing; return what was created."""
    report = LoadReport()
    categories = {}
    for slug, title, plural, show_pypi, description in CATEGORIES:
        categories[slug], created = Category.objects.get_or_create(
            slug=slug,
            defaults={
                "title": title,
                "title_plural": plural,
                "show_pypi": show_pypi,
                "description": description,
            },
        )
        report.add("categories", created)

    packages = {}
    for rank, row in enumerate(read_packages()):
        slug = slugify(row["name"])
        stats = demo_stats(row, rank)
        package, created = Package.objects.get_or_create(
            slug=slug,
            defaults={
                "title": row["name"],
                "category": categories[CATEGORY_BY_PLURAL[row["category"]]],
                "repo_url": row["repo_url"],
                "repo_description": row["summary"],
                "pypi_url": row["pypi_name"],
                "pypi_version": row["pypi_version"] or None,
                **stats,
            },
        )
        if created:
            # save() stamps `modified` with now; the demo keeps its deterministic dates.
            Package.objects.filter(pk=package.pk).update(modified=stats["modified"])
        packages[row["pypi_name"] or slug] = package
        report.add("packages", created)

    for spec in read_grids():
        _load_grid(spec, packages, report)
    return report


def _load_grid(spec, packages, report):
    grid, created = Grid.objects.get_or_create(
        slug=spec["slug"],
        defaults={
            "title": spec["title"],
            "description": spec["description"],
            "header": spec["header"],
        },
    )
    report.add("grids", created)
    features = []
    for title in spec["features"]:
        feature, created = Feature.objects.get_or_create(grid=grid, title=title)
        features.append(feature)
        report.add("features", created)
    for name, cells in spec["rows"].items():
        grid_package, created = GridPackage.objects.get_or_create(grid=grid, package=packages[name])
        report.add("grid packages", created)
        for feature, text in zip(features, cells, strict=True):
            _, created = Element.objects.get_or_create(
                grid_package=grid_package, feature=feature, defaults={"text": text}
            )
            report.add("elements", created)
