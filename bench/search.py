"""Search and import at catalogue scale: `python bench/search.py [--packages 50000]`.

Builds a synthetic API v4 bundle (N packages with plausible names, descriptions and stars,
one category, a few grids), imports it with `import_catalogue`'s own `import_bundle` into the
database DATABASE_URL names (default: a throwaway SQLite file; give PostgreSQL a database of
its own, e.g. postgres://postgres@127.0.0.1:5432/dp_perf_bench: it is flushed), prints the
import time, then times uncached in-process searches (medians and p99 of --rounds each) for a
word nearly every package has, two words, a prefix and a misspelling. Figures only: nothing
is asserted.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUERIES = ["django", "rest framework", "widg", "djnago widget"]
WORDS = [
    "rest",
    "framework",
    "widget",
    "admin",
    "forms",
    "cache",
    "auth",
    "api",
    "celery",
    "storage",
    "search",
    "tags",
]


def build_bundle(count, rng):
    packages = []
    for pk in range(1, count + 1):
        words = rng.sample(WORDS, 2)
        slug = f"django-{words[0]}-{words[1]}-{pk}"
        packages.append(
            {
                "id": pk,
                "title": slug,
                "slug": slug,
                "category": 1,
                "repo_url": f"https://github.com/bench/{slug}",
                "repo_description": f"Django {words[0]} {words[1]} tools, release {pk % 7}.",
                "repo_watchers": int(rng.paretovariate(1.2) * 10),
                "repo_forks": rng.randint(0, 300),
                "participants": ["bench"],
                "commits_over_52": [pk % 5] * 52,
                "grids": [],
            }
        )
    packages[rng.randrange(count)]["slug"] = "djangorestframework"
    grids = [
        {"id": g, "title": f"Grid {g}", "slug": f"grid-{g}", "packages": list(range(g, count, 97))}
        for g in range(1, 11)
    ]
    category = {"id": 1, "title": "Apps", "slug": "apps", "title_plural": "Apps"}
    return {"categories": [category], "packages": packages, "grids": grids}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        db = Path(tempfile.mkdtemp()) / "bench.sqlite3"
        os.environ["DATABASE_URL"] = f"sqlite:///{db}"
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ.setdefault("DJANGOPACKAGES_DOTENV", "0")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "djangopackages.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from grids import search
    from grids.importer import import_bundle

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    bundle = build_bundle(args.packages, random.Random(13))
    started = time.perf_counter()
    report = import_bundle(bundle)
    seconds = time.perf_counter() - started
    print(
        f"{connection.vendor}: imported {report.created['packages']:,} packages, "
        f"{len(report.skipped)} skipped, in {seconds:.1f} s"
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    for query in QUERIES:
        times = []
        for _ in range(args.rounds):
            started = time.perf_counter()
            hits = search.search(query)
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
        first = hits[0].slug if hits else "-"
        print(
            f"  search {query!r:18} median {statistics.median(times):6.1f} ms  "
            f"p99 {p99:6.1f} ms  ({len(hits)} hits, first {first})"
        )


if __name__ == "__main__":
    main()
