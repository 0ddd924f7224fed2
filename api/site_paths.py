"""djangopackages.org's site paths (`/packages/p/<slug>/`, `/grids/g/<slug>/`,
`/categories/<slug>/`): the `absolute_url` of v3 objects and v4 search hits, served here as
redirects to the browsable API pages."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import get_script_prefix, path
from django.views.decorators.http import require_safe

# kind -> (site path prefix, the API v4 detail view it redirects to)
SITE_PATHS = {
    "package": ("packages/p/", "package-detail"),
    "grid": ("grids/g/", "grid-detail"),
    "category": ("categories/", "category-detail"),
}


def site_path(kind: str, slug: str) -> str:
    """The site path of the `kind` ("package", "grid", "category") named `slug`."""
    return f"{site_path_start(kind)}{slug}/"


def site_path_start(kind: str) -> str:
    """The site path of a `kind` up to its slug."""
    return f"{get_script_prefix()}{SITE_PATHS[kind][0]}"


def _redirect_to(view_name: str) -> Callable[..., HttpResponseRedirect]:
    @require_safe
    def view(request: HttpRequest, slug: str) -> HttpResponseRedirect:
        # A missing slug ends on the API's JSON 404.
        return redirect(view_name, pk=slug)

    return view


urlpatterns = [
    path(f"{prefix}<slug:slug>/", _redirect_to(view_name), name=f"site-{kind}")
    for kind, (prefix, view_name) in SITE_PATHS.items()
]
