"""Readiness: `GET /api/v4/packages/{id}/readiness/` (the Python and Django versions a package's
latest release declares) and `GET /api/v4/grids/{id}/readiness/` (the grid's packages against
every version any of them declares), with a table on the browsable page. The work is done by
packages.readiness; these views look the object up."""

from typing import Any

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.lookups import id_or_slug
from api.status_views import ID_OR_SLUG, package_or_404
from grids.models import Grid
from packages.readiness import readiness_document, readiness_matrix


class PackageReadinessView(APIView):
    """The Python 3 and Django versions the package's latest release declares: from its
    classifiers, or from `requires_python` where they name no Python version (`source`)."""

    permission_classes = [AllowAny]

    @extend_schema(parameters=[ID_OR_SLUG], responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, pk: str) -> Response:
        return Response(readiness_document(package_or_404(pk)))


class GridReadinessView(APIView):
    """The grid's packages against every Python and Django version any of them declares."""

    permission_classes = [AllowAny]

    @extend_schema(parameters=[ID_OR_SLUG], responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, pk: str) -> Response:
        lookup = id_or_slug(pk)
        grid = Grid.objects.filter(**lookup).first() if lookup else None
        if grid is None:
            raise Http404("No grid has this id or slug.")
        packages = grid.packages.only("id", "slug", "title").order_by("title", "id")
        return Response({"grid": grid.slug, **readiness_matrix(packages)})

    def browsable_summary(self, data: Any, response: Response) -> tuple[str, dict] | None:
        if response.status_code != 200:
            return None
        return "api/summary/readiness.html", {"table": readiness_table(data)}


def readiness_table(matrix: dict[str, Any]) -> dict[str, Any]:
    """Header and rows of the browsable table: a mark per package and version."""
    columns = [("Python", v) for v in matrix["versions"]["python"]]
    columns += [("Django", v) for v in matrix["versions"]["django"]]
    rows = []
    for package in matrix["packages"]:
        declared = {("Python", v) for v in package["python"]}
        declared |= {("Django", v) for v in package["django"]}
        rows.append({"title": package["title"], "marks": [c in declared for c in columns]})
    return {"columns": [f"{kind} {version}" for kind, version in columns], "rows": rows}
