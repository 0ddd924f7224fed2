"""API v4 viewsets: declarations over optimised querysets, plus search and the schema view."""

import re
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpResponseBase, JsonResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from drf_spectacular.views import SpectacularAPIView
from rest_framework import mixins, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import APIRootView

import search
from api.browsable import BrowsableRenderer, is_browsable
from api.conditional import ConditionalMixin
from api.detail_actions import GridComparisonMixin, PackageScoreMixin
from api.editing import CategoryEditMixin, GridEditMixin, PackageEditMixin, write_schema
from api.filters import CategoryFilter, GridFilter, PackageFilter
from api.list_params import FilterBackend
from api.lookups import id_or_slug
from api.mixin_base import ViewSetMixinBase
from api.permissions import CategoryPermission, GridPermission, PackagePermission
from api.readiness_filters import schema_parameters as readiness_parameters
from api.rendering import (
    CATEGORY_JSON,
    GRID_JSON,
    PACKAGE_JSON,
    JSONDocument,
    JSONRenderer,
    Links,
    RowJSON,
)
from api.search_hits import asked_search
from api.serializers.read import (
    CategorySerializer,
    GridSerializer,
    PackageSerializer,
    SearchResultSerializer,
)
from api.serializers.write import (
    CategoryWriteSerializer,
    GridWriteSerializer,
    PackageWriteSerializer,
)
from api.throttling import AnonThrottle, CreateThrottle, UserThrottle, count_all
from api.usage import PackageUsageMixin
from categories.models import Category
from grids.models import Grid
from packages.models import Package

ID_OR_SLUG = OpenApiParameter(
    "id",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="A numeric id, or a slug.",
)


class CatalogueRootView(APIRootView):
    """Every resource of the catalogue: packages, grids and their comparisons, categories,
    and search."""

    def get_view_name(self) -> str:
        return f"{settings.SITE_NAME} API"


class ThrottleOnceMixin(ViewSetMixinBase):
    """Every throttle of a request counted in one round trip to the bucket store."""

    def check_throttles(self, request: Request) -> None:
        throttles = self.get_throttles()
        allowed = count_all(request, self, throttles)
        waits = [throttle.wait() for throttle, ok in zip(throttles, allowed, strict=True) if not ok]
        if waits:
            durations = [wait for wait in waits if wait is not None]
            self.throttled(request, max(durations) if durations else None)  # type: ignore[arg-type]  # DRF takes None


class IdOrSlugLookupMixin(ViewSetMixinBase):
    """A numeric path segment is looked up as the id, anything else as the slug."""

    def get_object(self, queryset: QuerySet[Any] | None = None) -> Any:
        """The object the URL names, from `queryset` (default: the viewset's queryset)."""
        instance = get_object_or_404(
            self.get_queryset() if queryset is None else queryset, **self.lookup()
        )
        self.check_object_permissions(self.request, instance)
        return instance

    def lookup(self) -> dict[str, int | str]:
        """The filter naming the URL's object (a 404 when the segment names none)."""
        lookup = id_or_slug(self.kwargs[self.lookup_url_kwarg or self.lookup_field])
        if lookup is None:
            raise Http404
        return lookup


class ReadViewSet(
    IdOrSlugLookupMixin,
    ThrottleOnceMixin,
    ConditionalMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Base of the resource viewsets: conditional reads; writes come from api.editing.

    Plain anonymous JSON reads are answered from stored documents before this viewset runs
    (api/reads.py); what reaches it is built from rows by `api.rendering` (no instances, no
    serializer), the browsable API through the serializer and the instances it shows.
    """

    renderer_classes = [JSONRenderer, BrowsableRenderer]
    filter_backends = [FilterBackend]
    row_json: RowJSON | None = None

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        row_json = self._row_json(request)
        if row_json is None:
            return super().list(request, *args, **kwargs)
        queryset = self.filter_queryset(self.get_queryset())
        rows = self.paginate_queryset(row_json.rows(queryset))
        assert rows is not None  # api.pagination always has a limit
        links = Links(request, self.format_kwarg)
        response = self.get_paginated_response(row_json.documents(rows, links))
        response.data = JSONDocument(response.data)
        return response

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        row_json = self._row_json(request)
        if row_json is None:
            instance = self.get_object()
            data, modified = self.get_serializer(instance).data, instance.modified
        else:
            rows = row_json.rows(self.get_queryset(), members=True)
            row = get_object_or_404(rows, **self.lookup())
            # The permissions see the row: each allows a safe method without reading it.
            self.check_object_permissions(request, row)
            (data,) = row_json.documents([row], Links(request, self.format_kwarg))
            data, modified = JSONDocument(data), row["modified"]
        response = Response(data)
        response.last_modified = modified  # type: ignore[attr-defined]  # api.conditional reads it
        return response

    def _row_json(self, request: Request) -> RowJSON | None:
        if self.row_json is None or request.accepted_renderer.format != "json":
            return None
        return self.row_json


@extend_schema_view(
    retrieve=extend_schema(parameters=[ID_OR_SLUG]),
    **write_schema(CategorySerializer, CategoryWriteSerializer, parameters=[ID_OR_SLUG]),
)
class CategoryViewSet(CategoryEditMixin, ReadViewSet):
    """API endpoint that allows categories to be viewed or edited."""

    queryset = Category.objects.order_by("-id")
    serializer_class = CategorySerializer
    row_json = CATEGORY_JSON
    write_serializer_class = CategoryWriteSerializer
    filterset_class = CategoryFilter
    permission_classes = [CategoryPermission]


@extend_schema_view(
    retrieve=extend_schema(parameters=[ID_OR_SLUG]),
    **write_schema(GridSerializer, GridWriteSerializer, parameters=[ID_OR_SLUG]),
)
class GridViewSet(GridComparisonMixin, GridEditMixin, ReadViewSet):
    """API endpoint that allows grids to be viewed or edited."""

    # The browsable page lists the packages by name, stars and score from the same prefetch.
    member_rows = Package.objects.only("id", "title", "repo_watchers", "score").order_by("id")
    # The stubs cannot type a Prefetch through a custom manager's queryset.
    queryset = Grid.objects.prefetch_related(
        Prefetch("packages", queryset=member_rows)  # type: ignore[arg-type]
    ).order_by("-id")
    serializer_class = GridSerializer
    row_json = GRID_JSON
    write_serializer_class = GridWriteSerializer
    filterset_class = GridFilter
    permission_classes = [GridPermission]
    throttle_classes = [AnonThrottle, UserThrottle, CreateThrottle]


@extend_schema_view(
    retrieve=extend_schema(parameters=[ID_OR_SLUG]),
    **write_schema(PackageSerializer, PackageWriteSerializer, parameters=[ID_OR_SLUG]),
)
class PackageViewSet(PackageScoreMixin, PackageUsageMixin, PackageEditMixin, ReadViewSet):
    """API endpoint that allows packages to be viewed or edited."""

    # The browsable page's card names the grids from the same prefetch.
    queryset = Package.objects.prefetch_related(
        # The stubs cannot type a Prefetch of a reverse many-to-many by name.
        Prefetch("grids", queryset=Grid.objects.only("id", "title").order_by("id"))  # type: ignore[arg-type]
    ).order_by("-id")
    serializer_class = PackageSerializer
    row_json = PACKAGE_JSON
    write_serializer_class = PackageWriteSerializer
    filterset_class = PackageFilter
    permission_classes = [PackagePermission]
    throttle_classes = [AnonThrottle, UserThrottle, CreateThrottle]

    def get_queryset(self) -> QuerySet[Package]:
        queryset = super().get_queryset()
        if self.action == "retrieve" and is_browsable(self.request):
            # The browsable page's card names the category.
            queryset = queryset.select_related("category")
        return queryset


class SearchViewSet(ThrottleOnceMixin, ConditionalMixin, viewsets.GenericViewSet):
    """Ranked search over packages and grids.

    A plain JSON list (no pagination envelope), best match first: exact title or slug,
    then title/slug prefix, then all words in the title, then words anywhere (word forms, the
    description, category and contributors too), then near spellings; stars break ties. A
    leading `django-` is ignored, so "rest framework" finds django-rest-framework. Any text is
    a query: a long one is searched by its most useful words, named in `X-Search-Terms`.
    """

    serializer_class = SearchResultSerializer
    pagination_class = None
    filter_backends = []
    # Tokens a search takes from its client's budget (a read takes 1): an uncached search costs
    # the server about two detail reads (docs/api.md#throttles).
    throttle_cost = 2

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "q",
                OpenApiTypes.STR,
                description="Any text: a name, some words, a whole question.",
            ),
            OpenApiParameter(
                "X-Search-Terms",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                response=True,
                description="The words searched for (stop words and words about asking "
                f"dropped, at most {search.MAX_TERMS}), space-separated, each percent-encoded.",
            ),
            OpenApiParameter(
                "limit",
                OpenApiTypes.INT,
                description=f"At most this many results (default {search.DEFAULT_LIMIT}, "
                f"at most {search.MAX_LIMIT}).",
            ),
            *readiness_parameters(),
        ],
        responses=SearchResultSerializer(many=True),
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._search()

    def get_queryset(self) -> QuerySet[Package]:
        # Only for the browsable API's introspection; searching goes through search.
        return Package.objects.none()

    @property
    def default_response_headers(self) -> dict[str, str]:
        # Every response names the terms: those the search used, once it ran.
        terms = getattr(self, "search_terms", None)
        if terms is None:
            terms = search.choose_terms(self.request.query_params.get("q", ""))
        return {**super().default_response_headers, "X-Search-Terms": search.header_value(terms)}

    def _search(self) -> Response:
        hits, self.search_terms = asked_search(self.request).run(self.request)
        self.headers["X-Search-Terms"] = search.header_value(self.search_terms)
        return Response(hits)


_SCHEMA_VERSION = re.compile(r"^[A-Za-z0-9.-]{1,20}$")


class SchemaView(SpectacularAPIView):
    """The OpenAPI schema. `?version=` names the download (`Content-Disposition`), so it is a
    short token of letters, digits, `.` and `-`, or a 400."""

    @extend_schema(exclude=True)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponseBase:
        version = request.query_params.get("version")
        if version is not None and not _SCHEMA_VERSION.match(version):
            # JSON like every API error, not the schema's own YAML renderer.
            return JsonResponse(
                {"version": ["At most 20 letters, digits, '.' or '-'."]}, status=400
            )
        return super().get(request, *args, **kwargs)
