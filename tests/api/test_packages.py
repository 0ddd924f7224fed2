"""Package endpoints: the whole JSON body, lookups, filters, ordering and the query budget."""

from datetime import UTC, datetime

import pytest

from packages.models import Package
from tests.factories import (
    CategoryFactory,
    GridFactory,
    GridPackageFactory,
    PackageFactory,
)

pytestmark = pytest.mark.django_db

WHEN = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)


def _titles(response):
    assert response.status_code == 200, response.content
    return [item["title"] for item in response.json()["results"]]


def test_detail_is_the_whole_package_object(client):
    category = CategoryFactory(id=7)
    package = PackageFactory(
        id=31,
        title="django-widgets",
        slug="django-widgets",
        category=category,
        repo_url="https://github.com/acme/django-widgets",
        repo_description="Widgets.",
        repo_watchers=12,
        repo_forks=3,
        pypi_url="django-widgets",
        pypi_version="2.1.0",
        documentation_url="https://widgets.readthedocs.io/",
        participants=["ann", "bob"],
        commits_over_52=[1] * 52,
        last_updated=WHEN,
        last_fetched=WHEN,
    )
    Package.objects.filter(pk=package.pk).update(created=WHEN, modified=WHEN)
    GridPackageFactory(grid=GridFactory(id=5), package=package)
    GridPackageFactory(grid=GridFactory(id=3), package=package)

    response = client.get("/api/v4/packages/31/")

    assert response.status_code == 200
    assert response.json() == {
        "category": "http://testserver/api/v4/categories/7/",
        "grids": ["http://testserver/api/v4/grids/3/", "http://testserver/api/v4/grids/5/"],
        "id": 31,
        "title": "django-widgets",
        "slug": "django-widgets",
        "last_updated": "2024-05-06T07:08:09.123456Z",
        "last_fetched": "2024-05-06T07:08:09.123456Z",
        "repo_url": "https://github.com/acme/django-widgets",
        "pypi_version": "2.1.0",
        "created": "2024-05-06T07:08:09.123456Z",
        "modified": "2024-05-06T07:08:09.123456Z",
        "repo_forks": 3,
        "repo_description": "Widgets.",
        "pypi_url": "https://pypi.org/project/django-widgets/",
        "documentation_url": "https://widgets.readthedocs.io/",
        "repo_watchers": 12,
        "commits_over_52": [1] * 52,
        "participants": ["ann", "bob"],
    }


def test_detail_by_slug_is_the_same_as_by_id(client):
    package = PackageFactory(slug="django-foo")

    by_slug = client.get("/api/v4/packages/django-foo/")
    by_id = client.get(f"/api/v4/packages/{package.pk}/")

    assert by_slug.status_code == 200
    assert by_slug.json() == by_id.json()


@pytest.mark.parametrize(
    "path",
    [
        "/api/v4/packages/999/",
        "/api/v4/packages/no-such-package/",
        "/api/v4/packages/99999999999999999999999/",
        "/api/v4/packages/a%20b/",
        "/api/v4/packages/a%00b/",
    ],
)
def test_unknown_package_is_a_json_404(client, path):
    PackageFactory()

    response = client.get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()


def test_anonymous_clients_are_offered_only_reads_and_asked_to_sign_in_to_write(client):
    package = PackageFactory()

    options = client.options(f"/api/v4/packages/{package.pk}/")
    post = client.post("/api/v4/packages/", {})

    assert options["Allow"] == "GET, HEAD, OPTIONS"
    assert post.status_code == 401
    assert post["WWW-Authenticate"] == "Token"
    assert not Package.objects.exclude(pk=package.pk).exists()


def test_hyperlinks_keep_the_browsable_format(client):
    package = PackageFactory()
    GridPackageFactory(package=package)

    body = client.get("/api/v4/packages/?format=json").json()["results"][0]

    assert body["category"].endswith("/?format=json")
    assert all(link.endswith("/?format=json") for link in body["grids"])


def test_list_is_paginated_newest_first(client):
    first, second = PackageFactory(title="b"), PackageFactory(title="a")

    body = client.get("/api/v4/packages/").json()

    assert body["count"] == 2
    assert body["next"] is None
    assert body["previous"] is None
    assert [item["id"] for item in body["results"]] == [second.pk, first.pk]


@pytest.mark.parametrize("page_size", [1, 50])
def test_list_query_count_does_not_grow_with_the_page(client, django_assert_num_queries, page_size):
    grids = GridFactory.create_batch(3)
    for package in PackageFactory.create_batch(50):
        for grid in grids:
            GridPackageFactory(grid=grid, package=package)

    with django_assert_num_queries(1):  # the count and the page's documents
        response = client.get(f"/api/v4/packages/?limit={page_size}")

    assert len(response.json()["results"]) == page_size
    assert len(response.json()["results"][0]["grids"]) == 3


def test_detail_needs_at_most_two_queries(client, django_assert_max_num_queries):
    package = PackageFactory()
    for grid in GridFactory.create_batch(4):
        GridPackageFactory(grid=grid, package=package)

    with django_assert_max_num_queries(2):
        response = client.get(f"/api/v4/packages/{package.slug}/")

    assert len(response.json()["grids"]) == 4


def test_filter_by_category_id_or_slug(client):
    apps = CategoryFactory(slug="apps")
    PackageFactory(title="in", category=apps)
    PackageFactory(title="out")

    assert _titles(client.get("/api/v4/packages/?category=apps")) == ["in"]
    assert _titles(client.get(f"/api/v4/packages/?category={apps.pk}")) == ["in"]


def test_filter_by_grid_id_or_slug(client):
    grid = GridFactory(slug="forms")
    GridPackageFactory(grid=grid, package=PackageFactory(title="in"))
    PackageFactory(title="out")

    assert _titles(client.get("/api/v4/packages/?grid=forms")) == ["in"]
    assert _titles(client.get(f"/api/v4/packages/?grid={grid.pk}")) == ["in"]


@pytest.mark.parametrize("query", ["category=nope", "grid=999", "grid=a%20b", "category=-1"])
def test_unknown_related_filter_value_is_an_empty_page(client, query):
    PackageFactory()

    response = client.get(f"/api/v4/packages/?{query}")

    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_filter_by_text(client):
    PackageFactory(title="django-rest-framework", repo_description="Web APIs.")
    PackageFactory(title="django-celery", repo_description="Task queue with a REST api.")
    PackageFactory(title="django-other", repo_description="Nothing.")

    assert sorted(_titles(client.get("/api/v4/packages/?q=rest"))) == [
        "django-celery",
        "django-rest-framework",
    ]
    assert sorted(_titles(client.get("/api/v4/packages/?q=%20%20"))) == [
        "django-celery",
        "django-other",
        "django-rest-framework",
    ]


def test_filter_by_pypi_presence(client):
    PackageFactory(title="on-pypi", pypi_url="on-pypi")
    PackageFactory(title="github-only", pypi_url="")

    assert _titles(client.get("/api/v4/packages/?has_pypi=true")) == ["on-pypi"]
    assert _titles(client.get("/api/v4/packages/?has_pypi=false")) == ["github-only"]


def test_filter_archived_and_deprecated(client):
    PackageFactory(title="archived", repo_archived_at=WHEN)
    PackageFactory(title="deprecated", deprecated_at=WHEN)
    PackageFactory(title="alive")

    assert _titles(client.get("/api/v4/packages/?archived=1")) == ["archived"]
    assert _titles(client.get("/api/v4/packages/?deprecated=yes")) == ["deprecated"]
    assert _titles(client.get("/api/v4/packages/?archived=false&deprecated=false")) == ["alive"]


def test_filter_by_last_commit_window(client):
    PackageFactory(title="old", last_updated=datetime(2019, 1, 1, tzinfo=UTC))
    PackageFactory(title="new", last_updated=datetime(2025, 1, 1, tzinfo=UTC))
    PackageFactory(title="never", last_updated=None)

    assert _titles(client.get("/api/v4/packages/?updated_after=2024-01-01T00:00:00Z")) == ["new"]
    assert _titles(client.get("/api/v4/packages/?updated_before=2024-01-01")) == ["old"]


def test_filter_fetched_before_finds_stale_and_never_fetched(client):
    PackageFactory(title="stale", last_fetched=datetime(2020, 1, 1, tzinfo=UTC))
    PackageFactory(title="fresh", last_fetched=datetime(2025, 1, 1, tzinfo=UTC))
    PackageFactory(title="never", last_fetched=None)

    titles = _titles(client.get("/api/v4/packages/?fetched_before=2024-06-01T00:00:00%2B02:00"))

    assert sorted(titles) == ["never", "stale"]


@pytest.mark.parametrize(
    "query",
    [
        "has_pypi=maybe",
        "archived=2",
        "updated_after=yesterday",
        "fetched_before=%00",
        "category=%00",
        "ordering=password",
        "ordering=-nope",
    ],
)
def test_bad_filter_value_is_a_400_with_a_message(client, query):
    PackageFactory()

    response = client.get(f"/api/v4/packages/?{query}")

    assert response.status_code == 400
    field = query.split("=")[0]
    assert response.json()[field]


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("title", ["a", "b", "c"]),
        ("-title", ["c", "b", "a"]),
        ("repo_watchers", ["b", "c", "a"]),
        ("-repo_watchers", ["a", "c", "b"]),
        ("repo_forks", ["c", "a", "b"]),
        ("last_updated", ["a", "b", "c"]),
        ("-last_fetched", ["a", "c", "b"]),
        ("created", ["c", "b", "a"]),
        ("-modified", ["a", "b", "c"]),
        ("-score", ["b", "a", "c"]),
        ("score,title", ["c", "a", "b"]),
    ],
)
def test_ordering(client, ordering, expected):
    for title, watchers, forks, day, score in [
        ("a", 30, 2, 1, 50),
        ("b", 10, 3, 2, 60),
        ("c", 20, 1, 3, 10),
    ]:
        package = PackageFactory(
            title=title,
            repo_watchers=watchers,
            repo_forks=forks,
            last_updated=datetime(2024, 1, day, tzinfo=UTC),
            last_fetched=datetime(2024, 2, 4 - day if title != "c" else 3, tzinfo=UTC),
            score=score,
        )
        Package.objects.filter(pk=package.pk).update(
            created=datetime(2020, 1, 4 - day, tzinfo=UTC),
            modified=datetime(2021, 1, 4 - day, tzinfo=UTC),
        )

    assert _titles(client.get(f"/api/v4/packages/?ordering={ordering}")) == expected


def test_equal_sort_keys_never_repeat_a_row_across_pages(client):
    packages = PackageFactory.create_batch(6, repo_watchers=5)

    seen = [
        item["id"]
        for offset in range(0, 6, 2)
        for item in client.get(
            f"/api/v4/packages/?ordering=-repo_watchers&limit=2&offset={offset}"
        ).json()["results"]
    ]

    assert seen == sorted(p.pk for p in packages)
