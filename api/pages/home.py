"""`/`: the home page. A search box whose results come as you type (static/api/home.js asks
`/api/v4/search/`), the categories with their package counts, the featured grids, and the
recently updated, recently released and most used packages."""

from typing import Any

from django.conf import settings
from django.db.models import Count, F, Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from categories.models import Category
from grids.models import Grid
from packages.models import Package

SECTION_SIZE = 8


def _package_url(pk: int) -> str:
    return f"{reverse('package-detail', kwargs={'pk': pk})}?format=api"


def _rows(packages: Any, when: str | None = None) -> list[dict[str, Any]]:
    return [
        {
            "title": package.title,
            "url": _package_url(package.pk),
            "description": package.repo_description,
            "stars": package.repo_watchers,
            "has_repo": bool(package.repo_url),
            "when": getattr(package, when) if when else None,
            "usage": getattr(package, "usage_count", None),
        }
        for package in packages
    ]


def home_sections() -> dict[str, Any]:
    """What the home page lists: a few queries, each bounded by SECTION_SIZE rows."""
    fields = ("id", "title", "repo_description", "repo_watchers", "repo_url")
    listed = Package.objects.only(*fields)
    categories = Category.objects.annotate(count=Count("packages")).order_by("title")
    featured = Grid.objects.filter(header=True).annotate(count=Count("packages")).order_by("title")
    updated = listed.filter(last_updated__isnull=False).order_by(F("last_updated").desc(), "id")
    released = (
        listed.annotate(released=Max("versions__upload_time"))
        .filter(released__isnull=False)
        .order_by(F("released").desc(), "id")
    )
    used = listed.with_usage_count().order_by("-usage_count", "-repo_watchers", "id")
    return {
        "categories": [
            {
                "title": category.title_plural or category.title,
                "url": f"{reverse('category-detail', kwargs={'pk': category.pk})}?format=api",
                "count": category.count,
            }
            for category in categories
        ],
        "grids": [
            {
                "title": grid.title,
                "url": f"{reverse('grid-detail', kwargs={'pk': grid.pk})}?format=api",
                "description": grid.description,
                "count": grid.count,  # type: ignore[attr-defined]  # annotated
            }
            for grid in featured[:SECTION_SIZE]
        ],
        "updated": _rows(updated.only(*fields, "last_updated")[:SECTION_SIZE], "last_updated"),
        "released": _rows(released[:SECTION_SIZE], "released"),
        "used": _rows(used[:SECTION_SIZE]),
        "has_sample": Package.objects.filter(figure_sources__stars__source="sample").exists(),
    }


def home(request: HttpRequest) -> HttpResponse:
    context = {
        "site_name": settings.SITE_NAME,
        "search_api": reverse("search-list"),
        "search_page": reverse("search-list"),
        "packages_url": f"{reverse('package-list')}?format=api",
        "grids_url": f"{reverse('grid-list')}?format=api",
        "api_url": reverse("api-root"),
        **home_sections(),
    }
    return render(request, "api/home.html", context)
