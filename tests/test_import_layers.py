"""Imports flow one way (docs/design.md, "The layers"): no application module imports a module
of a higher floor, and no modules import each other in a circle. Every import counts, those
inside functions too; migrations aside."""

import ast
import re
from pathlib import Path

import pytest

from tests.test_code_shape import ROOT, application_modules

# Floors from the ground up, each a list of module prefixes; the longest prefix that matches a
# module gives its floor. A module may import its own floor and those below.
FLOORS: list[tuple[str, tuple[str, ...]]] = [
    ("common", ("common",)),
    ("categories", ("categories",)),
    ("packages", ("packages",)),
    ("grids", ("grids",)),
    ("search", ("search",)),
    # The fetcher, with its two entry points in packages/: a queued refresh runs a fetch, and a
    # forge's push queues one. (Their task paths, `packages.tasks.*`, are stored with every
    # queued task, so the module keeps its name.)
    ("fetcher", ("packages.fetch", "packages.tasks", "packages.webhooks")),
    ("catalogue import", ("catalogue",)),
    ("demo", ("demo",)),
    ("site and API", ("api", "*.admin", "*.management")),
    ("configuration", ("djangopackages",)),
]


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def floor_of(module: str) -> int:
    """The index in FLOORS of `module`'s floor (admin modules and commands: the site's)."""
    parts = module.split(".")
    if "admin" in parts[1:] or "management" in parts[1:]:
        return next(i for i, (_, prefixes) in enumerate(FLOORS) if "*.admin" in prefixes)
    best, floor = -1, None
    for index, (_, prefixes) in enumerate(FLOORS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, floor = len(prefix), index
    if floor is None:
        raise LookupError(f"{module}: on no floor of FLOORS")
    return floor


def imported_modules(source: str, module: str, is_package: bool, known: set[str]) -> set[str]:
    """The application modules `source` (the text of `module`) imports, anywhere in it."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")[: None if is_package else -1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            for alias in node.names:
                # `from search import postgres` imports the module search.postgres.
                child = f"{target}.{alias.name}"
                found.add(child if child in known else target)
    return {name for name in found if name in known}


def import_graph() -> dict[str, set[str]]:
    paths = {module_name(path): path for path in application_modules()}
    known = set(paths)
    return {
        name: imported_modules(
            path.read_text(encoding="utf-8"), name, path.name == "__init__.py", known
        )
        for name, path in paths.items()
    }


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    return sorted(
        f"{module} ({FLOORS[floor_of(module)][0]}) imports {target} ({FLOORS[floor_of(target)][0]})"
        for module, targets in graph.items()
        for target in targets
        if floor_of(target) > floor_of(module)
    )


def import_circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The sets of two or more modules that reach each other by imports (Tarjan's strongly
    connected components, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                members = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    members.append(member)
                    if member == node:
                        break
                if len(members) > 1:
                    circles.append(sorted(members))
    return circles


def test_every_application_module_is_on_a_floor() -> None:
    for module in import_graph():
        floor_of(module)


def test_no_module_imports_a_higher_floor() -> None:
    assert upward_imports(import_graph()) == []


def test_no_modules_import_each_other_in_a_circle() -> None:
    assert import_circles(import_graph()) == []


@pytest.mark.parametrize(
    ("module", "source", "upward"),
    [
        ("common.errors", "from api.v3.rendering import error_document", True),
        ("packages.tasks", "def run():\n    from packages.fetch.run import FetchRun", False),
        ("packages.figures", "from packages.fetch.forges import base", True),
        ("packages.admin", "from packages.fetch.run import reset_failures", False),
        ("grids.models", "from ..packages.models import Package", False),
        ("categories.models", "from grids import models", True),
    ],
)
def test_an_upward_import_is_found(module: str, source: str, upward: bool) -> None:
    known = {
        "api.v3.rendering",
        "packages.fetch.run",
        "packages.fetch.forges.base",
        "packages.models",
        "grids.models",
    }
    graph = {module: imported_modules(source, module, False, known)}
    assert bool(upward_imports(graph)) is upward


def test_a_circle_is_found() -> None:
    graph = {"a.x": {"a.y"}, "a.y": {"a.z"}, "a.z": {"a.x"}, "a.w": {"a.x"}}
    assert import_circles(graph) == [["a.x", "a.y", "a.z"]]


def test_the_design_page_draws_the_floors_in_this_order() -> None:
    """docs/design.md's drawing names each floor's folder, the highest first."""
    text = (ROOT / "docs" / "design.md").read_text(encoding="utf-8")
    drawing = text.split("The layers, each importing only from those below it:")[1].split("```")[1]
    positions = []
    for _, prefixes in reversed(FLOORS):
        folder = prefixes[0].replace(".", "/") + "/"
        found = re.search(rf"(?<![\w/]){re.escape(folder)}(?!\w)", drawing)
        assert found, f"{folder} is not in the drawing"
        positions.append(found.start())
    assert positions == sorted(positions)
