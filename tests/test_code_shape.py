"""The house rules a reviewer checks by eye, checked here: application modules stay small (at
most 400 lines) and each says what it owns (a module docstring). Migrations aside."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = (
    "api",
    "catalogue",
    "categories",
    "common",
    "demo",
    "djangopackages",
    "grids",
    "packages",
    "search",
)
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


MIN_ANNOTATED_SHARE = 0.95


def is_fully_annotated(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Its return and every argument annotated (`self` and `cls` need none)."""
    arguments = function.args
    named = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
    starred = [arg for arg in (arguments.vararg, arguments.kwarg) if arg is not None]
    return function.returns is not None and all(
        arg.annotation is not None for arg in named + starred if arg.arg not in {"self", "cls"}
    )


def application_functions() -> list[tuple[str, bool]]:
    """(`module:line name`, fully annotated) for every function and method of the apps."""
    found = []
    for path in application_modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                where = f"{path.relative_to(ROOT)}:{node.lineno} {node.name}"
                found.append((where, is_fully_annotated(node)))
    return found


def test_the_annotation_share_is_measured_on_real_functions() -> None:
    typed = ast.parse("def f(a: int, *rest: str, b: int = 1, **more: str) -> None: ...").body[0]
    untyped_argument = ast.parse("def f(self, a) -> None: ...").body[0]
    untyped_return = ast.parse("def f(cls, a: int): ...").body[0]
    assert isinstance(typed, ast.FunctionDef)
    assert isinstance(untyped_argument, ast.FunctionDef)
    assert isinstance(untyped_return, ast.FunctionDef)

    assert is_fully_annotated(typed)
    assert not is_fully_annotated(untyped_argument)
    assert not is_fully_annotated(untyped_return)
    assert len(application_functions()) > 500


def test_nearly_every_application_function_is_fully_annotated() -> None:
    functions = application_functions()
    untyped = [where for where, annotated in functions if not annotated]

    share = 1 - len(untyped) / len(functions)

    assert share >= MIN_ANNOTATED_SHARE, f"{share:.1%} annotated; untyped: {untyped}"
