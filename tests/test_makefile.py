"""The Makefile's own logic, read from `make -n` (print the commands, run none): the port `make
admin` names, and when a venv is made again."""

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def planned(target, *variables, cwd=ROOT):
    """The commands `make` would run for `target`, without running any."""
    done = subprocess.run(
        ["make", "-n", "--no-print-directory", "-C", str(cwd), target, *variables],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def admin_line(plan):
    return next(line for line in plan.splitlines() if "dev_admin" in line)


@pytest.mark.parametrize(
    ("remembered", "variables", "port"),
    [
        (None, [], "8000"),
        ("8123", [], "8123"),  # `make run PORT=8123`, then `make admin` in another terminal
        ("8123", ["PORT=9000"], "9000"),  # said on the command line: that one
    ],
)
def test_make_admin_names_the_port_make_run_serves_on(tmp_path, remembered, variables, port):
    venv = tmp_path / "venv"
    venv.mkdir()
    if remembered:
        (venv / ".run-port").write_text(remembered + "\n")

    plan = planned("admin", f"VENV={venv}", *variables)

    assert admin_line(plan).endswith(f"dev_admin --port {port}")


def test_make_run_remembers_its_port(tmp_path):
    plan = planned("run", f"VENV={tmp_path}", "PORT=8123")
    assert f'echo "8123" > {tmp_path}/.run-port' in plan


def make_venv(venv, *, python, stamp):
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").symlink_to(python)
    if stamp:
        (venv / ".installed-stamp").touch()


def test_a_finished_venv_is_reused(tmp_path):
    import sys

    make_venv(tmp_path / "venv", python=sys.executable, stamp=True)
    plan = planned("install", f"VENV={tmp_path / 'venv'}")
    assert "-m venv" not in plan


@pytest.mark.parametrize(
    "state", ["an install died half-way (no stamp)", "its interpreter is gone (stamp)"]
)
def test_a_half_made_venv_is_made_again_from_nothing(tmp_path, state):
    import sys

    venv = tmp_path / "venv"
    gone = state.startswith("its interpreter")
    make_venv(venv, python=tmp_path / "removed-python" if gone else sys.executable, stamp=gone)

    plan = planned("install", f"VENV={venv}").splitlines()

    assert plan[:2] == [f"rm -rf {venv}", f"python3 -m venv {venv}"]
    assert any("--no-deps --require-hashes" in line for line in plan)
