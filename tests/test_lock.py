"""The lock files pin every dependency pyproject.toml declares, within its range, and drive the
installs: `make install` (requirements-dev.lock) and the Docker image (requirements.lock)."""

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
EXTRAS = PROJECT["optional-dependencies"]


def _pins(lock_name):
    text = (ROOT / lock_name).read_text()
    pins = re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)", text, re.M)
    return {canonicalize_name(name): version for name, version in pins}


@pytest.mark.parametrize(
    ("lock_name", "declared"),
    [
        ("requirements.lock", PROJECT["dependencies"] + EXTRAS["rq"]),
        ("requirements-dev.lock", PROJECT["dependencies"] + EXTRAS["rq"] + EXTRAS["dev"]),
    ],
)
def test_lock_pins_every_declared_dependency_within_its_range(lock_name, declared):
    pins = _pins(lock_name)
    problems = []
    for line in declared:
        requirement = Requirement(line)
        version = pins.get(canonicalize_name(requirement.name))
        if version is None:
            problems.append(f"{requirement.name} is not pinned")
        elif not requirement.specifier.contains(version, prereleases=True):
            problems.append(f"{requirement.name}=={version} is outside {requirement.specifier}")
    assert not problems, f"{lock_name} is stale, run `make lock`: " + "; ".join(problems)


def test_every_pin_carries_a_hash():
    for lock_name in ("requirements.lock", "requirements-dev.lock"):
        entries = re.split(r"\n(?=[A-Za-z0-9])", (ROOT / lock_name).read_text())
        unhashed = [e.split()[0] for e in entries if "==" in e.split()[0] and "--hash=" not in e]
        assert not unhashed, f"{lock_name}: no hash for {unhashed}"


def test_installs_come_from_the_locks():
    dockerfile = (ROOT / "Dockerfile").read_text()
    makefile = (ROOT / "Makefile").read_text()

    assert "pip install --no-deps --require-hashes -r requirements.lock && pip check" in dockerfile
    assert "pip install ." not in dockerfile  # nothing resolved or built beyond the lock
    assert "--no-deps --require-hashes \\\n\t\t-r requirements-dev.lock" in makefile
    assert "pip check" in makefile
