"""Time the grid comparison: build_comparison + JSON for a 60 x 20 grid, against a json.dumps floor.

    .venv/bin/python bench/comparison.py [--packages 60] [--features 20] [--runs 50]

Uses a throwaway SQLite file, or, when DATABASE_URL names PostgreSQL, a throwaway test database
next to it (created and dropped here). Prints the median and p90 of build_comparison + json.dumps,
the median of json.dumps alone on the same, precomputed data (the floor), and their ratio.
Target: median under 50 ms.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=60)
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--runs", type=int, default=50)
    return parser.parse_args()


def setup_django(tmpdir):
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "djangopackages.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production-use-0123456789")
    os.environ["DJANGOPACKAGES_DOTENV"] = "0"
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{tmpdir}/bench.sqlite3")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def create_database():
    """Migrate a fresh database; returns a callable that disposes of it."""
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor == "sqlite":
        call_command("migrate", verbosity=0)
        return lambda: None
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    return lambda: connection.creation.destroy_test_db(old_name, verbosity=0)


def build_grid(packages, features):
    from categories.models import Category
    from grids.models import Element, Feature, Grid, GridPackage
    from packages.models import Package

    now = datetime.now(UTC)
    marks = ["yes", "no", "~", "", "+/-", "Yes, via a plugin", "✅", "partial", "n/a"]
    category = Category.objects.create(title="App", slug="app", title_plural="Apps")
    grid = Grid.objects.create(title="Bench grid", slug="bench-grid")
    Package.objects.bulk_create(
        Package(
            title=f"django-bench-{i}",
            slug=f"django-bench-{i}",
            category=category,
            repo_url=f"https://github.com/bench/django-bench-{i}",
            repo_watchers=(i * 137) % 5000,
            repo_forks=(i * 31) % 700,
            participants=[f"dev{n}" for n in range(i % 40)],
            commits_over_52=[(i + w) % 7 for w in range(52)],
            last_updated=now - timedelta(days=i * 9),
            pypi_url=f"django-bench-{i}",
            pypi_version=f"{i % 5}.{i % 11}.0",
            score=(i * 53) % 101,
        )
        for i in range(packages)
    )
    package_rows = list(Package.objects.order_by("id"))
    GridPackage.objects.bulk_create(GridPackage(grid=grid, package=p) for p in package_rows)
    Feature.objects.bulk_create(
        Feature(grid=grid, title=f"Feature {j}", description=f"Does it do thing {j}?")
        for j in range(features)
    )
    grid_packages = list(GridPackage.objects.filter(grid=grid).order_by("id"))
    feature_rows = list(Feature.objects.filter(grid=grid).order_by("id"))
    Element.objects.bulk_create(
        Element(grid_package=gp, feature=f, text=marks[(i * 7 + j) % len(marks)])
        for i, gp in enumerate(grid_packages)
        for j, f in enumerate(feature_rows)
    )
    return grid


def time_runs(function, runs):
    for _ in range(3):
        function()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def main():
    args = parse_args()
    with tempfile.TemporaryDirectory() as tmpdir:
        setup_django(tmpdir)
        from django.core.serializers.json import DjangoJSONEncoder
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from grids.comparison import build_comparison
        from grids.models import Grid

        dispose = create_database()
        try:
            grid = build_grid(args.packages, args.features)
            grid = Grid.objects.get(pk=grid.pk)
            precomputed = build_comparison(grid)
            body_size = len(json.dumps(precomputed, cls=DjangoJSONEncoder))
            with CaptureQueriesContext(connection) as queries:
                build_comparison(grid)

            ours = time_runs(
                lambda: json.dumps(build_comparison(grid), cls=DjangoJSONEncoder), args.runs
            )
            floor = time_runs(lambda: json.dumps(precomputed, cls=DjangoJSONEncoder), args.runs)
        finally:
            dispose()

    ours_median = statistics.median(ours)
    floor_median = statistics.median(floor)
    p90 = statistics.quantiles(ours, n=10)[-1] if len(ours) > 1 else ours[0]
    print(
        f"grid {args.packages} packages x {args.features} features on {connection.vendor}, "
        f"{args.runs} runs, {body_size} bytes of JSON, {len(queries)} queries"
    )
    print(f"build_comparison + json.dumps: median {ours_median:.2f} ms, p90 {p90:.2f} ms")
    print(f"floor (json.dumps of the precomputed dict): median {floor_median:.2f} ms")
    print(f"ratio ours/floor: {ours_median / floor_median:.1f}x")
    verdict = "OK" if ours_median < 50 else "OVER"
    print(f"target median < 50 ms: {verdict}")


if __name__ == "__main__":
    main()
