"""Control characters: refused in what people type (a 400 naming the field), stripped from what
upstreams send, and never able to break an XML output (Atom feeds, SVG badges), whatever rows
are already stored."""

import xml.etree.ElementTree as ET

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework.test import APIClient

from categories.models import Category
from grids.models import Element, Feature, Grid
from packages.fetch.forges.base import RepoStats
from packages.fetch.pypi import PyPIProject, PyPIRelease
from packages.fetch.store import FetchResult, record_fetch
from packages.models import Package, Version
from tests.factories import (
    CategoryFactory,
    FeatureFactory,
    GridFactory,
    GridPackageFactory,
    PackageFactory,
    UserFactory,
    VersionFactory,
)

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def writer():
    client = APIClient()
    client.force_authenticate(UserFactory(is_staff=True))
    return client


@pytest.mark.parametrize("title", ["django\x0bwidgets", "\x0bdjango-widgets", "a\tb", "a\nb"])
def test_a_title_with_a_control_character_is_a_400_naming_the_title(writer, title):
    CategoryFactory(slug="apps")
    response = writer.post("/api/v4/packages/", {"category": "apps", "title": title}, format="json")
    assert response.status_code == 400, response.content
    assert list(response.json()) == ["title"]
    assert "control character" in response.json()["title"][0]
    assert not Package.objects.exists()


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/api/v4/grids/", {"title": "Forms\x01"}, "title"),
        ("/api/v4/grids/", {"title": "Forms", "description": "one\x08two"}, "description"),
        ("/api/v4/categories/", {"title": "Apps", "slug": "apps2", "title_plural": "A\x1f"}, None),
    ],
)
def test_other_human_fields_refuse_control_characters(writer, url, body, field):
    response = writer.post(url, body, format="json")
    assert response.status_code == 400, response.content
    assert list(response.json()) == [field or "title_plural"]


def test_grid_content_refuses_control_characters_but_keeps_line_breaks(writer):
    membership = GridPackageFactory()
    grid = membership.grid
    features = f"/api/v4/grids/{grid.slug}/features/"
    assert writer.post(features, {"title": "Admin\x07"}, format="json").status_code == 400
    created = writer.post(features, {"title": "Admin", "description": "a\r\n\tb"}, format="json")
    assert created.status_code == 201, created.content
    assert Feature.objects.get().description == "a\r\n\tb"
    cells = f"/api/v4/grids/{grid.slug}/cells/"
    cell = {"package": membership.package.slug, "feature": created.json()["id"]}
    refused = writer.post(cells, {**cell, "text": "yes\x00\x1b[31m"}, format="json")
    assert refused.status_code == 400
    assert list(refused.json()) == ["text"]
    assert writer.post(cells, {**cell, "text": "yes\nsince 2.0"}, format="json").status_code == 201
    assert Element.objects.get().text == "yes\nsince 2.0"


def test_the_models_refuse_control_characters_for_the_admin_too():
    grid = Grid(title="Forms\x0b", slug="forms")
    with pytest.raises(ValidationError) as refused:
        grid.full_clean()
    assert list(refused.value.message_dict) == ["title"]
    category = Category(title="Apps", slug="apps", description="multi\nline\ttext")
    category.full_clean()


def test_fetched_text_is_stored_without_control_characters():
    package = PackageFactory(repo_description="")
    release = PyPIRelease("1.0\x01", None, False, False, ">=3.8\x08")
    project = PyPIProject(
        name="widgets",
        version="1.0\x01",
        license="MIT\x0b",
        requires_python=">=3.8\x1b",
        development_status="5 - Production/Stable\x7f",
        classifiers=("Framework :: Django\x01",),
        supports_python3=True,
        documentation_url="",
        releases=(release,),
    )
    record_fetch(
        package,
        FetchResult(repo=RepoStats(description="Widgets\x08\x01 for\tDjango\n"), project=project),
    )
    package.refresh_from_db()
    assert package.repo_description == "Widgets for\tDjango"
    assert (package.pypi_version, package.pypi_license) == ("1.0", "MIT")
    assert package.pypi_requires_python == ">=3.8"
    assert package.pypi_classifiers == ["Framework :: Django"]
    version = Version.objects.get(package=package)
    assert (version.number, version.requires_python) == ("1.0", ">=3.8")


def feed(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return ET.fromstring(response.content)  # raises on ill-formed XML


def test_a_stored_description_with_control_characters_still_gives_a_well_formed_feed(client):
    category = CategoryFactory(title="Apps\x0c")
    package = PackageFactory(category=category)
    Package.objects.filter(pk=package.pk).update(
        title="bad\x0btitle", repo_description="Widgets\x08\x01 for Django"
    )

    root = feed(client, "/feeds/packages.atom")

    (entry,) = root.findall(f"{ATOM}entry")
    assert entry.find(f"{ATOM}title").text == "badtitle"
    assert entry.find(f"{ATOM}summary").text == "Widgets for Django"
    assert entry.find(f"{ATOM}category").get("term") == "Apps"


def test_stored_control_characters_in_releases_still_give_a_well_formed_feed(client):
    package = PackageFactory()
    Package.objects.filter(pk=package.pk).update(title="bad\x0btitle")
    VersionFactory(package=package, number="1.0\x01", upload_time=timezone.now())

    root = feed(client, "/feeds/releases.atom")

    (entry,) = root.findall(f"{ATOM}entry")
    assert entry.find(f"{ATOM}title").text == "badtitle 1.0"


def badge(client, url):
    response = client.get(url)
    assert response["Content-Type"].startswith("image/svg+xml"), response.content[:300]
    root = ET.fromstring(response.content)  # raises on ill-formed XML
    return root.find(f"{SVG}title").text


def test_a_badge_label_with_a_control_character_gives_a_well_formed_svg(client):
    PackageFactory(slug="widgets", repo_watchers=7)
    assert badge(client, "/api/v4/packages/widgets/badge.svg?label=%01") == "stars: 7"
    assert badge(client, "/api/v4/packages/widgets/badge.svg?label=a%01b%0B") == "ab: 7"


def test_a_stored_version_with_control_characters_gives_a_well_formed_badge(client):
    package = PackageFactory(slug="widgets")
    Package.objects.filter(pk=package.pk).update(pypi_version="2.0\x01\x1b")
    assert badge(client, "/api/v4/packages/widgets/badge.svg?metric=version") == "version: v2.0"


def test_an_imported_catalogue_is_stored_without_control_characters(tmp_path):
    from tests.catalogue.test_importer import _import, _package, _seed

    record = _package(7, title="pkg\x0b7", repo_description="Widgets\x08\x01 for\tDjango")
    data = {**_seed(), "packages": [record]}

    output = _import(tmp_path, data)

    assert "packages: 1 created" in output
    package = Package.objects.get(pk=7)
    assert (package.title, package.repo_description) == ("pkg7", "Widgets for\tDjango")


@pytest.fixture
def staff_browser(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_the_admin_refuses_a_grid_title_with_a_control_character(staff_browser):
    grid = GridFactory(title="Forms")
    url = f"/admin/grids/grid/{grid.pk}/change/"
    form = {"title": "For\x0bms", "slug": grid.slug, "description": ""}
    for prefix in ("features", "grid_packages"):
        form.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})

    response = staff_browser.post(url, form)

    assert response.status_code == 200  # the form again, with the error
    assert "title" in response.context["adminform"].form.errors
    grid.refresh_from_db()
    assert grid.title == "Forms"


def test_the_admin_cells_table_refuses_a_control_character(staff_browser):
    membership = GridPackageFactory()
    feature = FeatureFactory(grid=membership.grid)
    url = f"/admin/grids/grid/{membership.grid.pk}/cells/"

    response = staff_browser.post(url, {f"cell-{membership.pk}-{feature.pk}": "yes\x1b[2J"})

    assert response.status_code == 302
    assert not Element.objects.exists()
    shown = [str(message) for message in response.wsgi_request._messages]
    assert any("U+001B" in message for message in shown), shown
