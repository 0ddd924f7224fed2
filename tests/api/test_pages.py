"""The browsable API's pages for people: headings in users' words, the package list, grid list,
category, score and versions as tables above the folded JSON, the filter dialog's labels,
numbers with thousands separators and "I use this"."""

import datetime as dt
import re

import pytest

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


def html(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("text/html")
    return response.content.decode()


def text(content):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", content)).strip()


def h1(content):
    return text(re.search(r"<h1>(.*?)</h1>", content, re.S)[1])


def row_names(content, table_class):
    table = re.search(rf'<table class="[^"]*{table_class}[^"]*".*?</table>', content, re.S)[0]
    return re.findall(r'<th scope="row" class="dp-name"><a href="[^"]+">([^<]+)</a>', table)


def test_package_list_is_a_table_above_the_folded_json(client):
    apps = CategoryFactory(title="App", title_plural="Apps")
    PackageFactory(title="django-big", repo_watchers=12345, score=88, category=apps)
    small = PackageFactory(title="django-small", repo_watchers=7, pypi_version="1.2")
    VersionFactory(package=small, number="1.2", upload_time=dt.datetime(2026, 3, 4, tzinfo=dt.UTC))

    content = html(client, "/api/v4/packages/?format=api&ordering=-repo_watchers")

    assert h1(content) == "Packages"
    assert "<title>Packages – " in content
    assert row_names(content, "dp-packages") == ["django-big", "django-small"]
    body = text(content)
    assert "django-big" in body
    assert "12k" in body
    assert 'title="12,345 stars"' in content
    assert "1.2 2026-03-04" in body
    assert re.search(r'<details class="dp-json">\s*<summary>', content)  # folded: no `open`
    assert content.index("dp-packages") < content.index('class="response-info"')
    assert "Sort by:" in body
    assert 'aria-current="true" class="dp-current">Most stars<' in content
    assert "Package List" not in content
    assert "Package Instance" not in content


def test_filter_dialog_names_every_filter(client):
    PackageFactory()
    for url in ("/api/v4/packages/?format=api", "/api/v4/grids/?format=api"):
        content = html(client, url)
        dialog = re.search(r'id="filtersModal".*', content, re.S)[0]
        assert "[invalid name]" not in dialog
        assert "Order by" in dialog
    assert "Words in the name or description" in html(client, "/api/v4/packages/?format=api")


def test_grid_list_is_a_table(client):
    grid = GridFactory(title="Caching", header=True)
    FeatureFactory(grid=grid)
    GridPackageFactory(grid=grid, package=PackageFactory())
    GridFactory(title="Admin")

    content = html(client, "/api/v4/grids/?format=api&ordering=title")

    assert h1(content) == "Grids"
    assert row_names(content, "dp-grids") == ["Admin", "Caching"]
    assert "Caching featured" in text(content)


def test_category_page_lists_its_packages(client):
    apps = CategoryFactory(title="App", title_plural="Apps")
    PackageFactory(title="django-one", category=apps, repo_watchers=5)
    PackageFactory(title="django-two", category=apps, repo_watchers=50)
    PackageFactory(title="elsewhere")

    content = html(client, f"/api/v4/categories/{apps.pk}/?format=api")

    assert h1(content) == "Apps"
    assert "Packages in Apps" in text(content)
    assert row_names(content, "dp-packages") == ["django-two", "django-one"]


def test_score_and_versions_pages_are_tables(client):
    package = PackageFactory(title="django-scored", repo_watchers=300)
    VersionFactory(
        package=package, number="2.0", upload_time=dt.datetime(2026, 1, 2, tzinfo=dt.UTC)
    )
    VersionFactory(package=package, number="2.1b1", is_prerelease=True, upload_time=None)

    score = html(client, f"/api/v4/packages/{package.pk}/score/?format=api")
    assert h1(score) == "Score of django-scored"
    assert re.search(r"<th scope=\"row\">Stars</th><td class=\"dp-num\">\d+</td>", score)
    assert "stars: 300" in text(score)
    assert "newest release: 2026-01-02" in text(score)
    assert "Latest release" in text(score)

    versions = html(client, f"/api/v4/packages/{package.pk}/versions/?format=api")
    assert h1(versions) == "Releases of django-scored"
    rows = text(re.search(r'<table class="[^"]*dp-versions.*?</table>', versions, re.S)[0])
    assert "2.0 2026-01-02 – release" in rows
    assert "2.1b1 unknown – pre-release" in rows


def test_i_use_this_for_a_logged_in_user_only(client):
    package = PackageFactory(title="django-used")
    url = f"/api/v4/packages/{package.pk}/?format=api"

    assert "dp-usage-toggle" not in html(client, url)
    assert "0 users use this" in text(html(client, url))

    user = UserFactory()
    client.force_login(user)
    content = html(client, url)
    assert 'aria-pressed="false">I use this</button>' in content
    client.post(f"/api/v4/packages/{package.pk}/usage/")
    content = html(client, url)
    assert 'aria-pressed="true">I use this</button>' in content
    assert "1 user uses this" in text(content)
