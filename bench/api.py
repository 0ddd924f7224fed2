"""Load-test the read API with wrk in two set-ups, each next to its own floor, in one run.

    .venv/bin/python bench/api.py [--packages 5000] [--grids 300] [--duration 5] [--rounds 3]

The set-ups (`--setups`, both by default):
- embedded: the default a fresh checkout serves. SQLite, no REDIS_URL, DEBUG=1 (what the
  `.env` of `make run` says), served the way `make run` serves it: `manage.py serve --
  gunicorn djangopackages.wsgi --workers 2 --access-logfile -` (sync workers, gunicorn.conf.py,
  and the task worker beside it);
- production: PostgreSQL (`--database-url`) and Redis (`--redis-url`), DEBUG off, static files
  collected, gunicorn started as the Docker image starts it (sync workers, access log).
Both serve the same catalogue (bench/catalogue.py: N packages, G grids, built once into an
SQLite file under bench/out/ and the PostgreSQL database, reused while the sizes match) with a
bench-only URLconf that adds the floor: a bare Django view returning a precomputed body of
the same size as the endpoint's, through the same middleware and gunicorn, and driven by the
same kind of wrk script (wrk runs on the same cores, and a script costs it CPU). Throttles are
raised (one loopback client stands in for many users) but still counted.

Endpoints: package list (20 per page, rotating over pages), package detail (500 slugs), grid
list (every page) and search (40 queries). Each is measured "cached" (every URL fetched
before, then a warm-up run: a detail or list page comes from each worker's read cache,
api/read_cache.py) and "uncached" (a query string no other request has: the read cache misses,
and the answer is read from the stored documents, api/reads.py). Floor, cached and uncached
runs are interleaved for `--rounds` rounds; the table gives the medians of req/s and p50/p99
latency and the share of the floor, then each issue #23 target with its measured value. Needs
wrk (`apt-get install -y wrk`), PostgreSQL and Redis.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The repository root first: `bench.*`, and the project's `api` app before this file.
sys.path.insert(0, str(ROOT))

from bench.catalogue import (  # noqa: E402  (older imports from bench/api.py keep working)
    QUERIES,
    build_catalogue,
    build_in_subprocess,
    detail_slugs,
    ensure_database,
    package_names,
)
from bench.harness import (  # noqa: E402
    BIN,
    fetch,
    gunicorn_command,
    load_average,
    median_run,
    parse_wrk,
    run_wrk,
    start_gunicorn,
    start_server,
    stop_server,
    wrk_script,
)
from bench.report import print_table, print_targets  # noqa: E402

SITE = Path(__file__).resolve().parent / "api_site"
OUT = Path(__file__).resolve().parent / "out"
SETUPS = ("embedded", "production")
ENDPOINTS = ("package-list", "package-detail", "grid-list", "search")
RUNS = ("floor", "cached", "uncached")
# What other benches import from here.
__all__ = [
    "QUERIES",
    "build_catalogue",
    "ensure_database",
    "package_names",
    "fetch",
    "parse_wrk",
    "median_run",
    "run_wrk",
    "start_gunicorn",
    "wrk_script",
    "bench_env",
    "setup_django",
]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=5000)
    parser.add_argument("--grids", type=int, default=300)
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run (5)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of cached warm-up (2)")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (make run's 2)")
    parser.add_argument("--port", type=int, default=8765, help="embedded; production +1")
    parser.add_argument(
        "--setups", default=",".join(SETUPS), help="comma-separated: embedded,production"
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/djangopackages_bench"
        ),
        help="production's PostgreSQL database (created if missing, flushed on a rebuild)",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15"),
        help="production's Redis (keys under the prefix bench-api are cleared first)",
    )
    parser.add_argument("--sqlite-path", type=Path, help="embedded's file (under bench/out/)")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the catalogues")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (medians)")
    args = parser.parse_args(argv)
    args.setups = [s.strip() for s in args.setups.split(",") if s.strip()]
    if unknown := set(args.setups) - set(SETUPS):
        parser.error(f"unknown set-up(s): {', '.join(sorted(unknown))}")
    if args.sqlite_path is None:
        args.sqlite_path = OUT / f"api-{args.packages}-packages-{args.grids}-grids.sqlite3"
    return args


def _common_env(floor_dir):
    return {
        **{k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DATABASE_URL"}},
        "DJANGO_SETTINGS_MODULE": "bench_api_settings",
        "PYTHONPATH": os.pathsep.join([str(SITE), str(ROOT)]),
        "DJANGOPACKAGES_DOTENV": "0",  # a developer's .env must not change the set-up
        "BENCH_FLOOR_DIR": str(floor_dir),
        "THROTTLE_ANON": "100000000/min",
        "THROTTLE_USER": "100000000/min",
    }


def bench_env(args, floor_dir=""):
    """The production set-up's environment (also what bench/load.py serves)."""
    return {
        **_common_env(floor_dir),
        "SECRET_KEY": "bench-only-secret-key-not-for-production-use-0123456789",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",  # plain http on loopback; TLS is the proxy's
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "CACHE_KEY_PREFIX": "bench-api",
    }


def embedded_env(args, floor_dir):
    """The embedded default: what a fresh `make run` has (its .env: a SECRET_KEY, DEBUG=1)."""
    return {
        **_common_env(floor_dir),
        "SECRET_KEY": "bench-only-development-secret-key-0123456789-abcdefghij",
        "DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{args.sqlite_path}",
    }


def setup_django(env):
    """Configure Django in this process with `env` (for benches that query in-process)."""
    os.environ.update(env)
    sys.path[:0] = [str(SITE), str(ROOT)]
    import django

    django.setup()


def clear_redis(url, prefix="bench-api"):
    """Drop the production set-up's keys: its throttles start empty."""
    import redis

    client = redis.Redis.from_url(url)
    for key in client.scan_iter(match=f"{prefix}*", count=1000):
        client.delete(key)


def server_for(setup, args, floor_dir):
    """(environment, command, port) of one set-up's server; production collects static first."""
    if setup == "embedded":
        env, port = embedded_env(args, floor_dir), args.port
        command = [str(BIN / "python"), "manage.py", "serve", "--"]
        return env, command + gunicorn_command(port, args.workers), port
    env, port = bench_env(args, floor_dir), args.port + 1
    subprocess.run(
        [str(BIN / "python"), "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    clear_redis(args.redis_url)
    return env, gunicorn_command(port, args.workers), port


def rotations(args):
    """The URLs each endpoint rotates over."""
    return {
        "package-list": [
            f"/api/v4/packages/?offset={20 * n}"
            for n in range(max(1, min(50, args.packages // 20)))
        ],
        "package-detail": [f"/api/v4/packages/{slug}/" for slug in detail_slugs(args.packages)],
        "grid-list": [
            f"/api/v4/grids/?offset={20 * n}" for n in range(max(1, -(-args.grids // 20)))
        ],
        "search": [f"/api/v4/search/?q={q.replace(' ', '+')}" for q in QUERIES],
    }


def warm_up(args, base, urls, tmpdir):
    """Put every URL in every worker's cache: fetch each as many times at once as there are
    workers (a busy sync worker accepts nothing, so the others take the copies), twice over,
    then a short cached run of each endpoint."""
    with ThreadPoolExecutor(max_workers=args.workers) as pool:
        for _pass in range(2):
            for name in ENDPOINTS:
                for path in urls[name]:
                    list(pool.map(fetch, [base + path] * args.workers))
    warm = argparse.Namespace(**{**vars(args), "duration": args.warmup})
    for name in ENDPOINTS if args.warmup else ():
        run_wrk(warm, base, wrk_script(tmpdir, name, urls[name], cold=False))


def measure(setup, args, urls, tmpdir):
    """Serve one set-up and run its rounds: {endpoint: {"size", run: median}}."""
    floor_dir = tmpdir / setup
    floor_dir.mkdir()
    env, command, port = server_for(setup, args, floor_dir)
    base = f"http://127.0.0.1:{port}"
    server = start_server(command, env, port, log=tmpdir / f"{setup}.log")
    runs = {name: {run: [] for run in RUNS} for name in ENDPOINTS}
    try:
        for name in ENDPOINTS:
            (floor_dir / f"{name}.json").write_bytes(fetch(base + urls[name][0]))
        warm_up(args, base, urls, tmpdir)
        for round_ in range(args.rounds):
            for name in ENDPOINTS:
                # Through the same kind of wrk script as the endpoint's runs: a script's
                # request() costs wrk CPU of its own, on the cores the server uses.
                floor = wrk_script(tmpdir, f"{name}-floor", [f"/bench/floor/{name}/"], cold=False)
                runs[name]["floor"].append(run_wrk(args, base, floor))
                for run in ("cached", "uncached"):
                    script = wrk_script(tmpdir, name, urls[name], cold=run == "uncached")
                    runs[name][run].append(run_wrk(args, base, script))
            print(f"  {setup}: round {round_ + 1} of {args.rounds} done", flush=True)
    finally:
        stop_server(server)
    return {
        name: {
            "size": (floor_dir / f"{name}.json").stat().st_size,
            **{run: median_run(runs[name][run]) for run in RUNS},
        }
        for name in ENDPOINTS
    }


def main(argv=None):
    args = parse_args(argv)
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    print(f"load average at start: {load_average()}", flush=True)
    if "embedded" in args.setups:
        args.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        build_in_subprocess(
            f"sqlite:///{args.sqlite_path}", args.packages, args.grids, args.rebuild
        )
    if "production" in args.setups:
        build_in_subprocess(args.database_url, args.packages, args.grids, args.rebuild)
    urls = rotations(args)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for setup in args.setups:
            results[setup] = measure(setup, args, urls, Path(tmp))
    print()
    print(
        f"{args.packages} packages, {args.grids} grids; gunicorn {args.workers} sync workers; "
        f"wrk 2 threads, {args.connections} connections, {args.duration} s per run, medians of "
        f"{args.rounds} interleaved rounds; {os.cpu_count()} CPUs shared by all processes; "
        f"load average at the end: {load_average()}"
    )
    print_table(results)
    print_targets(results)


if __name__ == "__main__":
    main()
