"""Read actions beyond API v4's resources: a grid's comparison, a package's score and versions.

Each is a viewset mixin adding one `@action`; the work is done by `grids.comparison` and
`packages.scoring`, so these stay declarations plus URL building.
"""

from collections.abc import Mapping
from typing import Any

from django.db.models import F, Prefetch, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import renderers, serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from api.browsable import BrowsableRenderer
from api.mixin_base import ViewSetMixinBase
from api.readiness_filters import declared_params, keep_declaring
from api.readiness_filters import schema_parameters as readiness_parameters
from api.serializers.read import GridSerializer, detail_url_builder
from grids.comparison import (
    COMPARISON_PACKAGE_FIELDS,
    build_comparison,
    render_comparison_csv,
)
from grids.models import Grid
from packages.models import Package, Version
from packages.scoring import compute_score


class CSVRenderer(renderers.BaseRenderer):
    """Text already rendered as CSV (errors are switched to JSON before they get here)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> Any:
        return data.encode(self.charset) if isinstance(data, str) else data


class CellSerializer(serializers.Serializer):
    text = serializers.CharField()
    mark = serializers.ChoiceField(choices=["yes", "no", "partial", "none"])


class ComparisonFeatureSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField()


class ComparisonRowSerializer(serializers.Serializer):
    url = serializers.URLField(help_text="The package's API URL.")
    id = serializers.IntegerField()
    title = serializers.CharField()
    slug = serializers.CharField()
    repo_watchers = serializers.IntegerField()
    repo_forks = serializers.IntegerField()
    last_updated = serializers.DateTimeField(allow_null=True)
    pypi_version = serializers.CharField(allow_null=True)
    commits_over_52 = serializers.ListField(child=serializers.IntegerField())
    participants_count = serializers.IntegerField()
    score = serializers.IntegerField()
    is_archived = serializers.BooleanField()
    is_deprecated = serializers.BooleanField()
    cells = serializers.DictField(
        child=CellSerializer(), help_text='One cell per feature, keyed by the feature id ("12").'
    )


class ComparisonSerializer(serializers.Serializer):
    grid = GridSerializer()
    features = ComparisonFeatureSerializer(many=True)
    packages = ComparisonRowSerializer(many=True)


class ScoreComponentSerializer(serializers.Serializer):
    name = serializers.CharField()
    points = serializers.FloatField()
    max = serializers.FloatField()
    inputs = serializers.DictField()


class ScoreSerializer(serializers.Serializer):
    score = serializers.IntegerField(help_text="0-100, the sum of the components' points.")
    components = ScoreComponentSerializer(many=True)


class VersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Version
        fields = ["number", "upload_time", "is_yanked", "is_prerelease", "requires_python"]


class GridComparisonMixin(ViewSetMixinBase):
    """`GET grids/{id or slug}/comparison/`: the grid as a table (JSON, or CSV for spreadsheets)."""

    def handle_exception(self, exc: Exception) -> Response:
        if getattr(self.request, "accepted_renderer", None) and (
            self.request.accepted_renderer.format == "csv"
        ):
            self.request.accepted_renderer = renderers.JSONRenderer()
            self.request.accepted_media_type = "application/json"
        return super().handle_exception(exc)

    @extend_schema(
        summary="A grid's comparison table",
        description=(
            "Features across, packages down (by score, then stars), a classified cell for each "
            "pair. `?format=csv` or `comparison.csv` gives a spreadsheet. `?python=` and "
            "`?django=` keep the packages whose latest release declares that version."
        ),
        parameters=readiness_parameters(),
        responses=ComparisonSerializer,
    )
    @action(
        detail=True,
        methods=["get"],
        renderer_classes=[renderers.JSONRenderer, BrowsableRenderer, CSVRenderer],
        pagination_class=None,
        filter_backends=[],
    )
    def comparison(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        asked = declared_params(request.query_params)  # ?python= / ?django=: a 400 if bad
        if request.accepted_renderer.format == "csv":
            grid = self.get_object(_grid_with_comparison_rows())
            comparison = build_comparison(grid)
            comparison["packages"] = keep_declaring(comparison["packages"], asked)
            response = Response(render_comparison_csv(comparison))
            response["Content-Disposition"] = f'attachment; filename="{grid.slug}-comparison.csv"'
            return response
        return self._comparison(request, self.get_object(_grid_with_comparison_rows()))

    def _comparison(self, request: Request, grid: Grid) -> Response:
        comparison = build_comparison(grid)
        asked = declared_params(request.query_params)
        comparison["packages"] = keep_declaring(comparison["packages"], asked)
        package_url = detail_url_builder("package-detail", request)
        rows = []
        for row in comparison["packages"]:
            participants = row.pop("participants")
            rows.append({"url": package_url(row["id"]), **row, "participants_count": participants})
        return Response(
            {
                "grid": self.get_serializer(grid).data,
                "features": comparison["features"],
                "packages": ComparisonRowSerializer(rows, many=True).data,
            }
        )


def _grid_with_comparison_rows() -> QuerySet[Grid]:
    """Grids with their packages prefetched as comparison rows read them: the grid's own JSON
    and the table share one query for the packages."""
    rows = Package.objects.only(*COMPARISON_PACKAGE_FIELDS).order_by("id")
    # The stubs cannot type a Prefetch through a custom manager's queryset.
    return Grid.objects.prefetch_related(Prefetch("packages", queryset=rows))  # type: ignore[arg-type]


class PackageScoreMixin(ViewSetMixinBase):
    """`GET packages/{id or slug}/score/` and `.../versions/`: why a package scores what it does,
    and its PyPI releases newest first."""

    @extend_schema(summary="A package's score and how it is made", responses=ScoreSerializer)
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def score(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        packages = Package.objects.select_related("fetch_state").prefetch_related("versions")
        package = self.get_object(packages)
        return Response(ScoreSerializer(compute_score(package).as_dict()).data)

    @extend_schema(
        summary="A package's PyPI releases, newest first",
        responses=VersionSerializer(many=True),
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def versions(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        package = self.get_object(Package.objects.only("id"))
        releases = Version.objects.filter(package=package).order_by(
            F("upload_time").desc(nulls_last=True), "-id"
        )
        page = self.paginate_queryset(releases)
        return self.get_paginated_response(VersionSerializer(page, many=True).data)
