"""Benchmark `fetch_stats` against the shared upstream stub's synthetic catalogue.

    .venv/bin/python bench/fetch.py [--packages N] [--latency-ms L] [--downloads N]
                                    [--database URL] [--stub PATH]

Starts ../shared/upstream/stub.py with `--synthetic N --latency-ms L`, registers its catalogue
(GET /__catalogue.json) in its own database (PostgreSQL `djangopackages_fetchbench` by default,
created if missing, emptied first), then times four runs, pypistats paced at its real limit
(PYPISTATS_REQUESTS_PER_SECOND, 2): a first fetch with `--workers 1`, the same first fetch with
the default workers, a refetch of unchanged upstreams, and the downloads pass
(`--source downloads --limit N`) on its own. Prints wall time, packages/s, API calls per
package and the share of 304s for each, the speed-up, and the downloads pass's pace.
"""

import argparse
import contextlib
import json
import os
import subprocess
import sys
import time
import urllib.request
from io import StringIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STUB = ROOT.parent / "shared" / "upstream" / "stub.py"
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/djangopackages_fetchbench"


def start_stub(stub, packages, latency_ms):
    proc = subprocess.Popen(
        [sys.executable, str(stub), "--port", "0", "--synthetic", str(packages),
         "--latency-ms", str(latency_ms)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )  # fmt: skip
    line = proc.stdout.readline().split()
    if len(line) != 2 or line[0] != "listening":
        proc.kill()
        raise SystemExit(f"bench: the stub did not start ({line})")
    return proc, line[1]


def ensure_postgres_database(url):
    if not url.startswith("postgres"):
        return
    name = url.rsplit("/", 1)[1]
    exists = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc",
         f"SELECT 1 FROM pg_database WHERE datname='{name}'"],
        capture_output=True, text=True, check=False,
    ).stdout.strip()  # fmt: skip
    if exists != "1":
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)


def setup_django(base, database_url):
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "djangopackages.settings",
            "DJANGOPACKAGES_DOTENV": "0",
            "SECRET_KEY": "bench-only-not-secret-0123456789abcdefghijklmnopqrstuvwxyz-abcdef",
            "DATABASE_URL": database_url,
            "GITHUB_API_URL": f"{base}/github",
            "GITLAB_API_URL": f"{base}/gitlab",
            "BITBUCKET_API_URL": f"{base}/bitbucket",
            "CODEBERG_API_URL": f"{base}/codeberg",
            "PYPI_URL": f"{base}/pypi",
            "PYPISTATS_URL": f"{base}/pypistats",
            # pypistats at its real limit: the downloads have a pass of their own, so the
            # repository and PyPI fetch must not wait for it.
            "PYPISTATS_REQUESTS_PER_SECOND": "2",
            "LOG_LEVEL": "WARNING",
        }
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def register_catalogue(base):
    from categories.models import Category
    from packages.models import HttpValidator, Package, Version

    with urllib.request.urlopen(f"{base}/__catalogue.json") as answer:
        catalogue = json.load(answer)
    Version.objects.all().delete()
    HttpValidator.objects.all().delete()
    Package.objects.all().delete()
    category, _ = Category.objects.get_or_create(slug="apps", defaults={"title": "App"})
    Package.objects.bulk_create(
        [
            Package(
                title=item["title"],
                slug=item["slug"],
                category=category,
                repo_url=item["repo_url"],
                pypi_url=item["pypi_url"],
            )
            for item in catalogue
        ],
        batch_size=500,
    )
    return len(catalogue)


def forget_fetches(base):
    """Back to a never-fetched catalogue, and a stub with fresh counters."""
    from packages.fetch.models import PackageFetchState
    from packages.models import HttpValidator, Package, Version

    Version.objects.all().delete()
    HttpValidator.objects.all().delete()
    PackageFetchState.objects.all().delete()
    Package.objects.update(
        last_fetched=None,
        pypi_downloads_at=None,
        pypi_downloads_checked_at=None,
    )
    request = urllib.request.Request(f"{base}/__reset", method="POST")
    urllib.request.urlopen(request).close()


def timed_run(label, *args):
    from django.core.management import call_command

    out = StringIO()
    began = time.monotonic()
    with contextlib.suppress(SystemExit):  # exit 2: the summary says why
        call_command("fetch_stats", "--all", "--json", *args, stdout=out)
    wall = time.monotonic() - began
    summary = json.loads(out.getvalue())
    done = summary["fetched"] + summary["unchanged"]
    return {
        "run": label,
        "packages": done,
        "failed": summary["failed"],
        "wall_s": wall,
        "per_s": done / wall if wall else 0.0,
        "calls_per_package": summary["calls"] / done if done else 0.0,
        "share_304": summary["not_modified_share"],
        "calls": summary["calls_by_host"],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=1000)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument(
        "--downloads", type=int, default=100, metavar="N", help="packages in the downloads pass"
    )
    parser.add_argument("--stub", type=Path, default=STUB, help="the shared stub's stub.py")
    parser.add_argument("--database", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    args = parser.parse_args()
    if not args.stub.is_file():
        print(f"bench: no stub at {args.stub} (--stub PATH)", file=sys.stderr)
        return 2
    ensure_postgres_database(args.database)
    proc, base = start_stub(args.stub, args.packages, args.latency_ms)
    try:
        setup_django(base, args.database)
        from django.conf import settings
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        count = register_catalogue(base)
        print(f"{count} synthetic packages, stub latency {args.latency_ms} ms, {base}")
        rows = [timed_run("first fetch, --workers 1", "--workers", "1")]
        forget_fetches(base)
        rows.append(timed_run(f"first fetch, default ({settings.FETCH_WORKERS} workers)"))
        rows.append(timed_run("refetch, unchanged upstreams"))
        rows.append(
            timed_run(
                f"downloads pass, {settings.PYPISTATS_REQUESTS_PER_SECOND}/s",
                "--source",
                "downloads",
                "--limit",
                str(args.downloads),
            )
        )
    finally:
        proc.terminate()
        proc.wait()
    print(
        f"{'run':<38} {'pkgs':>5} {'failed':>6} {'wall s':>8} {'pkg/s':>7} "
        f"{'calls/pkg':>9} {'304s':>6}"
    )
    for r in rows:
        print(
            f"{r['run']:<38} {r['packages']:>5} {r['failed']:>6} {r['wall_s']:>8.1f} "
            f"{r['per_s']:>7.1f} {r['calls_per_package']:>9.2f} {r['share_304']:>6.1%}"
        )
    speedup = rows[0]["wall_s"] / rows[1]["wall_s"] if rows[1]["wall_s"] else 0.0
    print(f"speed-up of the default over --workers 1: {speedup:.1f}x (target >= 6x)")
    print(
        f"calls per package, first fetch: {rows[1]['calls_per_package']:.2f} (target <= 6); "
        f"pypistats calls in it: {rows[1]['calls'].get('pypistats', 0)}"
    )
    print(f"refetch 304 share: {rows[2]['share_304']:.1%} (target >= 90%)")
    print(
        f"downloads pass (on its own schedule): {rows[3]['packages']} packages in "
        f"{rows[3]['wall_s']:.1f} s, {rows[3]['per_s']:.2f}/s"
    )
    print("calls by host:", "; ".join(f"{r['run']}: {r['calls']}" for r in rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
