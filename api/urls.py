"""One DefaultRouter for every API v4 resource, the OpenAPI schema and its docs page."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView
from rest_framework.routers import DefaultRouter

from api.views import CategoryViewSet, GridViewSet, PackageViewSet, SearchViewSet

router = DefaultRouter()
router.register("categories", CategoryViewSet, basename="category")
router.register("grids", GridViewSet, basename="grid")
router.register("packages", PackageViewSet, basename="package")
router.register("search", SearchViewSet, basename="search")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularRedocView.as_view(url_name="schema"), name="docs"),
    *router.urls,
]
