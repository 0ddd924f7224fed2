"""Search and import at catalogue scale: `python bench/search.py [--packages 50000]`.

Builds a synthetic API v4 bundle (N packages with plausible names, descriptions and stars,
one category, a few grids), imports it with `import_catalogue`'s own `import_bundle` into the
database DATABASE_URL names (default: a throwaway SQLite file; give PostgreSQL a database of
its own, e.g. postgres://postgres@127.0.0.1:5432/dp_search_bench: it is flushed), prints the
import time (`--reuse` skips the import when the database already holds N packages), then
times uncached in-process searches (medians and p99 of --rounds each) for a word nearly every
package has, two words, a prefix and a misspelling.

It then serves the catalogue with gunicorn as deployed (`--workers` 2 sync workers, as `make
run`, the image and bench/api.py serve; `--threads` N > 1 tries gthread workers): on
PostgreSQL the production settings (as bench/api.py sets them up, Redis db `--redis-url`), on
SQLite the embedded default (no Redis), and runs wrk (`--connections` 8, `--duration` s) per
query, a unique query string on every request so no response comes from the cache, printing
p50/p99 and whether p99 meets the target (< 30 ms on PostgreSQL, < 50 ms on SQLite), next to
a floor (a view returning the same bytes through the same stack). `--no-wrk` skips it.
Figures only: nothing is asserted.
"""

import argparse
import os
import random
import socket
import statistics
import sys
import tempfile
import time
import types
from pathlib import Path
from urllib.parse import quote_plus

ROOT = Path(__file__).resolve().parent.parent
QUERIES = ["django", "rest framework", "widg", "djnago widget"]
TARGET_P99_MS = {"postgresql": 30, "sqlite": 50}
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


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--reuse", action="store_true", help="keep a catalogue of this size")
    parser.add_argument("--no-wrk", action="store_true", help="in-process timings only")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument(
        "--threads", type=int, default=1, help="threads per gunicorn worker (1: sync, as deployed)"
    )
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    parser.add_argument(
        "--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/6")
    )
    return parser.parse_args()


def import_catalogue(count, *, reuse):
    from django.core.management import call_command
    from django.db import connection

    from catalogue.importer import import_bundle
    from packages.models import Package

    call_command("migrate", verbosity=0)
    if reuse and Package.objects.count() == count:
        print(f"{connection.vendor}: reusing the catalogue of {count:,} packages")
    else:
        call_command("flush", interactive=False, verbosity=0)
        bundle = build_bundle(count, random.Random(13))
        started = time.perf_counter()
        report = import_bundle(bundle)
        seconds = time.perf_counter() - started
        print(
            f"{connection.vendor}: imported {report.created['packages']:,} packages, "
            f"{len(report.skipped)} skipped, in {seconds:.1f} s"
        )
    if connection.vendor == "postgresql":
        # What autovacuum does within a minute of an import this size: the statistics, and
        # the pages marked all-visible (index-only scans read no table page for those).
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def time_in_process(rounds):
    import search

    for query in QUERIES:
        times = []
        for _ in range(rounds):
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


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def measure_with_wrk(args, database_url, vendor):
    from bench.api import bench_env, embedded_env
    from bench.harness import fetch, run_wrk, start_gunicorn, stop_server, wrk_script

    options = types.SimpleNamespace(
        database_url=database_url,
        sqlite_path=database_url.removeprefix("sqlite:///"),
        redis_url=args.redis_url,
        port=args.port or _free_port(),
        workers=args.workers,
        threads=args.threads,
        connections=args.connections,
        duration=args.duration,
    )
    target = TARGET_P99_MS[vendor]
    set_up = "production (Redis)" if vendor == "postgresql" else "embedded (no Redis)"
    print(
        f"wrk -c{args.connections}, {args.duration} s per query, gunicorn {args.workers} "
        f"workers x {args.threads} threads, {set_up}, a unique query string per request "
        f"(no cache hit); load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    with tempfile.TemporaryDirectory() as tmp:
        if vendor == "postgresql":
            env = {**bench_env(options, tmp), "CACHE_KEY_PREFIX": "bench-search"}
        else:
            env = embedded_env(options, tmp)
        gunicorn = start_gunicorn(options, env)
        try:
            base = f"http://127.0.0.1:{options.port}"
            # The floor: the same body from a view that does nothing, through the same stack
            # and workers, so a loaded machine shows in its figures too.
            body = fetch(f"{base}/api/v4/search/?q={quote_plus(QUERIES[0])}")
            (Path(tmp) / "search.json").write_bytes(body)
            floor_script = wrk_script(Path(tmp), "floor", ["/bench/floor/search/"], cold=True)
            floor = run_wrk(options, base, floor_script)
            print(
                f"  wrk {'floor':18} {floor['rps']:7.0f} req/s  p50 {floor['p50']:6.2f} ms"
                f"  p99 {floor['p99']:6.2f} ms  (a view returning the same {len(body)} bytes)"
            )
            for n, query in enumerate(QUERIES):
                path = f"/api/v4/search/?q={quote_plus(query)}"
                fetch(base + path)  # warm the workers
                script = wrk_script(Path(tmp), f"search-{n}", [path], cold=True)
                result = run_wrk(options, base, script)
                verdict = "met" if result["p99"] < target else "NOT met"
                errors = f"  errors {result['errors']}" if result["errors"] else ""
                print(
                    f"  wrk {query!r:18} {result['rps']:7.0f} req/s  p50 {result['p50']:6.2f} ms"
                    f"  p99 {result['p99']:6.2f} ms  (< {target} ms: {verdict}){errors}"
                )
        finally:
            stop_server(gunicorn)


def main():
    args = parse_args()
    if not os.environ.get("DATABASE_URL"):
        db = Path(tempfile.mkdtemp()) / "bench.sqlite3"
        os.environ["DATABASE_URL"] = f"sqlite:///{db}"
    database_url = os.environ["DATABASE_URL"]
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ.setdefault("DJANGOPACKAGES_DOTENV", "0")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "djangopackages.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection

    import_catalogue(args.packages, reuse=args.reuse)
    time_in_process(args.rounds)
    if not args.no_wrk:
        vendor = connection.vendor
        connection.close()
        measure_with_wrk(args, database_url, vendor)


if __name__ == "__main__":
    main()
