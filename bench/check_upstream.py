"""Check the stats fetcher against the shared upstream stub's recorded real API responses.

    .venv/bin/python bench/check_upstream.py [--stub PATH/TO/stub.py] [--keep]

Starts the stub (../shared/upstream by default), registers one package per recorded repository
and PyPI project in a throwaway SQLite database, runs `fetch_stats --all`, and compares every
stored value with what the recordings say. Then runs it again and expects only 304s, and checks
the 52-week bucketing of the recorded GitLab and Bitbucket commits at a pinned "now". Prints a
table; exits 1 on any mismatch, 2 when it cannot run.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The shared folder sits beside the repository (../shared from its top), wherever it is cloned.
DEFAULT_STUB = ROOT.parent / "shared" / "upstream" / "stub.py"


def start_stub(stub, extra=()):
    recordings = Path(stub).parent / "recordings"
    proc = subprocess.Popen(
        [sys.executable, str(stub), "--port", "0", "--recordings", str(recordings), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    line = proc.stdout.readline().split()
    if len(line) != 2 or line[0] != "listening":
        proc.kill()
        raise SystemExit(f"check_upstream: the stub did not start ({line})")
    return proc, line[1]


def point_settings_at(base, database):
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "djangopackages.settings",
            "DJANGOPACKAGES_DOTENV": "0",
            "SECRET_KEY": "check-upstream-only-not-secret-0123456789abcdefghijklmnopqrstuvwxyz",
            "DATABASE_URL": f"sqlite:///{database}",
            "GITHUB_API_URL": f"{base}/github",
            "GITLAB_API_URL": f"{base}/gitlab",
            "BITBUCKET_API_URL": f"{base}/bitbucket",
            "CODEBERG_API_URL": f"{base}/codeberg",
            "PYPI_URL": f"{base}/pypi",
            "PYPISTATS_URL": f"{base}/pypistats",
            "FETCH_COMPUTING_DELAY_MS": "10",
            "FETCH_RETRY_BACKOFF_MS": "10",
            "LOG_LEVEL": "WARNING",
        }
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def dt(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


# What the recordings say, read off the recorded bodies by hand (see ../shared/upstream).
DEPS = [
    "carljm", "jacobian", "aaugustin", "andrewgodwin", "treyhunner", "ubernostrum", "jezdez",
    "adrianholovaty", "sjoerdjob", "akaariai", "carltongibson", "adamchainz", "ovangle",
    "timgraham", "thedrow", "nedbat", "MarkusH", "jdufresne", "thibaudcolas", "VishvajitP",
    "alexwlchan", "andreif", "berkerpeksag", "ewjoachim", "jarshwah", "mjtamlyn", "felixxm",
    "mblayman", "michael-k", "knyghty", "nessita",
]  # fmt: skip
GITLAB_NAMES = [
    "Pavel Žák", "Jonathan DEKHTIAR", "Manuel Kaufmann", "Will Gordon", "Yoseph Radding",
    "Dylan Gregersen", "Matt Lewellyn", "Lucas Roesler", "nasief", "waseem-omar", "Josh Wright",
    "ghalebkhaled", "Dana Spiegel", "Scott Sharkey",
]  # fmt: skip
BITBUCKET_NAMES = [
    "Manfre", "phistrom", "mu5h3r", "AdamChainz", "timograham", "jblissnge", "Erin Mullaney",
]  # fmt: skip
PACKAGES = [
    {
        "slug": "deps",
        "repo_url": "https://GitHub.com/django/deps.git/",
        "pypi_url": "https://pypi.org/project/Django/",
        "expect": {
            "repo_url": "https://github.com/django/deps",
            "repo_description": "Django Enhancement Proposals",
            "repo_watchers": 401,
            "repo_forks": 85,
            "participants": DEPS,
            "commits_over_52": [0] * 52,  # stats/participation was not recorded: kept
            "last_updated": dt("2023-12-19T21:59:33Z"),
            "repo_archived_at": None,
            "repo_missing_at": None,
            "pypi_version": "4.0.2",
            "pypi_license": "BSD-3-Clause",
            "pypi_requires_python": ">=3.8",
            "pypi_development_status": "5 - Production/Stable",
            "supports_python3": True,
            "documentation_url": "https://docs.djangoproject.com/",
            "versions": 294,
            "fetch_failures": 0,
            "fetched": True,
        },
    },
    {
        "slug": "encrypted-model-fields",
        "repo_url": "https://gitlab.com/lansharkconsulting/django/django-encrypted-model-fields",
        "pypi_url": "djangorestframework",
        "expect": {
            "repo_description": "A set of fields that wrap standard Django fields with encryption "
            "provided by the python cryptography library.",
            "repo_watchers": 33,
            "repo_forks": 25,
            "participants": GITLAB_NAMES,
            "last_updated": dt("2022-07-12T09:28:12-04:00"),
            "repo_archived_at": None,
            "pypi_version": "3.13.1",
            "pypi_license": "BSD",
            "pypi_requires_python": ">=3.6",
            "pypi_development_status": "5 - Production/Stable",
            "supports_python3": True,
            "documentation_url": "",
            "versions": 133,
            "fetch_failures": 0,
            "fetched": True,
        },
    },
    {
        "slug": "django-mssql",
        "repo_url": "https://bitbucket.org/Manfre/django-mssql",
        "pypi_url": "django_crispy_forms",
        "expect": {
            "repo_description": "Microsoft SQL server backend for Django running on windows."
            "\r\n\r\nNo actively maintained and only supports up to Django 1.8, which hasn't "
            "received security fixes for years.",
            "repo_watchers": 16,
            "repo_forks": 37,
            "participants": BITBUCKET_NAMES,
            "last_updated": dt("2018-08-22T18:50:22+00:00"),
            "pypi_version": "1.14.0",
            "pypi_license": "MIT",
            "pypi_requires_python": ">=3.7",
            "pypi_development_status": "5 - Production/Stable",
            "supports_python3": True,
            "versions": 38,
            "fetch_failures": 0,
            "fetched": True,
        },
    },
    {
        "slug": "gone-from-github",
        "repo_url": "https://github.com/djangopackages/does-not-exist",
        "pypi_url": "",
        "keep": {"repo_watchers": 7, "repo_description": "kept"},
        "expect": {
            "repo_watchers": 7,
            "repo_description": "kept",
            "missing": True,
            "fetch_failures": 0,
            "fetched": True,
        },
    },
    {
        "slug": "gone-from-gitlab",
        "repo_url": "https://gitlab.com/jeff.triplett/does-not-exist",
        "pypi_url": "",
        "expect": {"missing": True, "fetch_failures": 0, "fetched": True},
    },
    {
        "slug": "django-fett",
        "repo_url": "",
        "pypi_url": "django-fett",
        "keep": {"pypi_version": "0.1"},
        "expect": {"pypi_version": "0.1", "fetch_failures": 1, "fetched": False},
    },
]


def actual(package, key):
    if key == "versions":
        return package.versions.count()
    if key == "missing":
        return package.repo_missing_at is not None
    if key == "fetched":
        return package.last_fetched is not None
    if key == "fetch_failures":  # the fetcher's own state (packages.fetch.models)
        state = getattr(package, "fetch_state", None)
        return state.failures if state is not None else 0
    return getattr(package, key)


def show(value):
    text = repr(value)
    return text if len(text) <= 48 else text[:45] + "..."


def check_database(rows):
    from packages.models import Package

    failures = 0
    for spec in PACKAGES:
        package = Package.objects.get(slug=spec["slug"])
        for key, want in spec["expect"].items():
            got = actual(package, key)
            ok = got == want
            failures += not ok
            rows.append((spec["slug"], key, show(want), show(got), "ok" if ok else "MISMATCH"))
    return failures


def check_bucketing(base, stub, rows):
    """Recorded GitLab and Bitbucket commits bucketed at a pinned now, against our own count."""
    from packages.fetch.config import FetcherConfig
    from packages.fetch.sources import build_clients
    from packages.repositories import parse_repo_url

    recordings = Path(stub).parent / "recordings"
    cases = [
        (
            "https://gitlab.com/lansharkconsulting/django/django-encrypted-model-fields",
            datetime(2022, 8, 1, tzinfo=UTC),
            {
                c["id"]: dt(c["committed_date"])
                for r in json.loads((recordings / "gitlab_fetch_commits.json").read_text())
                if "/repository/commits" in r["url"]
                for c in json.loads(r["body"])
            },
        ),
        (
            "https://bitbucket.org/Manfre/django-mssql",
            datetime(2018, 12, 1, tzinfo=UTC),
            {
                c["hash"]: dt(c["date"])
                for r in json.loads((recordings / "bitbucket_fetch_commits.json").read_text())
                for c in json.loads(r["body"])["values"]
            },
        ),
    ]
    clients = build_clients(FetcherConfig.from_settings())
    failures = 0
    for url, now, dates in cases:
        want = [0] * 52
        for moment in dates.values():
            days = (now - moment) / timedelta(days=1)
            if 0 <= days < 364:
                want[51 - int(days // 7)] += 1
        ref = parse_repo_url(url)
        got = list(clients.forges[ref.host].fetch(ref, now=now).commits_over_52)
        ok = got == want and sum(want) > 0
        failures += not ok
        rows.append((ref.host, f"commits_over_52 @ {now:%Y-%m-%d}", show(want), show(got),
                     "ok" if ok else "MISMATCH"))  # fmt: skip
    clients.close()
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stub", default=str(DEFAULT_STUB))
    args = parser.parse_args()
    if not Path(args.stub).is_file():
        print(
            f"check_upstream: no stub at {args.stub}; pass --stub PATH/TO/upstream/stub.py",
            file=sys.stderr,
        )
        return 2
    proc, base = start_stub(args.stub)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            point_settings_at(base, Path(tmp) / "check.sqlite3")
            from django.core.management import call_command

            from categories.models import Category
            from packages.models import Package

            call_command("migrate", verbosity=0)
            category = Category.objects.create(title="App", slug="apps")
            for spec in PACKAGES:
                Package.objects.create(
                    title=spec["slug"],
                    slug=spec["slug"],
                    category=category,
                    repo_url=spec["repo_url"],
                    pypi_url=spec["pypi_url"],
                    **spec.get("keep", {}),
                )
            rows = []
            first = _run_fetch(call_command)
            failures = check_database(rows)
            second = _run_fetch(call_command)
            # Every URL that answered 200 before must answer 304 now; only the 404s can't (the
            # two missing repositories and django/deps' unrecorded stats/participation), nor
            # the free /rate_limit probe GitHub gets once per run.
            calls, cached = second["calls"], second["not_modified"]
            ok = cached == calls - 4 and calls > 4
            failures += not ok
            rows.append(("(all)", "refetch 304s", f"{calls - 4} of {calls}", f"{cached}",
                         "ok" if ok else "MISMATCH"))  # fmt: skip
            failures += check_bucketing(base, args.stub, rows)
    finally:
        proc.terminate()
        proc.wait()
    widths = [max(len(str(r[i])) for r in rows) for i in range(5)]
    header = ("package", "field", "expected", "got", "")
    for row in [header, *rows]:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))
    print(f"first run: {first['calls_by_host']}; second run: {second['calls_by_host']}")
    print(f"{failures} mismatch(es)" if failures else "all values match the recordings")
    return 1 if failures else 0


def _run_fetch(call_command):
    from io import StringIO

    out = StringIO()
    try:
        call_command("fetch_stats", "--all", "--json", "--workers", "4", stdout=out)
    except SystemExit as exit:  # 2 is a run that completed with a host stopped
        if exit.code not in (0, 2):
            raise
    return json.loads(out.getvalue())


if __name__ == "__main__":
    sys.exit(main())
