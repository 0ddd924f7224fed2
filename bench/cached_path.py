"""What a warm API read (stored documents) costs in-process, next to the floor view: no server,
no network.

    .venv/bin/python bench/cached_path.py [--setup production|embedded] [--requests 10000]
        [--profile package-detail]

Sets Django up as bench/api.py's set-up serves it (same settings, catalogue and bench-only
URLconf), warms every URL once, then sends `--requests` GETs straight through the WSGI
handler, for each endpoint: the floor view with a body of the same size, and the cached
endpoint rotating over its URLs. Prints microseconds per request and the cached/floor ratio of
request rates. `--profile NAME` runs cProfile over that endpoint's cached requests and prints
the functions with the most time of their own; `--no-throttle` leaves the anonymous rate unset
(the difference is what counting costs). Build the catalogue first (bench/api.py does).
"""

import argparse
import cProfile
import io
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.api import ENDPOINTS, SITE, bench_env, embedded_env, parse_args, rotations  # noqa: E402


def environ(path, port):
    path, _, query = path.partition("?")
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": str(port),
        "HTTP_HOST": f"127.0.0.1:{port}",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


def serve(application, path, port):
    """One request through the WSGI handler: (status line, body)."""
    status = []
    body = application(environ(path, port), lambda s, headers, exc_info=None: status.append(s))
    try:
        return status[0], b"".join(body)
    finally:
        body.close()


def per_request_us(application, paths, port, count, profiler=None):
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    for n in range(count):
        serve(application, paths[n % len(paths)], port)
    if profiler:
        profiler.disable()
    return (time.perf_counter() - started) / count * 1e6


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--setup", choices=("production", "embedded"), default="production")
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--profile", choices=ENDPOINTS)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument(
        "--no-throttle", action="store_true", help="anonymous rate unset: what throttling costs"
    )
    own, rest = parser.parse_known_args()
    args = parse_args(rest)
    floor_dir = Path(tempfile.mkdtemp())
    env = (bench_env if own.setup == "production" else embedded_env)(args, floor_dir)
    if own.no_throttle:
        env["THROTTLE_ANON"] = ""
    os.environ.update(env)
    sys.path[:0] = [str(SITE)]
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()
    from django.core.cache import cache

    if own.setup == "production":
        from bench.api import clear_redis

        clear_redis(args.redis_url)
    cache.clear()
    port = args.port
    urls = rotations(args)
    for name in ENDPOINTS:
        for path in urls[name]:
            if not serve(application, path, port)[0].startswith("200"):
                raise SystemExit(f"{path}: not a 200")
    print(f"{own.setup}: {own.requests} requests each, in-process (us per request)")
    print(f"{'endpoint':<16}{'floor':>8}{'cached':>8}{'extra':>8}{'rate of floor':>15}")
    for name in ENDPOINTS:
        (floor_dir / f"{name}.json").write_bytes(serve(application, urls[name][0], port)[1])
        floor = [f"/bench/floor/{name}/"]
        per_request_us(application, floor, port, 200)
        floor_us = per_request_us(application, floor, port, own.requests)
        profiler = cProfile.Profile() if own.profile == name else None
        cached_us = per_request_us(application, urls[name], port, own.requests, profiler)
        print(
            f"{name:<16}{floor_us:>8.1f}{cached_us:>8.1f}{cached_us - floor_us:>8.1f}"
            f"{floor_us / cached_us:>15.0%}"
        )
        if profiler:
            stats = pstats.Stats(profiler)
            stats.sort_stats("tottime").print_stats(own.top)
            stats.print_callees(r"reads.py.*\(__call__\)")
            stats.print_callees(r"throttling.py.*\(count_all\)")
            stats.print_callees(r"throttling.py.*\(get_key\)")


if __name__ == "__main__":
    main()
