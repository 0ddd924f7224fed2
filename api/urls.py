"""One DefaultRouter for every API v4 resource, the OpenAPI schema and its docs page, the
token endpoint and the browsable API's login pages."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView
from rest_framework.routers import DefaultRouter

from api.editing import AuthTokenView, CellViewSet, FeatureViewSet, GridPackageViewSet
from api.views import CategoryViewSet, GridViewSet, PackageViewSet, SearchViewSet

router = DefaultRouter()
router.register("categories", CategoryViewSet, basename="category")
router.register("grids", GridViewSet, basename="grid")
router.register("packages", PackageViewSet, basename="package")
router.register("search", SearchViewSet, basename="search")
router.register(r"grids/(?P<grid>[^/.]+)/packages", GridPackageViewSet, basename="grid-package")
router.register(r"grids/(?P<grid>[^/.]+)/features", FeatureViewSet, basename="grid-feature")
router.register(r"grids/(?P<grid>[^/.]+)/cells", CellViewSet, basename="grid-cell")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularRedocView.as_view(url_name="schema"), name="docs"),
    path("auth/token/", AuthTokenView.as_view(), name="auth-token"),
    path("api-auth/", include("rest_framework.urls")),
    *router.urls,
]
