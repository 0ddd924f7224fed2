"""The browsable API's pages for people beyond the package card, grid and search (api.browsable):
headings in users' words, the package list and grid list as tables, a category's packages, a
readable score breakdown, a package's releases as a table, and the weekly-commits sparkline
(the package card draws it too).

Each summary reads the response's data and at most one or two bounded queries (the page's
rows, by id), so a page costs no query per row.
"""

import re
from typing import Any

from django.db.models import Count, Max, Q
from django.urls import reverse

from categories.models import Category
from grids.models import Grid
from packages.figures import is_sample
from packages.models import Package, Version

LIST_FIELDS = (
    "id",
    "title",
    "repo_description",
    "repo_watchers",
    "repo_url",
    "score",
    "pypi_version",
    "commits_over_52",
    "figure_sources",
    "category__id",
    "category__title",
)
CATEGORY_PAGE_SIZE = 100
SPARKLINE_WIDTH, SPARKLINE_HEIGHT = 208, 36
ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
SCORE_NAMES = {
    "stars": "Stars",
    "forks": "Forks",
    "pypi": "On PyPI",
    "commits": "Commits in the last year",
    "last_commit": "Last commit",
    "last_release": "Latest release",
    "archived": "Archived (penalty)",
    "deprecated": "Deprecated (penalty)",
    "no_release_in_2_years": "No release in 2 years (penalty)",
    "failing_for_a_month": "Fetch failing for a month (penalty)",
}


INPUT_NAMES = {
    "repo_watchers": "stars",
    "repo_forks": "forks",
    "pypi_url": "PyPI project",
    "pypi_version": "PyPI version",
    "commits_over_52": "commits in 52 weeks",
    "weighted_commits": "recent-weighted commits",
    "half_life_weeks": "half-life (weeks)",
    "last_updated": "newest commit",
    "age_days": "days ago",
    "latest_release": "newest release",
    "repo_archived_at": "archived on",
    "deprecated_at": "deprecated on",
}
LIST_NAMES = {"Package List": "Packages", "Grid List": "Grids", "Category List": "Categories"}
INSTANCE_MODELS = {
    "Package Instance": Package,
    "Grid Instance": Grid,
    "Category Instance": Category,
}


def breadcrumbs(
    crumbs: list[tuple[str, str]], last: str | None, parent: str | None
) -> list[tuple[str, str]]:
    """DRF's breadcrumbs in users' words: "Packages", the object's name (`parent` when the page
    already knows it, else one query), and the page's own heading last."""
    named = []
    for index, (name, url) in enumerate(crumbs):
        if name in LIST_NAMES:
            name = LIST_NAMES[name]
        elif index == len(crumbs) - 1:
            pass  # the page's own heading replaces it
        elif name in INSTANCE_MODELS and parent:
            name = parent
        elif name in INSTANCE_MODELS:
            key = url.split("?")[0].rstrip("/").rsplit("/", 1)[-1]
            name = _title_of(INSTANCE_MODELS[name], key) or name.replace(" Instance", "")
        named.append((name, url))
    if named and last:
        named[-1] = (last, named[-1][1])
    return named


def _title_of(model: Any, key: str) -> str | None:
    if not key:
        return None
    lookup: dict[str, Any] = {"pk": int(key)} if key.isdigit() else {"slug": key}
    return model.objects.filter(**lookup).values_list("title", flat=True).first()


def api_page(view_name: str, pk: Any) -> str:
    return f"{reverse(view_name, kwargs={'pk': pk})}?format=api"


def parent_title(view: Any, data: Any) -> str | None:
    """The name of the object whose sub-page (score, versions, comparison) this is, or None."""
    action = getattr(view, "action", None)
    if action == "comparison" and isinstance(data, dict) and "grid" in data:
        return str(data["grid"]["title"])
    if getattr(view, "basename", None) == "package" and action in ("score", "versions", "usage"):
        return _title_of(Package, str(view.kwargs.get("pk", "")))
    return None


def heading(view: Any, data: Any, parent: str | None = None) -> str | None:
    """The page's heading (and title) in users' words, or None to keep DRF's."""
    basename, action = getattr(view, "basename", None), getattr(view, "action", None)
    instance = getattr(getattr(data, "serializer", None), "instance", None)
    if action == "list":
        return {"package": "Packages", "grid": "Grids", "category": "Categories"}.get(
            basename or "", "Search" if basename == "search" else None
        )
    if basename == "package" and action in ("score", "versions", "usage"):
        labels = {"score": "Score of", "versions": "Releases of", "usage": "I use"}
        return f"{labels[action]} {parent}" if parent else None
    if basename == "grid" and action == "comparison" and parent:
        return f"{parent}: comparison"
    if isinstance(instance, Package | Grid):
        return instance.title
    if isinstance(instance, Category):
        return instance.title_plural or instance.title
    return None


def package_rows(ids: list[int]) -> list[dict[str, Any]]:
    """The table rows of packages `ids`, in that order: one query."""
    packages = (
        Package.objects.filter(pk__in=ids)
        .select_related("category")
        .only(*LIST_FIELDS)
        .annotate(released=Max("versions__upload_time", filter=Q(versions__is_yanked=False)))
    )
    by_id = {package.pk: package for package in packages}
    return [_row(by_id[pk]) for pk in ids if pk in by_id]


def sparkline(
    weekly_commits: list[int], width: int = SPARKLINE_WIDTH, height: int = SPARKLINE_HEIGHT
) -> dict:
    """An SVG polyline of weekly commit counts (oldest first), with a label giving the totals."""
    counts = [max(int(n), 0) for n in weekly_commits] or [0]
    total, busiest = sum(counts), max(counts)
    step = width / max(len(counts) - 1, 1)
    margin = 2
    scale = (height - 2 * margin) / busiest if busiest else 0
    points = " ".join(
        f"{index * step:.1f},{height - margin - count * scale:.1f}"
        for index, count in enumerate(counts)
    )
    weeks = len(counts)
    label = (
        f"{total} commit{'' if total == 1 else 's'} in the last {weeks} weeks; "
        f"busiest week {busiest}, this week {counts[-1]}"
    )
    return {"points": points, "label": label, "width": width, "height": height}


def _row(package: Package) -> dict[str, Any]:
    commits = package.commits_over_52 or []
    return {
        "title": package.title,
        "url": api_page("package-detail", package.pk),
        "description": package.repo_description,
        "stars": package.repo_watchers,
        "has_repo": bool(package.repo_url),
        "sample_stars": is_sample(package.figure_sources or {}, "stars"),
        "score": package.score,
        "version": package.pypi_version or "",
        "released": getattr(package, "released", None),
        "category": package.category.title,
        "category_url": api_page("category-detail", package.category_id),
        "sparkline": sparkline(commits, width=80, height=20),
        "commits": sum(commits),
    }


def package_list(data: Any, request: Any) -> dict[str, Any]:
    """The package list's page as a table, with the orderings people sort by."""
    results = data.get("results", []) if isinstance(data, dict) else data
    ids = [item["id"] for item in results if isinstance(item, dict) and "id" in item]
    current = request.query_params.get("ordering", "")
    orderings = [
        ("-repo_watchers", "Most stars"),
        ("-score", "Best score"),
        ("-last_updated", "Recently updated"),
        ("title", "Name"),
    ]
    params = request.query_params.copy()
    params.pop("page", None)
    links = []
    for value, label in orderings:
        params["ordering"] = value
        links.append({"label": label, "url": f"?{params.urlencode()}", "current": value == current})
    return {
        "rows": package_rows(ids),
        "orderings": links,
        "count": data.get("count") if isinstance(data, dict) else len(ids),
    }


def grid_list(data: Any) -> dict[str, Any]:
    results = data.get("results", []) if isinstance(data, dict) else data
    ids = [item["id"] for item in results if isinstance(item, dict) and "id" in item]
    grids = Grid.objects.filter(pk__in=ids).annotate(
        package_count=Count("packages", distinct=True),
        feature_count=Count("features", distinct=True),
    )
    by_id = {grid.pk: grid for grid in grids}
    return {
        "rows": [
            {
                "title": by_id[pk].title,
                "url": api_page("grid-detail", pk),
                "description": by_id[pk].description,
                "packages": by_id[pk].package_count,  # type: ignore[attr-defined]  # annotated
                "features": by_id[pk].feature_count,  # type: ignore[attr-defined]  # annotated
                "featured": by_id[pk].header,
            }
            for pk in ids
            if pk in by_id
        ]
    }


def category_page(category: Category) -> dict[str, Any]:
    """A category's packages, most starred first (at most CATEGORY_PAGE_SIZE, with a link to
    the full filtered list)."""
    ids = list(
        Package.objects.filter(category=category)
        .order_by("-repo_watchers", "id")
        .values_list("id", flat=True)[:CATEGORY_PAGE_SIZE]
    )
    total = Package.objects.filter(category=category).count()
    return {
        "category": category,
        "rows": package_rows(ids),
        "total": total,
        "all_url": f"{reverse('package-list')}?format=api&category={category.slug}",
    }


def score_breakdown(data: Any) -> dict[str, Any]:
    components = [
        {
            "name": SCORE_NAMES.get(c["name"], c["name"].replace("_", " ").capitalize()),
            "points": c["points"],
            "max": c["max"],
            "inputs": [
                (INPUT_NAMES.get(key, key.replace("_", " ")), _readable(value))
                for key, value in c["inputs"].items()
            ],
        }
        for c in data.get("components", [])
    ]
    return {"score": data.get("score"), "components": components}


def _readable(value: Any) -> str:
    """A score input for people: "none", "12,345", "35.1", a day for an ISO date-time."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.1f}"
    text = str(value)
    if ISO_MOMENT.match(text):
        return text[:10]
    return text


def versions_table(data: Any, view: Any) -> dict[str, Any]:
    results = data.get("results", []) if isinstance(data, dict) else data
    pk = view.kwargs.get("pk")
    sample = Version.objects.filter(package__pk=pk, is_sample=True) if str(pk).isdigit() else None
    return {
        "rows": results,
        "sample": bool(sample is not None and sample.exists()),
        "package_url": f"{reverse('package-detail', kwargs={'pk': pk})}?format=api",
    }
