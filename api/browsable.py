"""The browsable API as pages for people: the site's name, and a summary above DRF's response.

`BrowsableRenderer` is DRF's browsable renderer with its own template: the navbar and title
carry `SITE_NAME`, and the root, a package, a grid, a grid's comparison and search each get a
summary (card, list, table, search box) built from the data the JSON response already holds,
or from the objects its queryset fetched, so a page costs no query per row. DRF's request and
response block stays below, byte for byte what it was: the JSON is the contract.
"""

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer, ListSerializer

from api.pages import summaries
from grids.comparison import MARK_NONE
from grids.models import Grid
from packages.fetch.state import package_freshness_words
from packages.figures import FIGURES, is_sample
from packages.identifiers import pypi_project_url
from packages.models import Package

if TYPE_CHECKING:  # DRF loads this renderer while `rest_framework.views` is still importing
    from rest_framework.views import APIView

# How the comparison shows a cell whose text carries no mark: unknown, not "none".
_MARK_LABELS = {"yes": "yes", "no": "no", "partial": "partial", MARK_NONE: "unknown"}


def is_browsable(request: HttpRequest | Request) -> bool:
    """Whether `request` is answered with the browsable API's HTML."""
    renderer = getattr(request, "accepted_renderer", None)
    return renderer is not None and renderer.format == "api"


class BrowsableRenderer(BrowsableAPIRenderer):
    """DRF's browsable API under the site's name, with a summary for the pages people read."""

    template = "api/browsable.html"

    def render_form_for_serializer(self, serializer: BaseSerializer) -> str | None:
        """DRF's HTML form, from DRF's horizontal templates with each label tied to its control
        (api/templates/api/forms: axe-core's `label` and `select-name`)."""
        if isinstance(serializer, ListSerializer):
            return None
        if hasattr(serializer, "initial_data"):
            serializer.is_valid()
        return self.form_renderer_class().render(
            serializer.data,
            getattr(self, "accepted_media_type", None),
            {"style": {"template_pack": "api/forms"}},
        )

    def get_context(
        self, data: Any, accepted_media_type: str | None, renderer_context: Mapping[str, Any]
    ) -> dict[str, Any]:
        context = super().get_context(data, accepted_media_type, renderer_context)
        context["site_name"] = settings.SITE_NAME
        view = renderer_context["view"]
        if renderer_context["response"].status_code == 200:
            parent = summaries.parent_title(view, data)
            context["name"] = summaries.heading(view, data, parent) or context.get("name")
            crumbs = list(context.get("breadcrumblist") or [])
            context["breadcrumblist"] = summaries.breadcrumbs(crumbs, context["name"], parent)
        summary = build_summary(view, data, renderer_context["response"])
        if summary is not None:
            context["summary_template"], context["summary"] = summary
        return context


def build_summary(
    view: "APIView", data: Any, response: Response
) -> tuple[str, dict[str, Any]] | None:
    """(template name, context) of the summary `view`'s page shows above the JSON, or None."""
    # Imported here: DRF loads this renderer while `rest_framework.views` is still importing.
    from rest_framework.routers import APIRootView

    request = view.request
    own = getattr(view, "browsable_summary", None)  # a view that builds its own summary
    if own is not None:
        return own(data, response)
    if isinstance(view, APIRootView):
        return "api/summary/root.html", _root_links(request)
    basename, action = getattr(view, "basename", None), getattr(view, "action", None)
    if basename == "search" and action == "list":
        return "api/summary/search.html", _search_results(request, data, response)
    if request.method != "GET" or response.status_code != 200:
        return None
    if basename == "package" and action == "retrieve":
        return "api/summary/package.html", _package_card(data.serializer.instance, request)
    if basename == "package" and action == "list":
        return "api/summary/package_list.html", summaries.package_list(data, request)
    if basename == "package" and action == "score":
        return "api/summary/score.html", summaries.score_breakdown(data)
    if basename == "package" and action == "versions":
        return "api/summary/versions.html", summaries.versions_table(data, view)
    if basename == "grid" and action == "list":
        return "api/summary/grid_list.html", summaries.grid_list(data)
    if basename == "category" and action == "retrieve":
        return "api/summary/category.html", summaries.category_page(data.serializer.instance)
    if basename == "grid" and action == "retrieve":
        return "api/summary/grid.html", _grid_packages(data.serializer.instance)
    if basename == "grid" and action == "comparison":
        return "api/summary/comparison.html", _comparison_table(data, request)
    return None


def _root_links(request: Request) -> dict[str, str]:
    return {
        "docs_url": reverse("docs"),
        "search_url": f"{reverse('search-list')}?format=api",
        "packages_url": f"{reverse('package-list')}?format=api",
        "grids_url": f"{reverse('grid-list')}?format=api",
        "categories_url": f"{reverse('category-list')}?format=api",
        "packages_feed_url": reverse("feed-packages"),
        "releases_feed_url": reverse("feed-releases"),
    }


def browsable_url(view_name: str, pk: int | str) -> str:
    return f"{reverse(view_name, kwargs={'pk': pk})}?format=api"


def _package_card(package: Package, request: Request) -> dict[str, Any]:
    """The package card: what `PackageViewSet`'s queryset fetched (category joined, grids
    prefetched with their names); no further query."""
    commits = package.commits_over_52 or []
    sources = package.figure_sources or {}
    sample = {name: True for name in FIGURES if is_sample(sources, name)}
    counted = package.pypi_downloads_at or sample.get("downloads")
    user = request.user
    return {
        "usage_count": package.usages.count(),
        "used": user.is_authenticated and package.usages.filter(user=user).exists(),
        "usage_url": reverse("package-usage", kwargs={"pk": package.pk}),
        "sample": sample,
        "package": package,
        "category_url": browsable_url("category-detail", package.category_id),
        "grids": [
            {"title": grid.title, "url": browsable_url("grid-detail", grid.pk)}
            for grid in sorted(package.grids.all(), key=lambda grid: grid.title.casefold())
        ],
        "pypi_project_url": pypi_project_url(package.pypi_url),
        "score_url": browsable_url("package-score", package.pk),
        "badge_url": reverse("package-badge", kwargs={"pk": package.slug}),
        # Unknown until pypistats.org has answered once for the package (or the demo made one).
        "downloads": package.pypi_downloads if counted else None,
        "participants_count": len(package.participants or ()),
        "sparkline": summaries.sparkline(commits),
        "freshness": package_freshness_words(package),  # one query
    }


def _grid_packages(grid: Grid) -> dict[str, Any]:
    """The grid's packages by name, from the prefetch `GridViewSet` made for the JSON."""
    packages = sorted(grid.packages.all(), key=lambda package: package.title.casefold())
    return {
        "grid": grid,
        "comparison_url": f"{reverse('grid-comparison', kwargs={'pk': grid.pk})}?format=api",
        "packages": [
            {
                "title": package.title,
                "url": browsable_url("package-detail", package.pk),
                "stars": package.repo_watchers,
                "score": package.score,
            }
            for package in packages
        ],
    }


def _comparison_table(data: Mapping[str, Any], request: Request) -> dict[str, Any]:
    """The comparison as a table, straight from the response's data (rows by score, stars)."""
    features = data["features"]
    ids = [row["id"] for row in data["packages"]]
    sample = set(
        Package.objects.filter(pk__in=ids, figure_sources__stars__source="sample").values_list(
            "id", flat=True
        )
    )
    rows = []
    for row in data["packages"]:
        cells = []
        for feature in features:
            cell = row["cells"][str(feature["id"])]
            cells.append({"text": cell["text"], "mark": _MARK_LABELS[cell["mark"]]})
        rows.append(
            {
                "title": row["title"],
                "url": browsable_url("package-detail", row["id"]),
                "stars": row["repo_watchers"],
                "sample": row["id"] in sample,
                "score": row["score"],
                "is_archived": row["is_archived"],
                "is_deprecated": row["is_deprecated"],
                "cells": cells,
            }
        )
    grid = data["grid"]
    return {
        "grid_title": grid["title"],
        "grid_url": browsable_url("grid-detail", grid["id"]),
        "csv_url": f"{reverse('grid-comparison', kwargs={'pk': grid['id']})}?format=csv",
        "features": features,
        "rows": rows,
    }


def _search_results(request: Request, data: Any, response: Response) -> dict[str, Any]:
    """The search box, and the hits grouped by kind (packages first) when the search ran."""
    hits = data if response.status_code == 200 and isinstance(data, list) else []
    groups = []
    for kind, heading in (("package", "Packages"), ("grid", "Grids")):
        # Each hit's `url` is its API URL as this request renders links (`?format=api` kept).
        items = [hit for hit in hits if hit["item_type"] == kind]
        groups.append({"kind": kind, "heading": heading, "items": items})
    query = request.query_params.get("q", "")
    package_ids = [hit["id"] for hit in hits if hit["item_type"] == "package"]
    return {
        # The package hits as the package list's table: one query for their rows, by id.
        "package_rows": summaries.package_rows(package_ids) if package_ids else [],
        "query": query,
        "searched": response.status_code == 200 and bool(query.strip()),
        "groups": groups,
        "action": reverse("search-list"),
    }
