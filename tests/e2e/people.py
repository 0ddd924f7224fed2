"""Helpers of the browser test's pages-for-people walk (tests/e2e/test_browser.py): a catalogue
of 22 packages in two categories with a grid, axe-core's check of a page, and screenshots for
docs/screenshots/."""

import datetime as dt
from pathlib import Path

DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
DESKTOP = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}


def people_catalogue():
    """22 packages (one with 12,345 stars), two categories, a featured grid with a comparison
    and releases; returns the objects the walk visits."""
    from tests.factories import (
        CategoryFactory,
        ElementFactory,
        FeatureFactory,
        GridFactory,
        GridPackageFactory,
        PackageFactory,
        VersionFactory,
    )

    apps = CategoryFactory(title="App", title_plural="Apps", slug="apps")
    tools = CategoryFactory(title="Tool", title_plural="Tools", slug="tools")
    now = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
    big = PackageFactory(
        title="django-cachalot",
        slug="django-cachalot",
        category=apps,
        repo_watchers=12345,
        repo_forks=1234,
        score=91,
        pypi_version="2.8.0",
        last_updated=now,
        commits_over_52=[(week * 7) % 5 for week in range(52)],
        repo_description="Caches your Django ORM queries and automatically invalidates them.",
    )
    VersionFactory(package=big, number="2.8.0", upload_time=now)
    VersionFactory(package=big, number="2.7.0", upload_time=now - dt.timedelta(days=90))
    others = [
        PackageFactory(
            title=f"django-tool-{n:02}",
            slug=f"django-tool-{n:02}",
            category=tools if n % 3 == 0 else apps,
            repo_watchers=40 * n,
            score=n * 3,
            last_updated=now - dt.timedelta(days=n),
            commits_over_52=[n % 4] * 52,
            repo_description=f"Tool number {n} for Django projects, with a longer description.",
        )
        for n in range(1, 22)
    ]
    grid = GridFactory(title="Caching", slug="caching", header=True, description="Cache it.")
    speed = FeatureFactory(grid=grid, title="Invalidation")
    notes = FeatureFactory(grid=grid, title="Backends")
    for package, texts in ((big, ("Yes", "Built in")), (others[0], ("Partial", "Redis only"))):
        row = GridPackageFactory(grid=grid, package=package)
        ElementFactory(grid_package=row, feature=speed, text=texts[0])
        ElementFactory(grid_package=row, feature=notes, text=texts[1])
    GridFactory(title="Admin tools", slug="admin-tools")
    return {"big": big, "apps": apps, "grid": grid, "others": others}


def serious_violations(page):
    """axe-core's serious and critical violations on `page`, one line each."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{page.url}: {v['id']} ({v['impact']}): {v['help']} "
        f"{[node['target'] for node in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def doc_shot(page, name, full_page=False):
    DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOCS_SCREENSHOTS / f"{name}.png"), full_page=full_page)
