"""One DefaultRouter for every API v4 resource, the OpenAPI schema and its docs page, the
token endpoint and the browsable API's login pages."""

from django.contrib.auth.views import LogoutView
from django.urls import include, path
from drf_spectacular.views import SpectacularRedocView
from rest_framework.routers import DefaultRouter

from api.auth import AuthTokenView, ThrottledLoginView
from api.badges import package_badge
from api.editing import CellViewSet, FeatureViewSet, GridPackageViewSet
from api.readiness_views import GridReadinessView, PackageReadinessView
from api.reads import DocumentRead, documents_first
from api.search_read import SearchRead, search_first
from api.status_views import FreshnessView, StatusView
from api.views import (
    CatalogueRootView,
    CategoryViewSet,
    GridViewSet,
    PackageViewSet,
    SchemaView,
    SearchViewSet,
)
from api.webhooks import ForgejoWebhookView, GitHubWebhookView, GitLabWebhookView

router = DefaultRouter()
router.APIRootView = CatalogueRootView
router.register("categories", CategoryViewSet, basename="category")
router.register("grids", GridViewSet, basename="grid")
router.register("packages", PackageViewSet, basename="package")
router.register("search", SearchViewSet, basename="search")
router.register(r"grids/(?P<grid>[^/.]+)/packages", GridPackageViewSet, basename="grid-package")
router.register(r"grids/(?P<grid>[^/.]+)/features", FeatureViewSet, basename="grid-feature")
router.register(r"grids/(?P<grid>[^/.]+)/cells", CellViewSet, basename="grid-cell")

# The anonymous reads (api/reads.py, api/search_read.py) come first: most requests are theirs,
# and each pattern tried before the one that matches costs a few microseconds.
routed = search_first(documents_first(router.urls))
reads = [pattern for pattern in routed if isinstance(pattern.callback, DocumentRead | SearchRead)]
reads.sort(key=lambda pattern: not pattern.name.startswith("package-"))  # the most asked first

urlpatterns = [
    *reads,
    path("schema/", SchemaView.as_view(), name="schema"),
    path(
        "docs/",
        SpectacularRedocView.as_view(url_name="schema", template_name="api/docs.html"),
        name="docs",
    ),
    path("packages/<str:pk>/badge.svg", package_badge, name="package-badge"),
    path("packages/<str:pk>/freshness/", FreshnessView.as_view(), name="package-freshness"),
    path("packages/<str:pk>/readiness/", PackageReadinessView.as_view(), name="package-readiness"),
    path("grids/<str:pk>/readiness/", GridReadinessView.as_view(), name="grid-readiness"),
    path("status/", StatusView.as_view(), name="status"),
    path("auth/token/", AuthTokenView.as_view(), name="auth-token"),
    path("webhooks/github/", GitHubWebhookView.as_view(), name="webhook-github"),
    path("webhooks/gitlab/", GitLabWebhookView.as_view(), name="webhook-gitlab"),
    path("webhooks/forgejo/", ForgejoWebhookView.as_view(), name="webhook-forgejo"),
    # rest_framework.urls, with the login form throttled like the token endpoint.
    path(
        "api-auth/",
        include(
            (
                [
                    path("login/", ThrottledLoginView.as_view(), name="login"),
                    path("logout/", LogoutView.as_view(), name="logout"),
                ],
                "rest_framework",
            )
        ),
    ),
    *(pattern for pattern in routed if pattern not in reads),
]
