"""The writing half of the API: the edit mixin the resource viewsets share and the grid content
endpoints (/grids/{grid}/packages/, /features/, /cells/)."""

from collections.abc import Sequence
from functools import cached_property
from typing import Any

from django.db.models import Model, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from api.lookups import id_or_slug
from api.mixin_base import ViewSetMixinBase
from api.permissions import GridContentPermission, is_staff
from api.serializers.read import (
    GridCellSerializer,
    GridFeatureSerializer,
    GridPackageSerializer,
)
from api.serializers.write import (
    GridCellTextSerializer,
    GridCellWriteSerializer,
    GridFeatureWriteSerializer,
    GridPackageWriteSerializer,
)
from categories import editing as category_editing
from categories.models import Category
from grids import editing as grid_editing
from grids.models import Element, Feature, Grid, GridPackage
from packages import editing as package_editing
from packages.models import Package
from packages.repositories import is_fetchable_repo

GRID = OpenApiParameter(
    "grid", OpenApiTypes.STR, OpenApiParameter.PATH, description="The grid's id, or its slug."
)
PACKAGE_IN_GRID = OpenApiParameter(
    "package",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The package's id, or its slug.",
)
ROW_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)
ERRORS = {
    400: OpenApiResponse(description="Invalid or read-only fields, each named with the reason."),
    401: OpenApiResponse(description="Not signed in (`WWW-Authenticate: Token`)."),
    403: OpenApiResponse(description="Signed in but not allowed, e.g. on a locked grid."),
    413: OpenApiResponse(description="Request body too large."),
    429: OpenApiResponse(description="Throttled: retry after `Retry-After` seconds."),
}
REFUSED = {code: ERRORS[code] for code in (401, 403, 429)}


def write_schema(
    read: type[BaseSerializer], write: type[BaseSerializer], *, parameters: Sequence[Any] = ()
) -> dict[str, Any]:
    """drf-spectacular overrides for create / update / partial_update / destroy."""
    update = extend_schema(
        parameters=list(parameters), request=write, responses={200: read, **ERRORS}
    )
    return {
        "create": extend_schema(request=write, responses={201: read, **ERRORS}),
        "update": update,
        "partial_update": update,
        "destroy": extend_schema(
            parameters=list(parameters),
            responses={204: None, 409: OpenApiResponse(description="Still in use."), **REFUSED},
        ),
    }


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "It is still in use."
    default_code = "conflict"


class EditMixin(ViewSetMixinBase):
    """Writes: input through `write_serializer_class`, the answer in the read representation.

    `write_serializer_class` also drives the browsable API's forms. Deletes call
    `perform_destroy`, which views point at their editing function.
    """

    write_serializer_class: type[BaseSerializer] | None = None

    @property
    def allowed_methods(self) -> list[str]:
        """Anonymous clients are told only the methods they may use (the seed's `Allow`)."""
        methods = super().allowed_methods
        user = getattr(getattr(self, "request", None), "_user", None)
        if user is not None and user.is_authenticated:
            return methods
        return [method for method in methods if method in SAFE_METHODS]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        # DRF fills `Allow` before authenticating; now the user is known.
        self.headers["Allow"] = ", ".join(self.allowed_methods)

    def get_serializer_class(self) -> Any:
        if self.request is not None and self.request.method in {"POST", "PUT", "PATCH"}:
            return self.write_serializer_class
        return self.serializer_class

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        instance = serializer.save()
        created = getattr(serializer, "created", True)
        return self.answer(instance, status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    def update(
        self, request: Request, *args: Any, partial: bool = False, **kwargs: Any
    ) -> Response:
        serializer = self.get_serializer(self.get_object(), data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return self.answer(serializer.save(), status.HTTP_200_OK)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.update(request, *args, partial=True, **kwargs)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.perform_destroy(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    def answer(self, instance: Model, code: int) -> Response:
        fresh = self.get_queryset().get(pk=instance.pk)
        read_serializer = self.serializer_class
        assert read_serializer is not None, f"{type(self).__name__} names no serializer_class"
        data = read_serializer(fresh, context=self.get_serializer_context()).data
        return Response(data, status=code)


class CategoryEditMixin(EditMixin):
    def perform_destroy(self, instance: Category) -> None:
        try:
            category_editing.delete_category(category=instance)
        except category_editing.CategoryInUseError as exc:
            raise Conflict(str(exc)) from None


class GridEditMixin(EditMixin):
    def perform_destroy(self, instance: Grid) -> None:
        grid_editing.delete_grid(grid=instance, user=self.request.user)


class PackageEditMixin(EditMixin):
    def perform_destroy(self, instance: Package) -> None:
        package_editing.delete_package(package=instance, user=self.request.user)

    def answer(self, instance: Model, code: int) -> Response:
        response = super().answer(instance, code)
        repo_url = instance.repo_url if isinstance(instance, Package) else ""
        if repo_url and not is_fetchable_repo(repo_url):
            # Accepted, but no forge client knows this host: say so rather than stay silent.
            response["X-Repo-Stats"] = "unsupported-host"
        return response


class GridContentMixin(ViewSetMixinBase):
    """Resources under /grids/{grid}/: the grid comes from the path (404 when unknown)."""

    permission_classes = [GridContentPermission]

    @cached_property
    def grid(self) -> Grid:
        lookup = id_or_slug(self.kwargs.get("grid"))
        if lookup is None:
            raise Http404
        return get_object_or_404(Grid, **lookup)

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False):
            context["grid"] = self.grid
        return context


@extend_schema(parameters=[GRID])
@extend_schema_view(
    retrieve=extend_schema(parameters=[PACKAGE_IN_GRID]),
    create=extend_schema(
        request=GridPackageWriteSerializer, responses={201: GridPackageSerializer, **ERRORS}
    ),
    destroy=extend_schema(parameters=[PACKAGE_IN_GRID], responses={204: None, **REFUSED}),
)
class GridPackageViewSet(
    GridContentMixin,
    EditMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The packages (rows) of a grid: add one with POST, remove one with DELETE."""

    serializer_class = GridPackageSerializer
    write_serializer_class = GridPackageWriteSerializer
    lookup_url_kwarg = "package"
    anyone_may_delete = True

    def get_queryset(self) -> QuerySet[GridPackage]:
        if getattr(self, "swagger_fake_view", False):
            return GridPackage.objects.none()
        return GridPackage.objects.filter(grid=self.grid).order_by("id")

    def get_object(self, queryset: QuerySet[GridPackage] | None = None) -> GridPackage:
        lookup = id_or_slug(self.kwargs["package"])
        if lookup is None:
            raise Http404
        ((name, value),) = lookup.items()
        instance = get_object_or_404(self.get_queryset(), **{f"package__{name}": value})
        self.check_object_permissions(self.request, instance)
        return instance

    def perform_destroy(self, instance: GridPackage) -> None:
        user = self.request.user
        only = None if is_staff(user) else user  # the permission's rule, again under the locks
        grid_editing.remove_package(membership=instance, user=user, only_cells_by=only)


@extend_schema(parameters=[GRID])
@extend_schema_view(
    retrieve=extend_schema(parameters=[ROW_ID]),
    **write_schema(GridFeatureSerializer, GridFeatureWriteSerializer, parameters=[ROW_ID]),
)
class FeatureViewSet(GridContentMixin, EditMixin, viewsets.ModelViewSet):
    """The features (columns) of a grid."""

    serializer_class = GridFeatureSerializer
    write_serializer_class = GridFeatureWriteSerializer

    def get_queryset(self) -> QuerySet[Feature]:
        if getattr(self, "swagger_fake_view", False):
            return Feature.objects.none()
        return Feature.objects.filter(grid=self.grid).order_by("id")

    def perform_destroy(self, instance: Feature) -> None:
        user = self.request.user
        only = None if is_staff(user) else user
        grid_editing.delete_feature(feature=instance, user=user, only_cells_by=only)


@extend_schema(parameters=[GRID])
@extend_schema_view(
    retrieve=extend_schema(parameters=[ROW_ID]),
    create=extend_schema(
        description="Set the cell for a package and a feature of this grid: 201 when it is "
        "new, 200 when an existing cell was overwritten.",
        request=GridCellWriteSerializer,
        responses={200: GridCellSerializer, 201: GridCellSerializer, **ERRORS},
    ),
    update=extend_schema(
        parameters=[ROW_ID],
        request=GridCellTextSerializer,
        responses={200: GridCellSerializer, **ERRORS},
    ),
    partial_update=extend_schema(
        parameters=[ROW_ID],
        request=GridCellTextSerializer,
        responses={200: GridCellSerializer, **ERRORS},
    ),
    destroy=extend_schema(parameters=[ROW_ID], responses={204: None, **REFUSED}),
)
class CellViewSet(GridContentMixin, EditMixin, viewsets.ModelViewSet):
    """The cells of a grid: what it says about one package (row) for one feature (column)."""

    serializer_class = GridCellSerializer
    write_serializer_class = GridCellWriteSerializer

    def get_serializer_class(self) -> Any:
        if self.request is not None and self.request.method in {"PUT", "PATCH"}:
            return GridCellTextSerializer
        return super().get_serializer_class()

    def get_queryset(self) -> QuerySet[Element]:
        if getattr(self, "swagger_fake_view", False):
            return Element.objects.none()
        return (
            Element.objects.filter(grid_package__grid=self.grid)
            .select_related("grid_package")
            .order_by("id")
        )

    def perform_destroy(self, instance: Element) -> None:
        grid_editing.delete_cell(cell=instance, user=self.request.user)
