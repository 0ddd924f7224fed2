"""The house rules a reviewer checks by eye, checked here: application modules stay small (at
most 400 lines) and each says what it owns (a module docstring). Migrations aside."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("api", "catalogue", "categories", "common", "demo", "djangopackages", "grids", "packages")
MAX_LINES = 400


def application_modules() -> list[Path]:
    return sorted(
        path
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts
    )


def test_there_are_application_modules_to_check() -> None:
    assert len(application_modules()) > 100


@pytest.mark.parametrize("path", application_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_a_module_is_small_and_says_what_it_owns(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= MAX_LINES, f"{path.name}: split it by concept"
    if path.name != "__init__.py" or text.strip():
        assert ast.get_docstring(ast.parse(text)), f"{path.name}: say what the module owns"
