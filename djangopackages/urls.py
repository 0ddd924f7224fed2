"""The URL map: admin, the versioned API, its Atom feeds, the health check and the site paths
djangopackages.org's `absolute_url`s name."""

from django.contrib import admin
from django.urls import include, path

from api.auth import throttled_admin_login
from api.feeds import NewPackagesFeed, NewReleasesFeed
from api.metrics import metrics_view
from api.pages.home import home
from api.site_views import favicon, healthz

urlpatterns = [
    # First: most requests are API reads, and each pattern tried before costs a little.
    path("api/v4/", include("api.urls")),
    path("", home, name="home"),
    # Before admin.site.urls, so the admin's login form is password-throttled.
    path("admin/login/", throttled_admin_login),
    path("admin/", admin.site.urls),
    path("api/v3/", include("api.v3.urls")),
    path("feeds/packages.atom", NewPackagesFeed(), name="feed-packages"),
    path("feeds/releases.atom", NewReleasesFeed(), name="feed-releases"),
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics_view, name="metrics"),
    path("favicon.ico", favicon),
    path("", include("api.site_paths")),
]

handler400 = "common.errors.bad_request"
handler403 = "common.errors.permission_denied"
handler404 = "common.errors.page_not_found"
handler500 = "common.errors.server_error"
