"""The benches' catalogue: N packages and G grids, the same rows in every database it is built in.

    .venv/bin/python bench/catalogue.py --database-url URL [--packages 5000] [--grids 300]

Packages are named after the PyPI projects in ../shared/data when that file exists (else
`django-bench-N`); every other value comes from a seeded random generator and a fixed date, so
an SQLite file and a PostgreSQL database built from the same sizes hold the same catalogue.
A database whose package and grid counts already match is reused (`--rebuild` forces a new
build). Run as a script it builds in the database URL given, in a process of its own, so one
bench can fill several databases; bench/api.py does that for SQLite and PostgreSQL.
"""

import argparse
import os
import random
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAMES_TSV = ROOT.parent / "shared" / "data" / "pypi-django-packages.tsv"
# Every date in the catalogue is this far back: the same rows whenever and wherever built.
EPOCH = datetime(2026, 11, 1, tzinfo=UTC)
STAMPS = {"created": EPOCH, "modified": EPOCH}
# A slug the API's detail route takes as a slug: not all digits (an id), no dot.
_ROUTABLE = re.compile(r"^(?![0-9]+$)[a-z0-9_-]+$")
QUERIES = [
    *("rest framework", "debug toolbar", "celery", "admin", "auth", "cms", "forms", "crispy"),
    *("filter", "storages", "cors", "graphql", "cache", "tables", "import export", "taggit"),
    *("allauth", "channels", "oauth", "markdown", "search", "elasticsearch", "redis", "s3"),
    *("jwt", "select2", "tinymce", "ckeditor", "geo", "payments", "stripe", "i18n"),
    *("translation", "json field", "model utils", "extensions", "uuid", "pagination", "test"),
    "webpack",
]


def package_names(count):
    """`count` (slug, summary) pairs: the PyPI names first, then `-copyN` of them."""
    names = []
    if NAMES_TSV.exists():
        for line in NAMES_TSV.read_text().splitlines()[1:]:
            name, _version, _month, _rank, summary = (line.split("\t") + [""] * 5)[:5]
            names.append((name.lower(), summary[:300]))
    base = names or [(f"django-bench-{i}", f"Bench package {i}.") for i in range(count)]
    result, seen = [], set()
    for round_ in range(count // len(base) + 1):
        suffix = "" if round_ == 0 else f"-copy{round_}"
        for name, summary in base:
            slug = f"{name}{suffix}"[:100]
            if slug not in seen:
                seen.add(slug)
                result.append((slug, summary))
    return result[:count]


def detail_slugs(packages, count=500):
    """`count` package slugs for detail requests, the same for every database."""
    slugs = [slug for slug, _summary in package_names(packages) if _ROUTABLE.match(slug)]
    return random.Random(7).sample(slugs, min(count, len(slugs)))


def ensure_database(url):
    """Create the PostgreSQL database `url` names unless it exists (SQLite needs nothing)."""
    if not url.startswith("postgres"):
        return
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')


def build_catalogue(packages, grids, rebuild):
    """Migrate the configured database and fill it, unless it already holds this catalogue."""
    from django.core.management import call_command
    from django.db import connection

    from categories.models import Category
    from grids.models import Grid, GridPackage
    from packages.models import Package, Version

    call_command("migrate", verbosity=0)
    if not rebuild and Package.objects.count() == packages and Grid.objects.count() == grids:
        print(f"reusing the {connection.vendor} catalogue: {packages} packages, {grids} grids")
        return
    print(f"building the {connection.vendor} catalogue: {packages} packages, {grids} grids ...")
    call_command("flush", interactive=False, verbosity=0)  # the bench's own database
    categories = Category.objects.bulk_create(
        Category(title=title, slug=title.lower() + "s", title_plural=title + "s", **STAMPS)
        for title in ("App", "Framework", "Project", "Other")
    )
    rng = random.Random(42)
    Package.objects.bulk_create(
        (
            Package(
                title=name,
                slug=name[:100],
                category=categories[i % len(categories)],
                repo_url=f"https://github.com/bench/{name}",
                repo_description=summary,
                repo_watchers=int(rng.paretovariate(1.2) * 10),
                repo_forks=rng.randrange(0, 500),
                participants=[f"dev{n}" for n in range(rng.randrange(1, 25))],
                commits_over_52=[rng.randrange(0, 5) for _ in range(52)],
                last_updated=EPOCH - timedelta(days=rng.randrange(0, 3000)),
                last_fetched=EPOCH - timedelta(hours=rng.randrange(0, 500)),
                pypi_url=name,
                pypi_version=f"{rng.randrange(0, 5)}.{rng.randrange(0, 20)}.0",
                score=rng.randrange(0, 101),
                **STAMPS,
            )
            for i, (name, summary) in enumerate(package_names(packages))
        ),
        batch_size=2000,
    )
    ids = list(Package.objects.order_by("id").values_list("id", flat=True))
    Version.objects.bulk_create(
        (
            Version(package_id=pk, number="1.0.0", upload_time=EPOCH - timedelta(days=n % 900))
            for n, pk in enumerate(ids, 1)
        ),
        batch_size=5000,
    )
    grid_rows = Grid.objects.bulk_create(
        Grid(
            title=f"Grid {n} {QUERIES[n % len(QUERIES)]}",
            slug=f"grid-{n}",
            description="",
            **STAMPS,
        )
        for n in range(grids)
    )
    GridPackage.objects.bulk_create(
        (
            GridPackage(grid=grid, package_id=pk, **STAMPS)
            for grid in grid_rows
            for pk in rng.sample(ids, min(20, len(ids)))
        ),
        batch_size=5000,
    )
    from api.documents import rebuild_missing

    rebuild_missing()  # bulk_create sends no signals: the stored documents, in batches
    with connection.cursor() as cursor:
        # PostgreSQL: VACUUM too, as autovacuum soon does after a bulk insert; without the
        # visibility map a COUNT(*) reads the whole table instead of the primary key's index.
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def build_in_subprocess(url, packages, grids, rebuild=False):
    """Build (or reuse) the catalogue in the database `url` names, in a process of its own."""
    ensure_database(url)
    command = [sys.executable, __file__, "--database-url", url]
    command += ["--packages", str(packages), "--grids", str(grids)]
    env = {
        **os.environ,
        "DJANGOPACKAGES_DOTENV": "0",
        "DJANGO_SETTINGS_MODULE": "djangopackages.settings",
        "SECRET_KEY": "bench-only-catalogue-build",
        "DEBUG": "0",
        "DATABASE_URL": url,
        "REDIS_URL": "",
        "LOG_LEVEL": "WARNING",
    }
    subprocess.run([*command, *(["--rebuild"] if rebuild else [])], env=env, check=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--packages", type=int, default=5000)
    parser.add_argument("--grids", type=int, default=300)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    ensure_database(args.database_url)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "djangopackages.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-catalogue-build")
    os.environ.setdefault("DJANGOPACKAGES_DOTENV", "0")
    sys.path[:0] = [str(ROOT)]
    import django

    django.setup()
    build_catalogue(args.packages, args.grids, args.rebuild)


if __name__ == "__main__":
    main()
