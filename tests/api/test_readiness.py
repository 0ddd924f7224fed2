"""Readiness after a fetch from a local fake PyPI: the package's versions, the ?python= and
?django= filters on the list, search and comparison, and a grid's matrix."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from packages.models import DeclaredVersion
from packages.readiness import declared
from tests.factories import GridFactory, GridPackageFactory, PackageFactory
from tests.packages.conftest import fixture, serve_pypi

pytestmark = pytest.mark.django_db

DRF = "pypi_djangorestframework_3_13_1.json"


def project(version, classifiers, requires_python=""):
    body = fixture(DRF)
    body["info"] = dict(
        body["info"], version=version, classifiers=classifiers, requires_python=requires_python
    )
    return body


@pytest.fixture
def fetched(fetch_settings, upstream):
    """drf (3.13.1's real classifiers), some (Django 2.2, 3.2, 4.0 only) and spec (no Python
    classifier, requires_python only), fetched from the fake PyPI, all in one grid."""
    serve_pypi(upstream, "djangorestframework", DRF)
    some = [
        "Framework :: Django :: 2.2",
        "Framework :: Django :: 3.2",
        "Framework :: Django :: 4.0",
    ]
    some += ["Programming Language :: Python :: 3.8"]
    serve_pypi(upstream, "some", project("1.0", some))
    serve_pypi(upstream, "spec", project("2.0", ["Framework :: Django"], ">=3.9, <3.12"))
    drf = PackageFactory(slug="drf", title="Django REST framework", pypi_url="djangorestframework")
    drf.repo_url = ""
    drf.save()
    some = PackageFactory(slug="some", title="some", repo_url="", pypi_url="some")
    spec = PackageFactory(slug="spec", title="spec", repo_url="", pypi_url="spec")
    grid = GridFactory(slug="apis")
    for package in (drf, some, spec):
        GridPackageFactory(grid=grid, package=package)
    out = StringIO()
    call_command("fetch_stats", "--json", stdout=out)
    assert json.loads(out.getvalue())["fetched"] == 3
    return grid


def test_readiness_shows_exactly_what_the_release_declares(fetched, client):
    body = client.get("/api/v4/packages/drf/readiness/").json()
    assert body == {
        "python": ["3.6", "3.7", "3.8", "3.9", "3.10"],
        "django": ["2.2", "3.0", "3.1", "3.2", "4.0"],
        "release": "3.13.1",
        "source": "classifiers",
    }
    spec = client.get("/api/v4/packages/spec/readiness/").json()
    assert spec == {
        "python": ["3.9", "3.10", "3.11"],
        "django": [],
        "release": "2.0",
        "source": "requires_python",
    }


def test_django_filter_keeps_packages_declaring_it(fetched, client):
    def slugs(url):
        body = client.get(url).json()
        return sorted(p["slug"] for p in body.get("results", body))

    assert slugs("/api/v4/packages/?django=3.0") == ["drf"]
    assert slugs("/api/v4/packages/?django=3.2") == ["drf", "some"]
    assert slugs("/api/v4/packages/?python=3.10") == ["drf", "spec"]
    assert slugs("/api/v4/packages/?python=3.8&django=4.0") == ["drf", "some"]
    assert slugs("/api/v4/packages/?django=5.2") == []


def test_search_and_comparison_take_the_filters(fetched, client):
    hits = client.get("/api/v4/search/?q=django rest framework&django=3.0").json()
    assert [h["slug"] for h in hits if h["item_type"] == "package"] == ["drf"]
    assert client.get("/api/v4/search/?q=some&django=3.0").json() == []
    rows = client.get("/api/v4/grids/apis/comparison/?django=3.0").json()["packages"]
    assert [row["slug"] for row in rows] == ["drf"]
    csv = client.get("/api/v4/grids/apis/comparison/?format=csv&python=3.11").content.decode()
    assert "spec" in csv
    assert "some" not in csv


def test_grid_matrix_holds_every_package_against_the_versions_seen(fetched, client):
    body = client.get("/api/v4/grids/apis/readiness/").json()
    assert body["versions"] == {
        "python": ["3.6", "3.7", "3.8", "3.9", "3.10", "3.11"],
        "django": ["2.2", "3.0", "3.1", "3.2", "4.0"],
    }
    rows = {row["slug"]: row for row in body["packages"]}
    assert rows["some"]["django"] == ["2.2", "3.2", "4.0"]
    assert rows["drf"]["django"] == ["2.2", "3.0", "3.1", "3.2", "4.0"]
    page = client.get("/api/v4/grids/apis/readiness/?format=api").content.decode()
    assert '<th scope="col">Django 3.0</th>' in page
    assert page.count('<th scope="row">') == 3


@pytest.mark.parametrize("param", ["django=abc", "python=3", "python=3.12.1", "django=%00"])
def test_a_version_that_is_not_major_minor_is_a_400(client, param):
    for url in ("/api/v4/packages/", "/api/v4/search/?q=x", "/api/v4/grids/1/comparison/"):
        sep = "&" if "?" in url else "?"
        response = client.get(f"{url}{sep}{param}")
        assert response.status_code == 400, url
        name = param.split("=")[0]
        message = response.json()[name][0]
        # django-filter refuses a NUL itself, before our own check: both say why.
        assert "major.minor" in message or ("%00" in param and "Null characters" in message)


def test_unknown_package_or_grid_readiness_is_a_404(client):
    assert client.get("/api/v4/packages/nope/readiness/").status_code == 404
    assert client.get("/api/v4/grids/nope/readiness/").status_code == 404


def test_a_new_release_replaces_what_was_declared(fetched, upstream, client):
    serve_pypi(upstream, "some", project("2.0", ["Framework :: Django :: 5.2"]))
    call_command("fetch_stats", "--all", "some", stdout=StringIO())
    assert client.get("/api/v4/packages/some/readiness/").json()["django"] == ["5.2"]
    assert DeclaredVersion.objects.filter(package__slug="some").count() == 1


def test_requires_python_is_tried_up_to_the_newest_minor_it_names():
    found = declared([], ">=3.13", newest_python=lambda: 11)
    assert (found.python, found.source) == (("3.13",), "requires_python")
    assert declared([], "not a spec", newest_python=lambda: 11).python == ()
