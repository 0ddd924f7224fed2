"""The install as a stranger's machine makes it, on any day: the locks hold for every Python the
project supports (3.11.0 and up), and `make install` builds a venv with the interpreter's own
pip from them. These ask the package index (the registry), so they are marked `registry`."""

import functools
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
UV = Path(sys.executable).parent / "uv"
LOCKS = ["requirements.lock", "requirements-dev.lock"]

# Every Python the project supports, where environment markers can change what is needed:
# 3.11.0-3.11.2 need async-timeout (redis), Debian 12 ships 3.11.2; and each platform's wheels.
PYTHONS = ["3.11.0", "3.11.2", "3.11.7", "3.12", "3.13"]
PLATFORMS = {
    "x86_64-unknown-linux-gnu": {"sys_platform": "linux", "platform_system": "Linux",
                                 "platform_machine": "x86_64", "os_name": "posix"},
    "aarch64-unknown-linux-gnu": {"sys_platform": "linux", "platform_system": "Linux",
                                  "platform_machine": "aarch64", "os_name": "posix"},
    "aarch64-apple-darwin": {"sys_platform": "darwin", "platform_system": "Darwin",
                             "platform_machine": "arm64", "os_name": "posix"},
    "x86_64-pc-windows-msvc": {"sys_platform": "win32", "platform_system": "Windows",
                               "platform_machine": "AMD64", "os_name": "nt"},
}  # fmt: skip

pytestmark = [pytest.mark.slow, pytest.mark.registry]


def locked(lock: Path) -> list[Requirement]:
    """Each pin of a lock file, with its environment marker (hashes and comments dropped)."""
    text = re.sub(r"\\\n", " ", lock.read_text())
    lines = [line.split(" --hash")[0].strip() for line in text.splitlines()]
    return [Requirement(line) for line in lines if line and not line.startswith(("#", "-"))]


def environment(python: str, platform: str) -> dict[str, str]:
    major_minor = ".".join(python.split(".")[:2])
    full = python if python.count(".") == 2 else f"{python}.0"
    return {
        "python_version": major_minor,
        "python_full_version": full,
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        "implementation_version": full,
        "platform_release": "",
        "platform_version": "",
        **PLATFORMS[platform],
    }


@functools.cache
def resolved(lock: Path) -> tuple[Requirement, ...]:
    """The resolver's universal answer for exactly the pins of `lock`: what every supported
    Python and platform needs with them, each with the marker that says where."""
    done = subprocess.run(
        [str(UV), "pip", "compile", str(lock), "--universal", "--python-version", "3.11",
         "--no-header", "--no-annotate", "--quiet"],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return tuple(Requirement(line) for line in done.stdout.splitlines() if line.strip())


def missing_pins(lock: Path, python: str, platform: str) -> list[str]:
    """What an install from `lock` with `--no-deps` on that Python and platform would lack."""
    env = environment(python, platform)

    def holding(requirements):
        return {
            canonicalize_name(r.name)
            for r in requirements
            if not r.marker or r.marker.evaluate(env)
        }

    return sorted(holding(resolved(lock)) - holding(locked(lock)))


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
@pytest.mark.parametrize("python", PYTHONS)
@pytest.mark.parametrize("lock_name", LOCKS)
def test_the_lock_is_complete_for_every_supported_python(lock_name, python, platform):
    assert missing_pins(ROOT / lock_name, python, platform) == []


def test_a_lock_that_misses_a_marker_dependent_pin_fails(tmp_path):
    """The check above, on a lock resolved on 3.11.7 alone (issue 28): no async-timeout pin."""
    text = (ROOT / "requirements.lock").read_text()
    doctored = re.sub(r"(?m)^async-timeout==.*\n(    .*\n)*", "", text)
    assert doctored != text
    (tmp_path / "requirements.lock").write_text(doctored)

    missing = missing_pins(tmp_path / "requirements.lock", "3.11.2", "x86_64-unknown-linux-gnu")

    assert missing == ["async-timeout"]
    assert missing_pins(tmp_path / "requirements.lock", "3.12", "x86_64-unknown-linux-gnu") == []


def test_make_install_builds_a_venv_with_the_interpreters_own_pip(tmp_path):
    """What `make run` and `make test` do first, into a throwaway venv: it must pass on the day
    the index publishes a newer release of anything (nothing is resolved afresh)."""
    venv = tmp_path / "venv"
    env = {key: value for key, value in os.environ.items() if not key.startswith("PIP_")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env.pop("VIRTUAL_ENV", None)

    done = subprocess.run(
        ["make", "--no-print-directory", "-C", str(ROOT), "install", f"VENV={venv}",
         f"PYTHON={sys.executable}"],
        capture_output=True, text=True, timeout=900, env=env,
    )  # fmt: skip

    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    assert "No broken requirements found." in output
    assert "deprecat" not in output.lower(), output
    assert (venv / ".installed-stamp").exists()
    imported = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import django, rest_framework, truststore, redis"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert imported.returncode == 0, imported.stderr


def test_building_the_project_prints_no_deprecation(tmp_path):
    """`pip install .` (a deployment without the Makefile) builds with the newest setuptools:
    pyproject.toml must say nothing it deprecates (its license as a TOML table printed three
    boxed warnings per build)."""
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "--disable-pip-version-check",
         "-w", str(tmp_path), str(ROOT)],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    assert "deprecat" not in output.lower(), output
    assert list(tmp_path.glob("djangopackages-*.whl"))
