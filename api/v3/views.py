"""API v3 views: read-only, by slug, conditional like v4 (`api.conditional`)."""

from collections.abc import Callable
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.exceptions import ParseError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from api.conditional import ConditionalMixin
from api.v3.rendering import V3JSONRenderer, paginate, v3_exception_handler
from api.v3.representations import (
    CATEGORIES,
    GRIDS,
    PACKAGES,
    Links,
    category_resource,
    grid_resource,
    package_resource,
)
from categories.models import Category
from common.text import forbidden_character
from grids.models import Grid
from packages.models import Package


def packages_for_v3() -> QuerySet[Package]:
    """Packages by title with what `package_resource` reads: one query for the page, one for
    the grids of all its rows."""
    grids = Grid.objects.only("id", "slug").order_by("title", "id")
    return (
        Package.objects.select_related("category")
        .prefetch_related(Prefetch("grids", queryset=grids))
        .with_usage_count()
        .order_by("title", "id")
    )


def grids_for_v3() -> QuerySet[Grid]:
    packages = Package.objects.only("id", "slug").order_by("title", "id")
    # The stubs cannot type a Prefetch through a custom manager's queryset.
    prefetch = Prefetch("packages", queryset=packages)
    return Grid.objects.prefetch_related(prefetch).order_by("title", "id")  # type: ignore[arg-type]


@extend_schema(exclude=True)
class V3ViewSet(ConditionalMixin, viewsets.ViewSet):
    """djangopackages.org's v3 JSON; documented in README, not in the v4 OpenAPI schema."""

    renderer_classes = [V3JSONRenderer]
    permission_classes = [AllowAny]  # read-only: any other method is a 405
    http_method_names = ["get", "head", "options"]

    def get_exception_handler(self) -> Callable[[Exception, dict], Response | None]:
        return v3_exception_handler

    def cached(self, request: Request, produce: Callable[[Links], dict]) -> Response:
        return Response(produce(Links()))

    def list_document(
        self,
        request: Request,
        queryset: QuerySet[Any],
        resource: Callable[[Any, Links], dict],
        links: Links,
        extra: dict | None = None,
    ) -> dict:
        page = paginate(request, queryset)
        return {
            "meta": page.meta,
            **(extra or {}),
            "objects": [resource(row, links) for row in page.rows],
        }


class V3RootView(V3ViewSet):
    def list(self, request: Request) -> Response:
        return self.cached(
            request,
            lambda links: {name: links.list(name) for name in (CATEGORIES, GRIDS, PACKAGES)},
        )


class V3PackageViewSet(V3ViewSet):
    def list(self, request: Request) -> Response:
        queryset = packages_for_v3()
        category = request.query_params.get("category")
        if category and forbidden_character(category) is not None:
            # Never a slug, and PostgreSQL refuses a NUL in a query: a 400, not a 500.
            raise ParseError(f"category {category[:100]!r} is not a category slug.")
        if category:
            queryset = queryset.filter(category__slug=category)
        return self.cached(
            request,
            lambda links: self.list_document(
                request, queryset, package_resource, links, {"category": None}
            ),
        )

    def retrieve(self, request: Request, slug: str) -> Response:
        return self.cached(
            request,
            lambda links: package_resource(get_object_or_404(packages_for_v3(), slug=slug), links),
        )


class V3GridViewSet(V3ViewSet):
    def list(self, request: Request) -> Response:
        return self.cached(
            request, lambda links: self.list_document(request, grids_for_v3(), grid_resource, links)
        )

    def retrieve(self, request: Request, slug: str) -> Response:
        return self.cached(
            request,
            lambda links: grid_resource(get_object_or_404(grids_for_v3(), slug=slug), links),
        )

    def packages(self, request: Request, slug: str) -> Response:
        def produce(links: Links) -> dict:
            grid = get_object_or_404(Grid.objects.only("id", "slug"), slug=slug)
            queryset = packages_for_v3().filter(grids=grid)
            extra = {"grid": links.detail(GRIDS, grid.slug)}
            return self.list_document(request, queryset, package_resource, links, extra)

        return self.cached(request, produce)


class V3CategoryViewSet(V3ViewSet):
    def list(self, request: Request) -> Response:
        queryset = Category.objects.order_by("title", "id")
        return self.cached(
            request, lambda links: self.list_document(request, queryset, category_resource, links)
        )

    def retrieve(self, request: Request, slug: str) -> Response:
        return self.cached(
            request,
            lambda links: category_resource(get_object_or_404(Category, slug=slug), links),
        )
