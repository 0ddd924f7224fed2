"""API v3's URL map (mounted at /api/v3/): three resources by slug, and a grid's packages."""

from django.urls import path

from api.v3.representations import CATEGORIES, GRIDS, PACKAGES
from api.v3.views import V3CategoryViewSet, V3GridViewSet, V3PackageViewSet, V3RootView

app_name = "v3"

urlpatterns = [
    path("", V3RootView.as_view({"get": "list"}), name="root"),
    path(f"{PACKAGES}/", V3PackageViewSet.as_view({"get": "list"}), name="package-list"),
    path(
        f"{PACKAGES}/<slug:slug>/",
        V3PackageViewSet.as_view({"get": "retrieve"}),
        name="package-detail",
    ),
    path(f"{GRIDS}/", V3GridViewSet.as_view({"get": "list"}), name="grid-list"),
    path(f"{GRIDS}/<slug:slug>/", V3GridViewSet.as_view({"get": "retrieve"}), name="grid-detail"),
    path(
        f"{GRIDS}/<slug:slug>/{PACKAGES}/",
        V3GridViewSet.as_view({"get": "packages"}),
        name="grid-packages",
    ),
    path(f"{CATEGORIES}/", V3CategoryViewSet.as_view({"get": "list"}), name="category-list"),
    path(
        f"{CATEGORIES}/<slug:slug>/",
        V3CategoryViewSet.as_view({"get": "retrieve"}),
        name="category-detail",
    ),
]
