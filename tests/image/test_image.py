"""README's container flows, run for real: the image built from the Dockerfile, then every
command of README's "Docker, with workers" section, in order, against PostgreSQL and a Redis of
the test's own, the upstreams on a local fake (`make image-test`; skipped otherwise).

Docker's engine does not run on these machines; podman and buildah do (.ci/run installs them and
builds a local stand-in for the `python:3.11-slim` base where the machine offers it), with host
networking only. So each README command is translated, not rewritten: `docker build` is
`buildah bud --format docker` (HEALTHCHECK kept), `docker run` is `podman run --network host`
(a `-p` mapping is moot there: the container gets a free `PORT` instead), `--env-file prod.env`
is README's own prod.env block with this machine's values, and names and volumes get a suffix
so that runs never meet. Anything else in a README command is run as written.
"""

import json
import os
import re
import shlex
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import psycopg
import pytest
import requests

from tests.image.readme_flows import docker_section_commands, prod_env_block
from tests.packages.conftest import FakeUpstream, serve_github_repo, serve_pypi
from tests.redis_server import free_port, private_redis

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = 20
IMAGE = f"localhost/djangopackages-image-test:{uuid.uuid4().hex[:8]}"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.environ.get("IMAGE_TEST") != "1", reason="run `make image-test`"),
]


def run(*args, check=True, timeout=600, **kwargs):
    done = subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kwargs)
    if check and done.returncode != 0:
        raise AssertionError(f"{shlex.join(args)} exited {done.returncode}:\n{done.stderr[-3000:]}")
    return done


class Flow:
    """One run of README's commands: the names it gave, translated, and what to clean up."""

    def __init__(self, env_file: Path, port: int):
        self.suffix = uuid.uuid4().hex[:8]
        self.env_file = env_file
        self.port = port
        self.containers: list[str] = []
        self.volumes: list[str] = []
        self.background: list[subprocess.Popen] = []

    def name(self, given: str) -> str:
        return f"{given}-{self.suffix}"

    def translate(self, words: list[str]) -> tuple[list[str], bool]:
        """README's `docker ...` as podman/buildah words, and whether it runs detached."""
        assert words[0] == "docker", words
        if words[1] == "build":
            tag = words[words.index("-t") + 1]
            assert tag == "djangopackages", words
            assert words[-1] == ".", words
            return ["buildah", "bud", "--format", "docker", "--layers", "--isolation", "chroot",
                    "--network", "host", "--pull=never", "-t", IMAGE, str(ROOT)], False  # fmt: skip
        assert words[1] == "run", words
        out = ["podman", "run", "--network", "host", "-e", f"PORT={self.port}"]
        rest, detached = words[2:], False
        i = 0
        while i < len(rest):
            word = rest[i]
            if word == "-p":
                i += 2  # host networking: the free PORT above instead
                continue
            if word == "--env-file":
                assert rest[i + 1] == "prod.env", rest
                out += ["--env-file", str(self.env_file)]
                i += 2
                continue
            if word == "--name":
                out += ["--name", self.name(rest[i + 1])]
                self.containers.append(self.name(rest[i + 1]))
                i += 2
                continue
            if word == "-v":
                volume, _, target = rest[i + 1].partition(":")
                out += ["-v", f"{self.name(volume)}:{target}"]
                self.volumes.append(self.name(volume))
                i += 2
                continue
            if word == "djangopackages":
                out.append(IMAGE)
                out += rest[i + 1 :]
                break
            detached = detached or word == "-d"
            out.append(word)
            i += 1
        return out, detached

    def cleanup(self) -> None:
        for process in self.background:
            process.terminate()
        for container in self.containers:
            run("podman", "rm", "-f", "-t", "5", container, check=False)
        for volume in self.volumes:
            run("podman", "volume", "rm", "-f", volume, check=False)


@pytest.fixture(scope="module")
def engine():
    for tool in ("podman", "buildah"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is missing: install podman and buildah (see .ci/run)")
    base = "docker.io/library/python:3.11-slim"
    if run("podman", "image", "exists", base, check=False).returncode:
        pytest.fail("no python:3.11-slim image here (see .ci/run)")


@pytest.fixture(scope="module")
def database():
    name = f"dp_image_{uuid.uuid4().hex[:8]}"
    admin = "postgres://postgres@127.0.0.1:5432/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    yield f"postgres://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="module")
def redis():
    with private_redis() as url:
        if url is None:
            pytest.fail("needs redis-server on PATH")
        yield url


@pytest.fixture(scope="module")
def fake_upstreams():
    upstream = FakeUpstream()
    for i in range(PACKAGES):
        serve_github_repo(upstream, f"o/p{i}")
        serve_pypi(upstream, f"p{i}")
    yield upstream
    upstream.close()


def prod_env(tmp_path: Path, *, database: str, redis: str, upstream: str) -> Path:
    """README's prod.env, its placeholders given this machine's values; plus the upstreams."""
    values = {
        "SECRET_KEY": uuid.uuid4().hex * 2,
        "ALLOWED_HOSTS": "127.0.0.1",
        "CSRF_TRUSTED_ORIGINS": "https://127.0.0.1",
        "DATABASE_URL": database,
        "REDIS_URL": redis,
        "GITHUB_TOKEN": "image-test-token",
    }
    lines = []
    for key, _value in prod_env_block():
        lines.append(f"{key}={values.get(key, _value)}")
    lines += [f"GITHUB_API_URL={upstream}/github", f"PYPI_URL={upstream}/pypi", "PYPISTATS_URL="]
    # A worker counts as lost after 4 s without a heartbeat (60 s by default), so the test can
    # see its health check fail.
    lines += ["TASK_HEARTBEAT_SECONDS=1", "TASK_LOST_AFTER_SECONDS=4"]
    path = tmp_path / "prod.env"
    path.write_text("\n".join(lines) + "\n")
    return path


def wait_for(check, what, timeout=120):
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout}s for {what}")
        time.sleep(1)


def answers(url, **headers):
    try:
        return requests.get(url, headers=headers, timeout=5)
    except requests.RequestException:
        return None


def static_url_of(page: str) -> str:
    match = re.search(r'(/static/[^"\']+\.css)', page)
    assert match, "the page links no stylesheet"
    return match.group(1)


def test_readme_docker_flows(engine, database, redis, fake_upstreams, tmp_path):
    port = free_port()
    env_file = prod_env(tmp_path, database=database, redis=redis, upstream=fake_upstreams.url)
    flow = Flow(env_file, port)
    base = f"http://127.0.0.1:{port}"
    https = {"X-Forwarded-Proto": "https"}  # README's prod.env: TLS ends at a proxy
    ran, checked = [], []
    try:
        for section, words in docker_section_commands():
            command, detached = flow.translate(words)
            if section == "try-out":
                # In the foreground until Ctrl-C in README: here in the background, then checked,
                # on a port of its own (the workers' web container still serves on the first).
                flow.port = free_port()
                base = f"http://127.0.0.1:{flow.port}"
                command, detached = flow.translate(words)
                flow.containers.append(flow.name("try-out"))
                command[2:2] = ["--name", flow.name("try-out")]
                flow.background.append(
                    subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                )
                check_try_out(flow, base)
                checked.append("try-out")
                run("podman", "stop", "-t", "10", flow.name("try-out"))
            else:
                run(*command, timeout=900)
                if words[1] == "run" and "migrate" in words:
                    add_packages(env_file)  # what curators would add, before workers start
                if words[1] == "run" and flow.name("web") in command:
                    check_web(flow, base, https)
                    checked.append("web")
            ran.append(shlex.join(words))
        check_worker_fetched_everything(flow, database)
        checked.append("worker")
    finally:
        flow.cleanup()
    assert any("docker build" in line for line in ran)
    assert sum("docker run" in line for line in ran) >= 5, ran
    assert checked == ["web", "try-out", "worker"]


def add_packages(env_file: Path) -> None:
    code = (
        "from categories.models import Category; from packages.models import Package; "
        "c, _ = Category.objects.get_or_create(slug='apps', defaults={'title': 'App'}); "
        f"[Package.objects.create(title=f'p{{i}}', slug=f'p{{i}}', category=c, "
        f"repo_url=f'https://github.com/o/p{{i}}', pypi_url=f'p{{i}}') for i in range({PACKAGES})]"
    )
    run("podman", "run", "--rm", "--network", "host", "--env-file", str(env_file), IMAGE,
        "python", "manage.py", "shell", "-c", code)  # fmt: skip


def check_web(flow: Flow, base: str, https: dict[str, str]) -> None:
    web = flow.name("web")
    wait_for(lambda: (r := answers(f"{base}/healthz", **https)) and r.status_code == 200, "web")
    assert run("podman", "exec", web, "id", "-u").stdout.strip() == "10001"
    assert run("podman", "healthcheck", "run", web, check=False).returncode == 0
    page = answers(f"{base}/api/v4/?format=api", **https)
    assert page is not None
    assert page.status_code == 200
    stylesheet = answers(base + static_url_of(page.text), **https)
    assert stylesheet is not None
    assert stylesheet.status_code == 200
    assert "immutable" in stylesheet.headers.get("Cache-Control", "")
    inspect = json.loads(run("podman", "inspect", web).stdout)[0]
    assert inspect["Config"]["Healthcheck"]["Test"][-1] == "djangopackages.healthcheck"


def check_try_out(flow: Flow, base: str) -> None:
    container = flow.name("try-out")
    package = wait_for(
        lambda: (r := answers(f"{base}/api/v4/packages/2431/")) and r.status_code == 200 and r,
        "the try-out's seed package",
        timeout=300,
    )
    assert package.json()["slug"] == "cookiecutter-django-ansible"
    assert run("podman", "exec", container, "id", "-u").stdout.strip() == "10001"
    assert run("podman", "healthcheck", "run", container, check=False).returncode == 0
    page = answers(f"{base}/api/v4/packages/2431/?format=api")
    assert page is not None
    assert page.status_code == 200
    stylesheet = answers(base + static_url_of(page.text))
    assert stylesheet is not None
    assert stylesheet.status_code == 200


def check_worker_fetched_everything(flow: Flow, database: str) -> None:
    def fetched():
        with psycopg.connect(database) as connection:
            row = connection.execute(
                "SELECT count(*) FROM packages_package WHERE last_fetched IS NOT NULL"
            ).fetchone()
        return row is not None and row[0] == PACKAGES

    wait_for(fetched, f"the worker to fetch all {PACKAGES} packages", timeout=240)
    worker = flow.name("worker")
    check = run("podman", "exec", worker, "python", "-m", "djangopackages.healthcheck")
    assert "worker_health: healthy" in check.stdout  # the worker's own check, not the web's
    assert run("podman", "healthcheck", "run", worker, check=False).returncode == 0
    run("podman", "kill", "--signal", "STOP", worker)  # alive, but beating no more
    try:
        wait_for(
            lambda: run("podman", "healthcheck", "run", worker, check=False).returncode != 0,
            "the stopped worker's health check to fail",
            timeout=30,
        )
    finally:
        run("podman", "kill", "--signal", "CONT", worker)
