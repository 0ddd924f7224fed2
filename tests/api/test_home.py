"""`/`: the home page lists categories with counts, featured grids, recently updated, recently
released and most used packages, and carries the search box its script drives."""

import datetime as dt
import re

import pytest

from packages.models import Usage
from tests.factories import (
    CategoryFactory,
    GridFactory,
    GridPackageFactory,
    PackageFactory,
    UserFactory,
    VersionFactory,
)

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("x")</script>'


def section(page, heading):
    """The text of the home page's section under `heading`, tags stripped."""
    match = re.search(rf">{heading}</h2>(.*?)</section>", page, re.S)
    assert match, heading
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match[1])).strip()


def test_home_lists_what_a_visitor_looks_for(client):
    apps = CategoryFactory(title="App", title_plural="Apps")
    tools = CategoryFactory(title="Tool", title_plural="Tools")
    old = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    new = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    caching = PackageFactory(title="django-cachalot", category=apps, last_updated=new)
    forms = PackageFactory(title="django-crispy-forms", category=apps, last_updated=old)
    PackageFactory(title="pytest-django", category=tools, repo_watchers=12345)
    VersionFactory(package=forms, number="2.0", upload_time=new)
    VersionFactory(package=caching, number="1.0", upload_time=old)
    for user in UserFactory.create_batch(2):
        Usage.objects.create(package=forms, user=user)
    grid = GridFactory(title="Caching", header=True)
    GridFactory(title="Not featured", header=False)
    GridPackageFactory(grid=grid, package=caching)

    response = client.get("/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>Reusable Django packages, compared</h1>" in page
    assert section(page, "Categories") == "Apps 2 packages Tools 1 packages"
    assert section(page, "Featured grids").startswith("Caching 1 packages")
    assert "Not featured" not in page
    assert section(page, "Recently updated") == (
        "django-cachalot 2026-11-01 django-crispy-forms 2020-01-01"
    )
    assert section(page, "Recently released") == (
        "django-crispy-forms 2026-11-01 django-cachalot 2020-01-01"
    )
    assert section(page, "Most used").startswith("django-crispy-forms 2 users")
    assert "pytest-django 0 users, 12k stars" in section(page, "Most used")
    assert f'href="/api/v4/packages/{caching.pk}/?format=api"' in page


def test_home_search_box_works_without_script_and_names_its_api(client):
    page = client.get("/").content.decode()

    form = re.search(r"<form[^>]*role=\"search\"[^>]*>", page)[0]
    assert 'action="/api/v4/search/"' in form
    assert 'data-search-api="/api/v4/search/"' in form
    assert '<label for="dp-q">' in page
    assert re.search(r'<script src="[^"]*api/home\.js"', page)
    assert "<script>" not in page  # no inline script: the CSP forbids it


def test_home_escapes_what_users_typed(client):
    PackageFactory(title=HOSTILE, slug="hostile", last_updated=dt.datetime.now(dt.UTC))

    page = client.get("/").content.decode()

    assert HOSTILE not in page
    assert "&lt;script&gt;" in page
