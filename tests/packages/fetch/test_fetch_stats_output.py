"""`manage.py fetch_stats` as an operator runs it: a real process on a pseudo-terminal, in pipes,
under README's cron recipe, and with its cache down; its stdout/stderr contract and exit codes."""

import fcntl
import json
import os
import pty
import re
import select
import shutil
import socket
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from tests.packages.conftest import serve_github_repo, serve_pypi

ROOT = Path(__file__).resolve().parents[3]
PACKAGES = 3

SETUP = f"""
from categories.models import Category
from packages.models import Package
category = Category.objects.create(title="App", slug="apps")
for i in range({PACKAGES}):
    Package.objects.create(title=f"p{{i}}", slug=f"p{{i}}", category=category,
                           repo_url=f"https://github.com/o/p{{i}}", pypi_url=f"p{{i}}")
"""


def closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def base_env(database):
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE_URL", "FETCH_", "REDIS_URL", "LOG_LEVEL"))
    }
    return {
        **env,
        "DJANGO_SETTINGS_MODULE": "djangopackages.settings",
        "DJANGOPACKAGES_DOTENV": "0",
        "DEBUG": "0",
        "SECRET_KEY": "output-test-only-not-secret-0123456789abcdefghijklmnopqrstuvwxyz-01",
        "DATABASE_URL": f"sqlite:///{database}",
        "FETCH_RETRY_BACKOFF_MS": "1",
        "FETCH_COMPUTING_DELAY_MS": "1",
    }


def manage(env, *args, **kwargs):
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, **kwargs,
    )  # fmt: skip


@pytest.fixture(scope="module")
def template_db(tmp_path_factory):
    """A migrated SQLite catalogue of PACKAGES GitHub+PyPI packages, copied by each test."""
    path = tmp_path_factory.mktemp("fetch-output") / "template.sqlite3"
    env = base_env(path)
    assert manage(env, "migrate", "--noinput").returncode == 0
    assert manage(env, "shell", "-c", SETUP).returncode == 0
    return path


@pytest.fixture
def command_env(template_db, tmp_path, upstream):
    """The environment of a fetch_stats process whose upstreams all answer from the fake."""
    database = tmp_path / "db.sqlite3"
    shutil.copy(template_db, database)
    for i in range(PACKAGES):
        serve_github_repo(upstream, f"o/p{i}")
        serve_pypi(upstream, f"p{i}")
    return {
        **base_env(database),
        "GITHUB_API_URL": f"{upstream.url}/github",
        "PYPI_URL": f"{upstream.url}/pypi",
    }


def run_on_terminal(env, *args, timeout=60, columns=140):
    """Run fetch_stats with stdin, stdout and stderr on a pseudo-terminal: (exit code, output)."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    env = {**env, "TERM": "xterm-256color"}
    env.pop("COLUMNS", None)
    env.pop("LINES", None)
    for name in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        env.pop(name, None)
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "fetch_stats", *args],
        stdin=follower, stdout=follower, stderr=follower, env=env, cwd=ROOT, close_fds=True,
    )  # fmt: skip
    os.close(follower)
    output, deadline = b"", time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(leader, 65536)
                except OSError:  # EIO: the process closed the terminal
                    break
                if not chunk:
                    break
                output += chunk
            elif process.poll() is not None:
                break
        code = process.wait(timeout=max(1, deadline - time.monotonic()))
    finally:
        os.close(leader)
        if process.poll() is None:
            process.kill()
    return code, output.decode("utf-8", "replace")


@pytest.mark.slow
def test_on_a_terminal_a_progress_bar_renders_then_the_summary(command_env, upstream):
    upstream.delay = 0.05  # long enough for the bar to refresh while packages are fetched
    code, output = run_on_terminal(command_env, "--workers", "2")
    assert code == 0, output
    assert "Traceback" not in output
    assert "fetching" in output
    assert "━" in output  # rich's bar
    assert f"{PACKAGES}/{PACKAGES}" in output
    assert "calls github" in output
    assert f"fetch_stats: {PACKAGES} selected, {PACKAGES} fetched, 0 unchanged" in output


@pytest.mark.slow
def test_on_an_80_column_terminal_the_bar_keeps_count_failures_and_time_left(command_env, upstream):
    """The per-host call counts grow with every host a run reaches; they come last, so they are
    what an 80-column terminal cuts, never done/total, failures or the time left."""
    upstream.delay = 0.05
    code, output = run_on_terminal(command_env, "--workers", "2", columns=80)
    assert code == 0, output
    plain = re.sub(r"\x1b\[[0-9;]*m", "", output)  # colours, not movement
    frames = [
        frame.strip()
        for frame in re.split(r"[\r\n]|\x1b\[[0-9;?]*[A-Za-z]", plain)
        if frame.strip().startswith("fetching")
    ]
    assert frames, output
    for frame in frames:
        assert len(frame) <= 80, frame
        assert re.search(rf"\b\d+/{PACKAGES}\b", frame), frame
        assert "failed 0" in frame, frame
        assert re.search(r"(\d+:\d\d:\d\d|-:--:--)", frame), frame


@pytest.mark.slow
def test_in_a_pipe_stdout_is_the_summary_line_and_stderr_is_empty(command_env):
    done = manage(command_env, "fetch_stats")
    assert done.returncode == 0
    assert done.stderr == ""
    lines = done.stdout.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"fetch_stats: {PACKAGES} selected, {PACKAGES} fetched")


@pytest.mark.slow
def test_json_is_one_object_on_stdout_and_nothing_on_stderr(command_env):
    done = manage(command_env, "fetch_stats", "--json")
    assert done.returncode == 0
    assert done.stderr == ""
    summary = json.loads(done.stdout)
    assert (summary["selected"], summary["fetched"], summary["exit_code"]) == (3, 3, 0)


@pytest.mark.slow
def test_json_on_a_terminal_is_the_object_alone_without_a_progress_bar(command_env, upstream):
    upstream.delay = 0.05  # long enough for a bar to be drawn if one were started
    code, output = run_on_terminal(command_env, "--json", "--workers", "2")
    assert code == 0, output
    assert "━" not in output
    assert json.loads(output)["fetched"] == PACKAGES  # nothing but the object on the terminal


@pytest.mark.slow
def test_verbose_names_each_failed_package_once_on_stderr(command_env, upstream):
    upstream.routes.pop("/pypi/pypi/p1/json")  # 404: p1 fails, the others are fetched
    done = manage(command_env, "fetch_stats", "--json", "-v", "2")
    assert done.returncode == 0
    assert json.loads(done.stdout)["failed"] == 1
    failures = [line for line in done.stderr.splitlines() if "failed" in line]
    assert failures == ["p1: failed: pypi: project 'p1' not found"]


def documented_cron_command(log_dir):
    """docs/fetcher.md's cron line, as a shell command writing its logs under `log_dir`."""
    docs = (ROOT / "docs" / "fetcher.md").read_text()
    line = next(line for line in docs.splitlines() if "fetch_stats --json >>" in line)
    command = line.split("&&", 1)[1].strip()
    command = command.replace(".venv/bin/python", sys.executable)
    return command.replace("/var/log/djangopackages/", f"{log_dir}/")


@pytest.mark.slow
@pytest.mark.parametrize("recipe", ["documented", "stderr too: 2>&1"])
def test_cron_recipe_appends_valid_json_lines_over_two_runs(command_env, tmp_path, recipe):
    command = documented_cron_command(tmp_path)
    if recipe != "documented":
        command = f"{sys.executable} manage.py fetch_stats --json >> {tmp_path}/fetch.jsonl 2>&1"
    for _ in range(2):
        subprocess.run(command, shell=True, env=command_env, cwd=ROOT, check=True, timeout=120)
    lines = (tmp_path / "fetch.jsonl").read_text().splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first["fetched"] == PACKAGES
    assert second["selected"] == 0  # everything is fresh now


@pytest.mark.slow
def test_an_unreachable_redis_does_not_stop_a_fetch(command_env):
    """Redis is an accelerator: with it down the fetcher stores every package as usual."""
    env = {**command_env, "REDIS_URL": f"redis://127.0.0.1:{closed_port()}/1"}
    done = manage(env, "fetch_stats", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["fetched"] == PACKAGES


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["-v", "p1"], "-v takes a level from 0 to 3 before any slug: -v 2 SLUG"),
        (["--workers", "0"], "--workers must be at least 1"),
        (["--no-such-option"], "unrecognized arguments: --no-such-option"),
        (["no-such-package"], "unknown package slug(s): no-such-package"),
    ],
)
def test_a_usage_error_exits_64_with_one_line_not_the_unreachable_code(command_env, args, reason):
    """cron tells a typo (64, EX_USAGE) from an outage (2) or a run that could not start (1)."""
    done = manage(command_env, "fetch_stats", *args)
    assert done.returncode == 64, done.stderr
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert reason in lines[0]


@pytest.mark.slow
def test_help_documents_the_exit_codes(command_env):
    done = manage(command_env, "fetch_stats", "--help")
    text = " ".join(done.stdout.split())
    assert "0 the run completed" in text
    assert "2 a host was stopped as unreachable, or every attempted package failed" in text
    assert "1 it could not run" in text
    assert "64 a usage error" in text


def test_the_progress_line_cuts_the_per_host_calls_never_the_count_failures_or_time_left():
    """Six hosts with thousands of calls each, on 80 columns: the calls are cut with an ellipsis."""
    import io

    from rich.console import Console

    from packages.management.commands.fetch_stats import calls_by_host, progress_bar

    out = io.StringIO()
    console = Console(file=out, width=80, color_system=None)
    bar = progress_bar(console)
    calls = {"github": 12345, "gitlab": 789, "bitbucket": 1234, "codeberg": 56, "pypi": 23456}
    calls["pypistats"] = 2345
    task = bar.add_task("fetching", total=50000, failed=2345, calls=calls_by_host(calls))
    bar.update(task, completed=12345)
    console.print(bar.make_tasks_table(bar.tasks))

    line = out.getvalue().rstrip("\n")
    assert len(line) <= 80, line
    assert "12345/50000" in line
    assert "failed 2,345" in line or "failed 2345" in line
    assert re.search(r"(\d+:\d\d:\d\d|-:--:--) calls bitbucket 1,234, ", line), line
    assert line.endswith("…"), line
