"""Real consumers replayed against a live server deployed as README says: gunicorn with two
workers, DEBUG off, SQLite, default throttle settings, on a free port, serving a generated
catalogue of 650 packages in 30 grids (one of 70 packages).

`catalogue_server` is that server, shared by the tests of a run; `Client` speaks HTTP/1.1 to
it from a loopback address of its own (127.0.0.N: every 127/8 address is this machine's), so
each test is a client with its own budget, as separate machines would be. `start_server`
starts others with other settings (behind a proxy, with Redis)."""

import contextlib
import http.client
import itertools
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "tests" / "fixtures" / "seed_catalogue.json"
PACKAGES = 650
GRIDS = 30
BIG_GRID = 70  # packages in the grid the CLI shows
SHARED = 30  # packages that are in two grids
SITE = "https://djangopackages.org/api/v4"
WORKERS = 2
USERNAME = "client-tester"
_addresses = itertools.count(2)


@dataclass
class Catalogue:
    """What the generated catalogue holds, to check a client got all of it."""

    packages: dict[int, str] = field(default_factory=dict)  # id -> slug
    grids: dict[str, list[int]] = field(default_factory=dict)  # slug -> package ids
    big_grid: str = ""


def write_catalogue(path: Path) -> Catalogue:
    """A catalogue file `import_catalogue` reads: every package in a grid, a few in two."""
    seed = json.loads(SEED.read_text())
    template = seed["packages"][0]
    catalogue = Catalogue()
    packages = []
    for n in range(1, PACKAGES + 1):
        slug = f"client-package-{n:03}"
        catalogue.packages[n] = slug
        packages.append(
            {
                **template,
                "id": n,
                "title": f"Client package {n}",
                "slug": slug,
                "repo_url": f"https://github.com/clients/{slug}",
                "category": f"{SITE}/categories/4/",
                "grids": [],
            }
        )
    ids = list(catalogue.packages)
    sizes = [BIG_GRID] + [(PACKAGES - BIG_GRID) // (GRIDS - 1)] * (GRIDS - 1)
    sizes[-1] += PACKAGES - sum(sizes)
    start, grids = 0, []
    for n, size in enumerate(sizes, 1):
        members = ids[start : start + size] + (ids[-SHARED:] if n == 2 else [])
        start += size
        slug = "big-grid" if n == 1 else f"client-grid-{n:02}"
        catalogue.grids[slug] = members
        grids.append(
            {
                **seed["grids"][0],
                "id": n,
                "title": f"Client grid {n}",
                "slug": slug,
                "packages": [f"{SITE}/packages/{pk}/" for pk in members],
            }
        )
    catalogue.big_grid = "big-grid"
    bundle = {"categories": seed["categories"], "grids": grids, "packages": packages}
    path.write_text(json.dumps(bundle))
    return catalogue


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def clean_environment() -> dict[str, str]:
    """This process's environment without any variable the settings read (.env.example lists
    them all): the server gets only what a test gives it."""
    names = set(re.findall(r"^# ?([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    return {k: v for k, v in os.environ.items() if k not in names and not k.startswith("THROTTLE")}


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@dataclass
class Server:
    base: str
    port: int
    log: Path
    token: str
    catalogue: Catalogue
    shared_buckets: bool  # Redis: one budget across the workers; else one per worker


@contextlib.contextmanager
def start_server(directory: Path, database: Path, catalogue: Catalogue, token: str, **env: str):
    """gunicorn (2 workers) over a copy of `database`, with production settings plus `env`."""
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copy(database, directory / "db.sqlite3")
    port = free_port()
    log = directory / "server.log"
    environment = {
        **clean_environment(),
        "DJANGOPACKAGES_DOTENV": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": f"sqlite:///{directory / 'db.sqlite3'}",
        **env,
    }
    with log.open("w") as output:
        server = subprocess.Popen(
            [
                *(str(Path(sys.executable).parent / "gunicorn"), "djangopackages.wsgi"),
                *("--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS)),
            ],
            cwd=ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        host = environment["ALLOWED_HOSTS"].split(",")[0]
        _wait_until_healthy(port, host, server, log)
        shared = "REDIS_URL" in env
        yield Server(f"http://127.0.0.1:{port}", port, log, token, catalogue, shared)
    finally:
        server.terminate()
        server.wait(timeout=15)


def _wait_until_healthy(port: int, host: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"gunicorn exited: {log.read_text()[-3000:]}")
        with contextlib.suppress(OSError):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/healthz", headers={"Host": host})
            if connection.getresponse().status == 200:
                return
        time.sleep(0.2)
    raise AssertionError(f"gunicorn did not answer /healthz: {log.read_text()[-3000:]}")


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self):
        return json.loads(self.body)


class Client:
    """One machine's HTTP client: requests leave from `address` (127.0.0.N), one connection,
    reopened whenever the server closes it (gunicorn's sync workers close after each)."""

    def __init__(self, port: int, address: str | None = None, headers: dict | None = None):
        self.port = port
        self.address = address or new_address()
        self.headers = {"Host": "127.0.0.1", **(headers or {})}
        self.connection: http.client.HTTPConnection | None = None

    def get(self, url: str, **headers: str) -> Response:
        return self.request("GET", url, headers=headers)

    def request(self, method: str, url: str, body: bytes | None = None, headers=None) -> Response:
        path = re.sub(r"^https?://[^/]+", "", url)
        for attempt in range(2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(
                    "127.0.0.1", self.port, timeout=30, source_address=(self.address, 0)
                )
            try:
                self.connection.request(method, path, body, {**self.headers, **(headers or {})})
                response = self.connection.getresponse()
                return Response(response.status, response.headers, response.read())
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()  # a connection the server closed between requests: reopen once
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def new_address() -> str:
    """A loopback address no other client of this run uses: a budget of its own."""
    n = next(_addresses)
    return f"127.0.{n // 250}.{n % 250 + 2}"


@pytest.fixture(scope="session")
def catalogue_database(tmp_path_factory) -> tuple[Path, Catalogue, str]:
    """A migrated SQLite database holding the generated catalogue and a user with a token."""
    directory = tmp_path_factory.mktemp("catalogue")
    catalogue = write_catalogue(directory / "catalogue.json")
    database = directory / "template.sqlite3"
    env = {
        **clean_environment(),
        "DJANGOPACKAGES_DOTENV": "0",
        "DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{database}",
    }
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "import_catalogue", str(directory / "catalogue.json"))
    manage(env, "create_user", USERNAME)
    token = manage(env, "create_api_token", USERNAME).strip()
    return database, catalogue, token


@pytest.fixture(scope="session", params=["embedded", "redis"])
def catalogue_server(request, tmp_path_factory, catalogue_database) -> Iterator[Server]:
    """The catalogue served on default settings: as `make run` serves it (no Redis: buckets in
    each worker's memory), and as README's production set-up does (Redis, shared buckets)."""
    database, catalogue, token = catalogue_database
    env = {}
    if request.param == "redis":
        env = {
            "REDIS_URL": request.getfixturevalue("redis_url"),
            "CACHE_KEY_PREFIX": f"clients-{secrets.token_hex(8)}",
        }
    directory = tmp_path_factory.mktemp(request.param)
    with start_server(directory, database, catalogue, token, **env) as server:
        yield server
