"""Mixed read load on the API: wrk at concurrency 8 for 60 s, then 64 for 30 s.

    .venv/bin/python bench/load.py [--packages 5000] [--short]

Serves the catalogue bench/api.py builds (5,000 packages and 300 grids on PostgreSQL, Redis
as the shared cache, production settings) with gunicorn as deployed (`--workers` 2 sync
workers, as `make run`, the image and README serve; `--threads` N > 1 tries gthread), and
drives it with one wrk Lua script
that picks, request by request, a package list page (30 %), a package detail (40 %), a grid
detail (15 %) or a search (15 %), over thousands of distinct URLs. Throttles are raised for the
run (one loopback client would otherwise be throttled as an abuser). Prints, per phase,
requests/s, p50/p95/p99 latency, non-2xx/3xx count, 5xx count and socket errors, and checks
the targets: concurrency 8 -> p99 <= 300 ms and no errors; concurrency 64 -> no 5xx.
`--short` runs 10 s phases for a quick look. Needs wrk (`apt-get install -y wrk`).
"""

import argparse
import json
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import api as bench_api  # noqa: E402  (not `import api`: that is the project's app)

MIX = [("list", 30), ("detail", 40), ("grid", 15), ("search", 15)]
PHASES = [(8, 60), (64, 30)]
TARGET_P99_MS_AT_8 = 300


def lua_script(directory, rotations):
    """One wrk script: weighted random choice of endpoint, then a random URL of that kind."""
    tables = "\n".join(
        f"paths[{json.dumps(name)}] = {{{', '.join(json.dumps(p) for p in rotations[name])}}}"
        for name, _ in MIX
    )
    weights = ", ".join(f"{{{json.dumps(name)}, {weight}}}" for name, weight in MIX)
    script = directory / "mixed.lua"
    script.write_text(
        "local paths = {}\n"
        f"{tables}\n"
        f"local mix = {{{weights}}}\n"
        "local threads = {}\n"
        "function setup(thread) table.insert(threads, thread) end\n"
        "function init(args) server_errors = 0 end\n"
        "request = function()\n"
        "  local roll = math.random(100)\n"
        "  for _, entry in ipairs(mix) do\n"
        "    roll = roll - entry[2]\n"
        "    if roll <= 0 then\n"
        "      local list = paths[entry[1]]\n"
        "      return wrk.format('GET', list[math.random(#list)])\n"
        "    end\n"
        "  end\n"
        "end\n"
        "response = function(status, headers, body)\n"
        "  if status >= 500 then server_errors = server_errors + 1 end\n"
        "end\n"
        "function done(summary, latency, requests)\n"
        "  local total = 0\n"
        "  for _, thread in ipairs(threads) do total = total + thread:get('server_errors') end\n"
        "  io.write(string.format('server_errors=%d\\n', total))\n"
        "  for _, p in ipairs({50, 95, 99}) do\n"
        "    io.write(string.format('p%d_us=%d\\n', p, latency:percentile(p)))\n"
        "  end\n"
        "end\n"
    )
    return script


def run_phase(base, script, connections, seconds):
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s"]
    output = subprocess.run(
        [*command, "-s", str(script), base + "/"], capture_output=True, text=True, check=True
    ).stdout
    value = lambda pattern: re.search(pattern, output)  # noqa: E731
    non_2xx = value(r"Non-2xx or 3xx responses: (\d+)")
    socket = value(r"Socket errors: (.*)")
    return {
        "connections": connections,
        "seconds": seconds,
        "rps": float(value(r"Requests/sec:\s+([\d.]+)").group(1)),
        "requests": int(value(r"(\d+) requests in").group(1)),
        **{f"p{p}": int(value(rf"p{p}_us=(\d+)").group(1)) / 1000 for p in (50, 95, 99)},
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "server_errors": int(value(r"server_errors=(\d+)").group(1)),
        "socket_errors": socket.group(1).strip() if socket else "",
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=5000)
    parser.add_argument("--grids", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument(
        "--threads", type=int, default=1, help="threads per gunicorn worker (> 1: gthread)"
    )
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--short", action="store_true", help="10 s phases")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the catalogue")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    args.database_url = "postgres://postgres@127.0.0.1:5432/djangopackages_bench"
    args.redis_url = "redis://127.0.0.1:6379/15"

    env = bench_api.bench_env(args)
    env["CACHE_KEY_PREFIX"] = "bench-load"
    bench_api.ensure_database(args.database_url)
    bench_api.setup_django(env)
    bench_api.build_catalogue(args.packages, args.grids, args.rebuild)

    from django.core.cache import cache

    from grids.models import Grid
    from packages.models import Package

    cache.clear()
    rng = random.Random(7)
    slugs = list(Package.objects.values_list("slug", flat=True))
    rotations = {
        "list": [f"/api/v4/packages/?offset={20 * n}" for n in range(args.packages // 20)]
        + [f"/api/v4/packages/?ordering=-repo_watchers&offset={20 * n}" for n in range(50)],
        "detail": [
            f"/api/v4/packages/{slug}/" for slug in rng.sample(slugs, min(3000, len(slugs)))
        ],
        "grid": [f"/api/v4/grids/{slug}/" for slug in Grid.objects.values_list("slug", flat=True)],
        "search": [f"/api/v4/search/?q={q.replace(' ', '+')}" for q in bench_api.QUERIES],
    }
    phases = [(c, 10) for c, _ in PHASES] if args.short else PHASES
    base = f"http://127.0.0.1:{args.port}"
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        script = lua_script(Path(tmp), rotations)
        env["BENCH_FLOOR_DIR"] = tmp
        gunicorn = bench_api.start_gunicorn(args, env)
        try:
            for connections, seconds in phases:
                results.append(run_phase(base, script, connections, seconds))
                print(f"  ran concurrency {connections} for {seconds} s", flush=True)
        finally:
            gunicorn.send_signal(signal.SIGTERM)
            gunicorn.wait(timeout=30)

    print()
    print(
        f"{args.packages} packages, {args.grids} grids; gunicorn {args.workers} workers x "
        f"{args.threads} threads; mix " + ", ".join(f"{n} {w}%" for n, w in MIX)
    )
    print(
        f"{'conc':>5}{'secs':>6}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
        f"{'non-2xx':>9}{'5xx':>6}  socket errors"
    )
    for r in results:
        print(
            f"{r['connections']:>5}{r['seconds']:>6}{r['rps']:>9.0f}{r['p50']:>9.1f}"
            f"{r['p95']:>9.1f}{r['p99']:>9.1f}{r['non_2xx']:>9}{r['server_errors']:>6}  "
            f"{r['socket_errors'] or '-'}"
        )
    low, high = results
    verdicts = [
        (
            f"concurrency 8: p99 {low['p99']:.0f} ms <= {TARGET_P99_MS_AT_8} ms",
            low["p99"] <= TARGET_P99_MS_AT_8,
        ),
        (
            "concurrency 8: zero errors",
            low["non_2xx"] == 0 and low["server_errors"] == 0 and not low["socket_errors"],
        ),
        ("concurrency 64: zero 5xx", high["server_errors"] == 0),
    ]
    for text, ok in verdicts:
        print(f"  {'PASS' if ok else 'FAIL'}  {text}")
    sys.exit(0 if all(ok for _, ok in verdicts) else 1)


if __name__ == "__main__":
    main()
