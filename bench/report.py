"""bench/api.py's report: the table of medians, and issue #23's targets met or not.

`results` is {set-up: {endpoint: {"size": bytes, "floor" | "cached" | "uncached": median}}},
each median a `bench.harness.median_run` dict (rps, p50, p99, errors, socket).
"""

# The incumbent djangopackages.org code's uncached req/s, from issue #13's table (its own
# production settings, PostgreSQL, 5,000 packages, gunicorn 2 sync workers, wrk -c8, medians
# of three interleaved rounds on this 2-core machine): package list 20/page, package detail.
INCUMBENT_RPS = {"package-list": 99, "package-detail": 200}
INCUMBENT_FACTOR = 8

# (set-up, endpoint, run, least share of the floor): issue #23, "Done means". "cached" is a
# URL asked before, "uncached" one no request asked (there is no response cache: both are read
# from the stored documents).
FLOOR_TARGETS = [
    ("embedded", "package-list", "cached", 0.90),
    ("embedded", "package-detail", "cached", 0.90),
    ("embedded", "package-list", "uncached", 0.40),
    ("embedded", "package-detail", "uncached", 0.50),
    ("production", "package-list", "cached", 0.90),
    ("production", "package-detail", "cached", 0.90),
    ("production", "package-list", "uncached", 0.50),
    ("production", "package-detail", "uncached", 0.60),
]


def print_table(results):
    print(
        f"{'set-up':<12}{'endpoint':<16}{'body':>7}  {'run':<9}{'req/s':>8}{'p50 ms':>9}"
        f"{'p99 ms':>9}{'of floor':>10}  errors"
    )
    for setup, endpoints in results.items():
        for name, row in endpoints.items():
            for run in ("floor", "cached", "uncached"):
                result = row[run]
                first = run == "floor"
                share = "" if first else f"{result['rps'] / row['floor']['rps']:.0%}"
                errors = str(result["errors"] or "")
                if result["socket"]:
                    errors = f"{errors} socket: {result['socket']}".strip()
                print(
                    f"{setup if first else '':<12}{name if first else '':<16}"
                    f"{row['size'] if first else '':>7}  {run:<9}{result['rps']:>8.0f}"
                    f"{result['p50']:>9.2f}{result['p99']:>9.2f}{share:>10}  {errors}"
                )
            setup = ""


def target_lines(results):
    """(text, met) for every issue #23 target whose set-up was measured."""
    lines = []
    for setup, name, run, least in FLOOR_TARGETS:
        if setup not in results:
            continue
        row = results[setup][name]
        share = row[run]["rps"] / row["floor"]["rps"]
        lines.append(
            (
                f"{setup} {run} {name} >= {least:.0%} of the floor: {row[run]['rps']:.0f} "
                f"req/s of {row['floor']['rps']:.0f}, {share:.1%}",
                share >= least,
            )
        )
    if "production" in results:
        for name, incumbent in INCUMBENT_RPS.items():
            rps = results["production"][name]["uncached"]["rps"]
            lines.append(
                (
                    f"production uncached {name} >= {INCUMBENT_FACTOR}x the incumbent's "
                    f"{incumbent} req/s ({INCUMBENT_FACTOR * incumbent}): {rps:.0f} req/s, "
                    f"{rps / incumbent:.1f}x",
                    rps >= INCUMBENT_FACTOR * incumbent,
                )
            )
    return lines


def print_targets(results):
    print()
    print("issue #23 targets (medians of this run):")
    for text, met in target_lines(results):
        print(f"  {'met    ' if met else 'NOT met'}  {text}")
    errors = sum(
        row[run]["errors"]
        for endpoints in results.values()
        for row in endpoints.values()
        for run in ("floor", "cached", "uncached")
    )
    if errors:
        print(f"  warning: {errors} non-2xx/3xx responses (see the errors column)")
