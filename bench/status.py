"""`GET /api/v4/status/` at catalogue scale: `python bench/status.py [--packages 50000]`.

Builds (or reuses) the benches' catalogue (bench/catalogue.py) in the database `--database-url`
names (default: a throwaway SQLite file under bench/out/; a PostgreSQL database given here is
flushed), gives every package a fetch state for github, pypi and pypistats (successes spread
over 30 days, 3% failing by one of four reasons) and a few hundred queued refreshes, then:

- times `fetch_status()` in-process, uncached (median and max of --rounds), and counts its
  queries;
- serves the catalogue with gunicorn (`--workers` 2 x `--threads` 4, no Redis) and runs wrk
  (`--connections` 8, `--duration` s) on /api/v4/status/ twice: uncached
  (STATUS_CACHE_SECONDS=0: every request aggregates) and as deployed (the default 5 s cache),
  next to a floor (a view returning the same bytes through the same stack); medians of --runs
  interleaved runs.

Figures only: nothing is asserted. docs/performance.md records a run.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import types
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
REASONS = ("http_500", "not_found", "connection", "rate_limited")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=50000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--port", type=int, default=18350)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3, help="wrk runs per figure (medians)")
    parser.add_argument("--no-wrk", action="store_true")
    return parser.parse_args()


def fill_states(packages):
    """A fetch state per package for github, pypi and pypistats, and some queued refreshes;
    reused when the counts already match."""
    from django.db import connection
    from django.utils import timezone

    from packages.fetch.models import FetchState, PackageFetchState, SourceRun
    from packages.models import Package

    if FetchState.objects.count() == 3 * packages:
        print(f"reusing {3 * packages} fetch states")
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
        return
    FetchState.objects.all().delete()
    PackageFetchState.objects.all().delete()
    rng = random.Random(25)
    now = timezone.now()
    ids = list(Package.objects.order_by("id").values_list("id", flat=True))
    rows = []
    for pk in ids:
        for source in ("github", "pypi", "pypistats"):
            ago = timedelta(hours=rng.expovariate(1 / 30) % 720)
            failing = rng.random() < 0.03
            rows.append(
                FetchState(
                    package_id=pk,
                    source=source,
                    fetched_at=now - ago / 2 if failing else now - ago,
                    outcome="failed" if failing else rng.choice(("fetched", "unchanged")),
                    reason=rng.choice(REASONS) if failing else "",
                    succeeded_at=now - ago,
                    next_due=now - ago + timedelta(hours=24),
                )
            )
    FetchState.objects.bulk_create(rows, batch_size=5000)
    PackageFetchState.objects.bulk_create(
        PackageFetchState(package_id=pk, state="queued", queued_at=now - timedelta(seconds=n))
        for n, pk in enumerate(rng.sample(ids, min(300, len(ids))))
    )
    for source in ("github", "gitlab", "bitbucket", "codeberg", "pypi", "pypistats"):
        SourceRun.objects.update_or_create(
            source=source, defaults={"started_at": now, "finished_at": now}
        )
    with connection.cursor() as cursor:  # as autovacuum leaves a table: index-only scans work
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    print(f"filled {len(rows)} fetch states")


def time_in_process(rounds):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from packages.fetch.status import fetch_status

    with CaptureQueriesContext(connection) as queries:
        fetch_status()
    times = []
    for _ in range(rounds):
        began = time.perf_counter()
        fetch_status()
        times.append((time.perf_counter() - began) * 1000)
    print(
        f"fetch_status() in-process, uncached: median {statistics.median(times):.1f} ms, "
        f"max {max(times):.1f} ms over {rounds} rounds, {len(queries)} queries"
    )


def measure_with_wrk(args, database_url):
    from bench.api import bench_env
    from bench.harness import fetch, median_run, run_wrk, start_gunicorn, stop_server

    options = types.SimpleNamespace(
        database_url=database_url,
        redis_url="",
        port=args.port,
        workers=args.workers,
        threads=args.threads,
        connections=args.connections,
        duration=args.duration,
    )
    print(
        f"wrk -c{args.connections}, {args.duration} s, gunicorn {args.workers} workers x "
        f"{args.threads} threads, no Redis; load average {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} CPUs"
    )
    for label, seconds in (("uncached (STATUS_CACHE_SECONDS=0)", "0"), ("cached (5 s)", "5")):
        with tempfile.TemporaryDirectory() as tmp:
            env = {**bench_env(options, tmp), "STATUS_CACHE_SECONDS": seconds}
            gunicorn = start_gunicorn(options, env)
            try:
                base = f"http://127.0.0.1:{options.port}"
                for _ in range(4 * args.workers * args.threads):  # every worker's cache warm
                    body = fetch(f"{base}/api/v4/status/")
                (Path(tmp) / "status.json").write_bytes(body)
                floors, results = [], []
                for _ in range(args.runs):  # interleaved, medians: one slow moment decides nothing
                    floors.append(run_wrk(options, base, path="/bench/floor/status/"))
                    results.append(run_wrk(options, base, path="/api/v4/status/"))
                floor, result = median_run(floors), median_run(results)
                print(
                    f"  {label:34} {result['rps']:7.0f} req/s  p50 {result['p50']:7.2f} ms"
                    f"  p99 {result['p99']:7.2f} ms  errors {result['errors']}"
                    f"  (floor: p99 {floor['p99']:.2f} ms, {len(body)} bytes)"
                )
            finally:
                stop_server(gunicorn)


def main():
    args = parse_args()
    sys.path[:0] = [str(ROOT)]
    from bench.api import bench_env, setup_django
    from bench.catalogue import build_in_subprocess

    OUT.mkdir(exist_ok=True)
    url = args.database_url or f"sqlite:///{OUT / f'status-{args.packages}.sqlite3'}"
    build_in_subprocess(url, args.packages, grids=10)
    options = types.SimpleNamespace(database_url=url, redis_url="")
    setup_django({**bench_env(options), "STATUS_CACHE_SECONDS": "0"})
    fill_states(args.packages)
    time_in_process(args.rounds)
    if not args.no_wrk:
        measure_with_wrk(args, url)


if __name__ == "__main__":
    main()
