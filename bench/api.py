"""Load-test the read API with wrk against gunicorn on PostgreSQL, next to a trivial-view floor.

    .venv/bin/python bench/api.py [--packages 5000] [--grids 300] [--duration 5] [--rounds 3]

Builds (once; reused while the sizes match) a catalogue of N packages, named after the PyPI
projects in ../shared/data when that file exists, and 300 grids of 20 packages in its own
PostgreSQL database (`--database-url`, default djangopackages_bench), starts gunicorn with
the production settings plus a bench-only floor view, and runs wrk on loopback against:
package list (20 per page), package detail by slug, grid detail and search, each rotating
over many URLs. Each is measured "warm" (the Redis response cache as in production) and
"cold" (a unique query string per request, so every request queries and serializes).
The floor is a Django view returning a precomputed body of the same size through the same
middleware and workers. Floor, warm and cold runs are interleaved for `--rounds` rounds (3);
prints the medians of req/s, p50 and p99 latency, and the ratio ours/floor.
Targets: package detail and list >= 50 % of the floor; search p99 < 50 ms at 50,000 packages.
Needs wrk (`apt-get install -y wrk`), PostgreSQL and Redis.
"""

import argparse
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SITE = Path(__file__).resolve().parent / "api_site"
NAMES_TSV = ROOT.parent / "shared" / "data" / "pypi-django-packages.tsv"
QUERIES = [
    "rest framework",
    "debug toolbar",
    "celery",
    "admin",
    "auth",
    "cms",
    "forms",
    "crispy",
    "filter",
    "storages",
    "cors",
    "graphql",
    "cache",
    "tables",
    "import export",
    "taggit",
    "allauth",
    "channels",
    "oauth",
    "markdown",
    "search",
    "elasticsearch",
    "redis",
    "s3",
    "jwt",
    "select2",
    "tinymce",
    "ckeditor",
    "geo",
    "payments",
    "stripe",
    "i18n",
    "translation",
    "json field",
    "model utils",
    "extensions",
    "uuid",
    "pagination",
    "test",
    "webpack",
]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=5000)
    parser.add_argument("--grids", type=int, default=300)
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/djangopackages_bench"
        ),
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
    )
    parser.add_argument("--rebuild", action="store_true", help="rebuild the catalogue")
    parser.add_argument(
        "--rounds", type=int, default=3, help="interleaved floor/warm/cold rounds (medians)"
    )
    return parser.parse_args()


def bench_env(args):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench_api_settings",
        "PYTHONPATH": os.pathsep.join([str(SITE), str(ROOT)]),
        "DJANGOPACKAGES_DOTENV": "0",
        "SECRET_KEY": "bench-only-secret-key-not-for-production-use-0123456789",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "CACHE_KEY_PREFIX": "bench-api",
        "API_CACHE_SECONDS": "300",
        # One loopback client stands in for many users: production throttles would refuse it.
        "THROTTLE_ANON": "100000000/min",
        "THROTTLE_USER": "100000000/min",
        "LOG_LEVEL": "WARNING",
    }
    return env


def setup_django(env):
    os.environ.update(env)
    sys.path[:0] = [str(SITE), str(ROOT)]
    import django

    django.setup()


def ensure_database(url):
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')


def package_names(count):
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


def build_catalogue(packages, grids, rebuild):
    from django.core.management import call_command
    from django.db import connection

    from categories.models import Category
    from grids.models import Grid, GridPackage
    from packages.models import Package, Version

    call_command("migrate", verbosity=0)
    if not rebuild and Package.objects.count() == packages and Grid.objects.count() == grids:
        print(f"reusing the catalogue: {packages} packages, {grids} grids")
        return
    print(f"building the catalogue: {packages} packages, {grids} grids ...", flush=True)
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE grids_element, grids_feature, grids_gridpackage, grids_grid, "
            "packages_version, packages_package, categories_category RESTART IDENTITY CASCADE"
        )
    categories = Category.objects.bulk_create(
        Category(title=title, slug=title.lower() + "s", title_plural=title + "s")
        for title in ("App", "Framework", "Project", "Other")
    )
    rng = random.Random(42)
    now = datetime.now(UTC)
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
                last_updated=now - timedelta(days=rng.randrange(0, 3000)),
                last_fetched=now - timedelta(hours=rng.randrange(0, 500)),
                pypi_url=name,
                pypi_version=f"{rng.randrange(0, 5)}.{rng.randrange(0, 20)}.0",
                score=rng.randrange(0, 101),
            )
            for i, (name, summary) in enumerate(package_names(packages))
        ),
        batch_size=2000,
    )
    ids = list(Package.objects.values_list("id", flat=True))
    Version.objects.bulk_create(
        (
            Version(package_id=pk, number="1.0.0", upload_time=now - timedelta(days=pk % 900))
            for pk in ids
        ),
        batch_size=5000,
    )
    grid_rows = Grid.objects.bulk_create(
        Grid(title=f"Grid {n} {QUERIES[n % len(QUERIES)]}", slug=f"grid-{n}", description="")
        for n in range(grids)
    )
    GridPackage.objects.bulk_create(
        (
            GridPackage(grid=grid, package_id=pk)
            for grid in grid_rows
            for pk in rng.sample(ids, min(20, len(ids)))
        ),
        batch_size=5000,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def start_gunicorn(args, env):
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "djangopackages.wsgi:application",
        "--bind",
        f"127.0.0.1:{args.port}",
        "--workers",
        str(args.workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(args.threads),
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{args.port}/healthz", timeout=2):
                return process
        except OSError:
            time.sleep(0.3)
    process.terminate()
    raise SystemExit("gunicorn did not answer /healthz within 30 s")


def fetch(url):
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read()


def wrk_script(directory, name, paths, cold):
    """A wrk Lua script that rotates over `paths`; `cold` adds a unique query string each time."""
    quoted = ",\n".join(json.dumps(p) for p in paths)
    script = directory / f"{name}-{'cold' if cold else 'warm'}.lua"
    script.write_text(
        f"local paths = {{\n{quoted}\n}}\n"
        "local i = math.random(#paths)\n"
        "request = function()\n"
        "  i = i % #paths + 1\n"
        "  local p = paths[i]\n"
        + (
            '  local sep = string.find(p, "?", 1, true) and "&" or "?"\n'
            '  p = p .. sep .. "nonce=" .. math.random(1, 2000000000) .. "-" .. i\n'
            if cold
            else ""
        )
        + '  return wrk.format("GET", p)\n'
        "end\n"
    )
    return script


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def run_wrk(args, base, script=None, path="/"):
    command = [
        "wrk",
        "--latency",
        "-t2",
        f"-c{args.connections}",
        f"-d{args.duration}s",
        "--timeout",
        "5s",
    ]
    if script:
        command += ["-s", str(script)]
    output = subprocess.run(
        [*command, base + path], capture_output=True, text=True, check=True
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    latency = {
        int(p): float(v) * _UNITS[u]
        for p, v, u in re.findall(r"^\s+(\d+)%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.M)
    }
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    return {
        "rps": rate,
        "p50": latency.get(50),
        "p99": latency.get(99),
        "errors": int(errors.group(1)) if errors else 0,
        "socket": socket_errors.group(1) if socket_errors else "",
    }


def median_run(results):
    """The median of each figure over several wrk runs (errors are summed)."""
    return {
        "rps": statistics.median(r["rps"] for r in results),
        "p50": statistics.median(r["p50"] for r in results),
        "p99": statistics.median(r["p99"] for r in results),
        "errors": sum(r["errors"] for r in results),
        "socket": "; ".join(r["socket"] for r in results if r["socket"]),
    }


def main():
    args = parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    env = bench_env(args)
    ensure_database(args.database_url)
    setup_django(env)
    build_catalogue(args.packages, args.grids, args.rebuild)

    from django.core.cache import cache

    from grids.models import Grid
    from packages.models import Package

    cache.clear()  # the bench's own Redis database: start cold, keyed to nothing stale
    slugs = list(Package.objects.order_by("?").values_list("slug", flat=True)[:500])
    grid_slugs = list(Grid.objects.values_list("slug", flat=True))
    pages = max(1, min(50, args.packages // 20))
    rotations = {
        "package-list": [f"/api/v4/packages/?offset={20 * n}" for n in range(pages)],
        "package-detail": [f"/api/v4/packages/{slug}/" for slug in slugs],
        "grid-detail": [f"/api/v4/grids/{slug}/" for slug in grid_slugs],
        "search": [f"/api/v4/search/?q={q.replace(' ', '+')}" for q in QUERIES],
    }
    base = f"http://127.0.0.1:{args.port}"

    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        env["BENCH_FLOOR_DIR"] = str(tmpdir)
        gunicorn = start_gunicorn(args, env)
        try:
            for name, paths in rotations.items():
                (tmpdir / f"{name}.json").write_bytes(fetch(base + paths[0]))
                for path in paths:  # "warm" means every rotated URL has been served once
                    fetch(base + path)
            rows = []
            for name, paths in rotations.items():
                size = (tmpdir / f"{name}.json").stat().st_size
                runs = {"floor": [], "warm": [], "cold": []}
                # Interleaved rounds, medians reported: one slow moment on a shared machine
                # must not decide a ratio.
                for _round in range(args.rounds):
                    runs["floor"].append(run_wrk(args, base, path=f"/bench/floor/{name}/"))
                    for label in ("warm", "cold"):
                        script = wrk_script(tmpdir, name, paths, cold=label == "cold")
                        runs[label].append(run_wrk(args, base, script))
                floor, warm, cold = (median_run(runs[label]) for label in ("floor", "warm", "cold"))
                rows.append((name, size, floor, warm, cold))
                print(f"  measured {name}", flush=True)
        finally:
            gunicorn.send_signal(signal.SIGTERM)
            gunicorn.wait(timeout=30)

    print()
    print(
        f"{args.packages} packages, {args.grids} grids; gunicorn {args.workers} workers x "
        f"{args.threads} threads (gthread); wrk 2 threads, {args.connections} connections, "
        f"{args.duration} s per run, medians of {args.rounds} interleaved rounds; "
        f"{os.cpu_count()} CPUs shared by all processes"
    )
    header = f"{'endpoint':<16}{'body':>8}  {'run':<6}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
    print(header + f"{'vs floor':>10}  errors")
    for name, size, floor, warm, cold in rows:
        for label, result in (("floor", floor), ("warm", warm), ("cold", cold)):
            ratio = "" if label == "floor" else f"{result['rps'] / floor['rps']:.0%}"
            errors = result["errors"] or ""
            if result["socket"]:
                errors = f"{errors} socket: {result['socket']}".strip()
            print(
                f"{name if label == 'floor' else '':<16}{size if label == 'floor' else '':>8}  "
                f"{label:<6}{result['rps']:>9.0f}{result['p50']:>9.2f}{result['p99']:>9.2f}"
                f"{ratio:>10}  {errors}"
            )


if __name__ == "__main__":
    main()
