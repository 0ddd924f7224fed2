"""What a write may contain: every validation rule is a 400 naming the field (and changes
nothing), bodies are bounded, and accepted writes record who and when and reach readers."""

import json
from datetime import UTC, datetime

import pytest
from rest_framework.test import APIClient

from grids.models import Element, Grid
from packages.models import Package
from tests.api.test_permissions import snapshot
from tests.factories import (
    CategoryFactory,
    ElementFactory,
    FeatureFactory,
    GridFactory,
    GridPackageFactory,
    PackageFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


@pytest.fixture
def user():
    return UserFactory(username="writer")


@pytest.fixture
def client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def category():
    return CategoryFactory(id=3, slug="apps")


def _create(client, **fields):
    return client.post("/api/v4/packages/", {"category": "apps", **fields}, format="json")


# --- packages: refused values --------------------------------------------------------------

BAD_URLS = [
    "ftp://github.com/acme/widgets",
    "javascript:alert(1)",
    "https://127.0.0.1/acme/widgets",
    "https://[::1]/acme/widgets",
    "https://10.0.0.8/acme/widgets",
    "https://169.254.169.254/latest/meta-data",
    "http://127.1/acme/widgets",
    "http://0177.0.0.1/acme/widgets",
    "http://0x7f.0.0.1/acme/widgets",
    "http://127.0.0.01/acme/widgets",
    "http://\uff11\uff12\uff17.\uff10.\uff10.\uff11/acme/widgets",
    "https://localhost/acme/widgets",
    "https://git.internal/acme/widgets",
    "https://intranet/acme/widgets",
    "https://user:secret@github.com/acme/widgets",
    "https://user@github.com/acme/widgets",
    "https://github.com:8443/acme/widgets",
    "https://github.com/acme/wid gets",
    "https://github.com/acme/widgets\x00",
    "not a url",
]


@pytest.mark.parametrize("url", BAD_URLS)
@pytest.mark.parametrize("field", ["repo_url", "documentation_url"])
def test_unsafe_urls_are_refused_at_write_time(client, category, field, url):
    before = snapshot()

    response = _create(client, title="django-widgets", **{field: url})

    assert response.status_code == 400, response.content
    assert list(response.json()) == [field]
    assert snapshot() == before


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({}, "title"),
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 101}, "title"),
        ({"title": "bad\x00title"}, "title"),
        ({"title": "ok", "slug": "Has Spaces"}, "slug"),
        ({"title": "ok", "slug": "UPPER"}, "slug"),
        ({"title": "ok", "slug": "dots.not.allowed"}, "slug"),
        ({"title": "ok", "slug": "x" * 101}, "slug"),
        ({"title": "ok", "pypi_url": "not a name!"}, "pypi_url"),
        ({"title": "ok", "pypi_url": "https://evil.example/project/foo/"}, "pypi_url"),
        ({"title": "ok", "pypi_url": "https://pypi.org/"}, "pypi_url"),
        ({"title": "ok", "repo_url": "https://github.com/acme"}, "repo_url"),
        ({"title": "ok", "repo_url": "https://github.com/acme/" + "x" * 250}, "repo_url"),
        ({"title": "ok", "repo_description": "x" * 2001}, "repo_description"),
        ({"title": "ok", "category": "nope"}, "category"),
        ({"title": "ok", "category": 999}, "category"),
        ({"title": "ok", "category": "http://testserver/api/v4/grids/1/"}, "category"),
        ({"title": "ok", "category": ["apps"]}, "category"),
        ({"title": ["list"]}, "title"),
        ({"title": {"nested": "object"}}, "title"),
    ],
)
def test_each_invalid_field_is_a_400_naming_it(client, category, fields, field):
    before = snapshot()

    response = client.post("/api/v4/packages/", {"category": "apps", **fields}, format="json")

    assert response.status_code == 400, response.content
    assert field in response.json()
    assert isinstance(response.json()[field], list)
    assert snapshot() == before


def test_a_lone_surrogate_in_a_title_is_a_400(client, category):
    response = client.post(
        "/api/v4/packages/",
        '{"title": "bad \\ud800 title", "category": "apps"}',
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "title" in response.json()
    assert not Package.objects.exists()


def test_fetched_and_server_fields_are_refused_by_name(client, category):
    response = _create(
        client,
        title="django-widgets",
        id=5,
        created="2020-01-01T00:00:00Z",
        repo_watchers=10_000,
        repo_forks=1,
        commits_over_52=[1] * 52,
        participants=["me"],
        pypi_version="9.9",
        last_fetched="2020-01-01T00:00:00Z",
        last_updated="2020-01-01T00:00:00Z",
        grids=[],
    )

    assert response.status_code == 400
    body = response.json()
    assert sorted(body) == sorted(
        [
            "id",
            "created",
            "repo_watchers",
            "repo_forks",
            "commits_over_52",
            "participants",
            "pypi_version",
            "last_fetched",
            "last_updated",
            "grids",
        ]
    )
    assert body["repo_watchers"] == ["Read-only: filled in by the stats fetcher."]
    assert not Package.objects.exists()


def test_unknown_fields_are_refused(client, category):
    response = _create(client, title="django-widgets", stars=5, is_admin=True)

    assert response.status_code == 400
    assert response.json() == {"stars": ["Unknown field."], "is_admin": ["Unknown field."]}


def test_updates_refuse_read_only_fields_too(client, user, category):
    package = PackageFactory(slug="mine", category=category, created_by=user)
    before = snapshot()

    response = client.patch("/api/v4/packages/mine/", {"repo_watchers": 0}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["repo_watchers"]
    assert snapshot() == before
    package.refresh_from_db()
    assert package.repo_watchers != 0


@pytest.mark.parametrize(
    "spelling",
    [
        "http://WWW.GitHub.com/Acme/Widgets.git/",
        "https://github.com/Acme/Widgets/",
        "https://www.github.com/Acme/Widgets",
        "https://github.com/acme/widgets",
        "https://github.com/ACME/WIDGETS/tree/main/docs",
        "https://github.com/acme/widgets.git",
    ],
)
def test_repo_url_is_stored_normalized_and_duplicates_name_the_existing_package(
    client, category, spelling
):
    first = _create(client, title="widgets", repo_url="https://github.com/Acme/Widgets")
    existing = Package.objects.get()

    duplicate = _create(client, title="widgets again", repo_url=spelling)

    assert first.status_code == 201
    assert existing.repo_url == "https://github.com/Acme/Widgets"
    assert duplicate.status_code == 400
    (message,) = duplicate.json()["repo_url"]
    assert f"http://testserver/api/v4/packages/{existing.pk}/" in message
    assert Package.objects.count() == 1


def test_an_unsupported_forge_is_accepted_and_flagged(client, category):
    supported = _create(client, title="a", repo_url="https://gitlab.com/group/sub/a")
    unsupported = _create(client, title="b", repo_url="https://hg.example.org/b")

    assert supported.status_code == unsupported.status_code == 201
    assert "X-Repo-Stats" not in supported
    assert unsupported["X-Repo-Stats"] == "unsupported-host"
    assert unsupported.json()["repo_url"] == "https://hg.example.org/b"


@pytest.mark.parametrize(
    ("given", "stored", "shown"),
    [
        ("Django_REST.framework", "django-rest-framework", "django-rest-framework"),
        ("https://pypi.org/project/Foo.Bar/", "foo-bar", "foo-bar"),
        ("https://pypi.python.org/pypi/foo_bar", "foo-bar", "foo-bar"),
        ("", "", None),
    ],
)
def test_pypi_url_is_stored_as_the_pep503_name(client, category, given, stored, shown):
    response = _create(client, title="pkg", pypi_url=given)

    assert response.status_code == 201
    assert Package.objects.get().pypi_url == stored
    expected = f"https://pypi.org/project/{shown}/" if shown else ""
    assert response.json()["pypi_url"] == expected


def test_slug_is_made_from_the_title_and_kept_unique(client, category):
    PackageFactory(slug="django-widgets", category=category)

    first = _create(client, title="Django Widgets")
    second = _create(client, title="Django  Widgets!")
    unicode_only = _create(client, title="日本語")

    assert first.json()["slug"] == "django-widgets-2"
    assert second.json()["slug"] == "django-widgets-3"
    assert unicode_only.json()["slug"] == "package"


def test_a_taken_slug_is_a_400(client, category):
    PackageFactory(slug="taken", category=category)

    response = _create(client, title="x", slug="taken")

    assert response.status_code == 400
    assert list(response.json()) == ["slug"]


@pytest.mark.parametrize("value", [3, "3", "apps", "http://testserver/api/v4/categories/3/"])
def test_category_is_accepted_as_id_slug_or_api_url(client, category, value):
    response = client.post("/api/v4/packages/", {"title": "x", "category": value}, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["category"] == "http://testserver/api/v4/categories/3/"


def test_repo_description_is_writable_only_until_repo_stats_exist(client, user, category):
    PackageFactory(slug="fresh", category=category, created_by=user, repo_watchers=0, repo_forks=0)
    PackageFactory(slug="fetched", category=category, created_by=user, last_updated=LONG_AGO)

    fresh = client.patch("/api/v4/packages/fresh/", {"repo_description": "Mine."}, format="json")
    fetched = client.patch(
        "/api/v4/packages/fetched/", {"repo_description": "Mine."}, format="json"
    )

    assert fresh.status_code == 200
    assert fresh.json()["repo_description"] == "Mine."
    assert fetched.status_code == 400
    assert list(fetched.json()) == ["repo_description"]


def test_put_needs_every_required_field(client, user, category):
    PackageFactory(slug="mine", category=category, created_by=user)

    response = client.put("/api/v4/packages/mine/", {"title": "Only a title"}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["category"]


# --- accepted writes ----------------------------------------------------------------------


def test_created_package_records_its_author_and_is_fetched_first(client, user, category):
    PackageFactory(category=category, last_fetched=LONG_AGO)

    response = _create(client, title="django-new", repo_url="https://github.com/a/new")

    assert response.status_code == 201
    package = Package.objects.get(slug="django-new")
    assert (package.created_by, package.last_modified_by) == (user, user)
    assert package.last_fetched is None
    assert Package.objects.stalest_first().first() == package
    assert response.json()["id"] == package.pk
    assert list(response.json())[:3] == ["category", "grids", "id"]


def test_update_records_the_editor_and_bumps_modified(client, user, category):
    creator = UserFactory(username="author")
    package = PackageFactory(slug="pkg", category=category, created_by=creator)
    Package.objects.filter(pk=package.pk).update(modified=LONG_AGO)
    staff = UserFactory(username="boss", is_staff=True)
    client.force_authenticate(staff)

    response = client.patch("/api/v4/packages/pkg/", {"title": "Renamed"}, format="json")

    package.refresh_from_db()
    assert response.status_code == 200
    assert package.title == "Renamed"
    assert package.created_by == creator
    assert package.last_modified_by == staff
    assert package.modified > LONG_AGO


def test_a_new_repository_queues_the_package_for_a_fetch(client, user, category):
    PackageFactory(slug="pkg", category=category, created_by=user, last_fetched=LONG_AGO)

    client.patch(
        "/api/v4/packages/pkg/", {"repo_url": "https://github.com/new/home"}, format="json"
    )

    assert Package.objects.get(slug="pkg").last_fetched is None


def test_a_read_after_a_write_shows_the_change(client, user, category):
    PackageFactory(slug="pkg", category=category, created_by=user, title="Before")
    reader = APIClient()
    assert reader.get("/api/v4/packages/pkg/").json()["title"] == "Before"
    assert reader.get("/api/v4/packages/pkg/").json()["title"] == "Before"  # now cached

    client.patch("/api/v4/packages/pkg/", {"title": "After"}, format="json")

    assert reader.get("/api/v4/packages/pkg/").json()["title"] == "After"


def test_grid_content_reads_follow_writes(client, user):
    grid = GridFactory(slug="g")
    package = PackageFactory(slug="p")
    reader = APIClient()
    assert reader.get("/api/v4/grids/g/").json()["packages"] == []

    client.post("/api/v4/grids/g/packages/", {"package": "p"}, format="json")

    assert reader.get("/api/v4/grids/g/").json()["packages"] == [
        f"http://testserver/api/v4/packages/{package.pk}/"
    ]
    assert reader.get("/api/v4/packages/p/").json()["grids"] == [
        f"http://testserver/api/v4/grids/{grid.pk}/"
    ]


# --- grids, rows, features, cells ----------------------------------------------------------


def test_grid_create_and_staff_only_flags(client, user):
    response = client.post(
        "/api/v4/grids/", {"title": "Admin themes", "description": "Skins."}, format="json"
    )
    flagged = client.post(
        "/api/v4/grids/", {"title": "Mine", "is_locked": True, "header": True}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["slug"] == "admin-themes"
    grid = Grid.objects.get(slug="admin-themes")
    assert (grid.created_by, grid.last_modified_by) == (user, user)
    assert flagged.status_code == 403
    assert "is_locked and header" in flagged.json()["detail"]
    assert not Grid.objects.filter(title="Mine").exists()


def test_grid_refuses_read_only_and_overlong_fields(client, user):
    response = client.post(
        "/api/v4/grids/",
        {"title": "x" * 101, "description": "d" * 2001, "packages": [], "id": 1},
        format="json",
    )

    assert response.status_code == 400
    assert sorted(response.json()) == ["id", "packages"]


def test_grid_field_limits(client):
    response = client.post(
        "/api/v4/grids/", {"title": "x" * 101, "description": "d" * 2001}, format="json"
    )

    assert response.status_code == 400
    assert sorted(response.json()) == ["description", "title"]


@pytest.mark.parametrize(
    "value", ["p", "http://testserver/api/v4/packages/{pk}/", "{pk}", "/api/v4/packages/p/"]
)
def test_add_a_package_by_slug_id_or_url(client, value):
    GridFactory(slug="g")
    package = PackageFactory(slug="p")

    response = client.post(
        "/api/v4/grids/g/packages/", {"package": value.format(pk=package.pk)}, format="json"
    )

    assert response.status_code == 201, response.content
    assert response.json()["package"] == f"http://testserver/api/v4/packages/{package.pk}/"


def test_membership_errors(client):
    grid = GridFactory(slug="g")
    GridPackageFactory(grid=grid, package=PackageFactory(slug="p"))
    before = snapshot()

    twice = client.post("/api/v4/grids/g/packages/", {"package": "p"}, format="json")
    unknown = client.post("/api/v4/grids/g/packages/", {"package": "nope"}, format="json")
    not_member = client.delete("/api/v4/grids/g/packages/other/")
    no_grid = client.post("/api/v4/grids/none/packages/", {"package": "p"}, format="json")

    assert twice.status_code == unknown.status_code == 400
    assert list(twice.json()) == list(unknown.json()) == ["package"]
    assert not_member.status_code == no_grid.status_code == 404
    assert snapshot() == before


def test_grid_content_writes_touch_the_grid(client, user):
    grid = GridFactory(slug="g")
    Grid.objects.filter(pk=grid.pk).update(modified=LONG_AGO)

    client.post("/api/v4/grids/g/features/", {"title": "Async"}, format="json")

    grid.refresh_from_db()
    assert grid.modified > LONG_AGO
    assert grid.last_modified_by == user


def test_feature_crud(client, user):
    grid = GridFactory(slug="g")

    created = client.post(
        "/api/v4/grids/g/features/",
        {"title": "Async", "description": "Works with ASGI."},
        format="json",
    )
    feature_url = f"/api/v4/grids/g/features/{created.json()['id']}/"
    renamed = client.patch(feature_url, {"title": "Async views"}, format="json")
    listed = client.get("/api/v4/grids/g/features/")
    deleted = client.delete(feature_url)

    assert created.status_code == 201
    assert created.json() == {
        "id": created.json()["id"],
        "grid": f"http://testserver/api/v4/grids/{grid.pk}/",
        "title": "Async",
        "description": "Works with ASGI.",
        "created": created.json()["created"],
        "modified": created.json()["modified"],
    }
    assert renamed.json()["title"] == "Async views"
    assert [f["title"] for f in listed.json()["results"]] == ["Async views"]
    assert deleted.status_code == 204
    assert not grid.features.exists()


def test_feature_refuses_bad_fields(client):
    GridFactory(slug="g")

    response = client.post(
        "/api/v4/grids/g/features/", {"title": "", "grid": 1, "colour": "red"}, format="json"
    )

    assert response.status_code == 400
    assert sorted(response.json()) == ["colour", "grid"]


def test_a_cell_is_created_then_overwritten(client, user):
    grid = GridFactory(slug="g")
    package = PackageFactory(slug="p")
    GridPackageFactory(grid=grid, package=package)
    feature = FeatureFactory(grid=grid)

    created = client.post(
        "/api/v4/grids/g/cells/",
        {"package": "p", "feature": feature.pk, "text": "yes"},
        format="json",
    )
    overwritten = client.post(
        "/api/v4/grids/g/cells/",
        {"package": package.pk, "feature": feature.pk, "text": "no"},
        format="json",
    )

    assert created.status_code == 201
    assert overwritten.status_code == 200
    assert overwritten.json() == {
        "id": created.json()["id"],
        "package": f"http://testserver/api/v4/packages/{package.pk}/",
        "feature": feature.pk,
        "text": "no",
        "created": created.json()["created"],
        "modified": overwritten.json()["modified"],
    }
    cell = Element.objects.get()
    assert (cell.text, cell.created_by) == ("no", user)


def test_cell_errors_change_nothing(client):
    grid = GridFactory(slug="g")
    GridPackageFactory(grid=grid, package=PackageFactory(slug="in"))
    PackageFactory(slug="out")
    feature = FeatureFactory(grid=grid)
    elsewhere = FeatureFactory()
    before = snapshot()

    outsider = client.post(
        "/api/v4/grids/g/cells/",
        {"package": "out", "feature": feature.pk, "text": "x"},
        format="json",
    )
    foreign_feature = client.post(
        "/api/v4/grids/g/cells/",
        {"package": "in", "feature": elsewhere.pk, "text": "x"},
        format="json",
    )
    too_long = client.post(
        "/api/v4/grids/g/cells/",
        {"package": "in", "feature": feature.pk, "text": "x" * 2001},
        format="json",
    )

    assert [r.status_code for r in (outsider, foreign_feature, too_long)] == [400, 400, 400]
    assert list(outsider.json()) == ["package"]
    assert list(foreign_feature.json()) == ["feature"]
    assert list(too_long.json()) == ["text"]
    assert snapshot() == before


def test_a_cell_text_is_edited_in_place_and_its_package_cannot_move(client):
    cell = ElementFactory(grid_package__grid__slug="g", text="yes")
    url = f"/api/v4/grids/g/cells/{cell.pk}/"

    edited = client.patch(url, {"text": "partly"}, format="json")
    moved = client.patch(url, {"package": "other"}, format="json")

    assert edited.status_code == 200
    assert edited.json()["text"] == "partly"
    assert moved.status_code == 400
    assert list(moved.json()) == ["package"]


def test_category_writes(client):
    staff = UserFactory(username="boss", is_staff=True)
    client.force_authenticate(staff)

    created = client.post(
        "/api/v4/categories/",
        {"title": "Themes", "slug": "themes", "show_pypi": False},
        format="json",
    )
    bad = client.post("/api/v4/categories/", {"title": "x" * 51, "slug": "Bad!"}, format="json")
    PackageFactory(category_id=created.json()["id"])
    in_use = client.delete("/api/v4/categories/themes/")

    assert created.status_code == 201
    assert created.json()["show_pypi"] is False
    assert bad.status_code == 400
    assert sorted(bad.json()) == ["slug", "title"]
    assert in_use.status_code == 409
    assert "1 package(s)" in in_use.json()["detail"]


# --- bodies --------------------------------------------------------------------------------


def test_invalid_json_is_a_json_400(client, category):
    response = client.post("/api/v4/packages/", '{"title": ', content_type="application/json")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "JSON parse error" in response.json()["detail"]


@pytest.mark.parametrize("body", ["[]", '"title"', "null", "1"])
def test_a_json_body_that_is_not_an_object_is_a_400(client, category, body):
    response = client.post("/api/v4/packages/", body, content_type="application/json")

    assert response.status_code == 400


def test_plain_text_is_a_415(client, category):
    response = client.post("/api/v4/packages/", "title=x", content_type="text/plain")

    assert response.status_code == 415
    assert "detail" in response.json()


def test_json_nested_100000_deep_is_a_400(client, category):
    body = "[" * 100_000 + "]" * 100_000

    response = client.post("/api/v4/packages/", body, content_type="application/json")

    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]


def test_a_body_over_256_kb_is_a_json_413(client, category):
    body = json.dumps({"title": "x", "category": "apps", "repo_description": "x" * 262_144})

    response = client.post("/api/v4/packages/", body, content_type="application/json")

    assert response.status_code == 413
    assert "at most 262144 bytes" in response.json()["detail"]
    assert not Package.objects.exists()


def test_a_body_just_under_the_limit_reaches_validation(client, category):
    body = json.dumps({"title": "x", "category": "apps", "repo_description": "x" * 200_000})

    response = client.post("/api/v4/packages/", body, content_type="application/json")

    assert response.status_code == 400
    assert list(response.json()) == ["repo_description"]
