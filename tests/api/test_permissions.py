"""The permission table of issue 5, cell by cell, and that a refused write changes nothing."""

from types import SimpleNamespace

import pytest
from rest_framework.test import APIClient

from categories.models import Category
from grids.models import Element, Feature, Grid, GridPackage
from packages.models import Package
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

ACTORS = ("anon", "other", "creator", "staff")


@pytest.fixture
def world():
    people = {
        "other": UserFactory(username="other"),
        "creator": UserFactory(username="creator"),
        "staff": UserFactory(username="staff", is_staff=True),
    }
    creator = people["creator"]
    category = CategoryFactory(slug="apps")
    CategoryFactory(slug="unused")
    package = PackageFactory(slug="pkg", category=category, created_by=creator)
    outsider = PackageFactory(slug="outsider", category=category)
    grids = {}
    for slug, locked in (("open", False), ("locked", True)):
        grid = GridFactory(slug=slug, is_locked=locked, created_by=creator)
        membership = GridPackageFactory(grid=grid, package=package, created_by=creator)
        feature = FeatureFactory(grid=grid, created_by=creator)
        cell = ElementFactory(grid_package=membership, feature=feature, created_by=creator)
        grids[slug] = SimpleNamespace(grid=grid, feature=feature, cell=cell)
    return SimpleNamespace(
        people=people, category=category, package=package, outsider=outsider, grids=grids
    )


def _client(world, actor):
    client = APIClient()
    if actor != "anon":
        client.force_authenticate(world.people[actor])
    return client


def snapshot():
    """Every row of every catalogue table, as plain values."""
    return {
        model.__name__: list(model.objects.order_by("pk").values())
        for model in (Category, Package, Grid, GridPackage, Feature, Element)
    }


def _new_package(w):
    return {"title": "Brand new", "category": "apps", "repo_url": "https://github.com/x/new"}


def _cell(w, slug):
    return {"package": "pkg", "feature": w.grids[slug].feature.pk, "text": "changed"}


def _expect(anon=401, other=403, creator=403, staff=200):
    return {"anon": anon, "other": other, "creator": creator, "staff": staff}


# (name, method, url(world), body(world), expected status per actor)
CASES = [
    (
        "package create",
        "post",
        lambda w: "/api/v4/packages/",
        _new_package,
        _expect(other=201, creator=201, staff=201),
    ),
    (
        "package update",
        "patch",
        lambda w: "/api/v4/packages/pkg/",
        lambda w: {"title": "Renamed"},
        _expect(creator=200),
    ),
    ("package delete", "delete", lambda w: "/api/v4/packages/pkg/", None, _expect(staff=204)),
    (
        "grid create",
        "post",
        lambda w: "/api/v4/grids/",
        lambda w: {"title": "A grid"},
        _expect(other=201, creator=201, staff=201),
    ),
    (
        "grid update",
        "patch",
        lambda w: "/api/v4/grids/open/",
        lambda w: {"title": "Renamed"},
        _expect(creator=200),
    ),
    (
        "locked grid update",
        "patch",
        lambda w: "/api/v4/grids/locked/",
        lambda w: {"title": "Renamed"},
        _expect(),
    ),
    (
        "grid lock",
        "patch",
        lambda w: "/api/v4/grids/open/",
        lambda w: {"is_locked": True},
        _expect(),
    ),
    (
        "grid header",
        "patch",
        lambda w: "/api/v4/grids/open/",
        lambda w: {"header": True},
        _expect(),
    ),
    ("grid delete", "delete", lambda w: "/api/v4/grids/open/", None, _expect(staff=204)),
    (
        "add package",
        "post",
        lambda w: "/api/v4/grids/open/packages/",
        lambda w: {"package": "outsider"},
        _expect(other=201, creator=201, staff=201),
    ),
    (
        "add package to locked grid",
        "post",
        lambda w: "/api/v4/grids/locked/packages/",
        lambda w: {"package": "outsider"},
        _expect(staff=201),
    ),
    (
        "remove package",
        "delete",
        lambda w: "/api/v4/grids/open/packages/pkg/",
        None,
        # The row holds a cell the creator wrote: removing it would delete that cell.
        _expect(other=403, creator=204, staff=204),
    ),
    (
        "remove package from locked grid",
        "delete",
        lambda w: "/api/v4/grids/locked/packages/pkg/",
        None,
        _expect(staff=204),
    ),
    (
        "feature create",
        "post",
        lambda w: "/api/v4/grids/open/features/",
        lambda w: {"title": "Async"},
        _expect(other=201, creator=201, staff=201),
    ),
    (
        "feature create on locked grid",
        "post",
        lambda w: "/api/v4/grids/locked/features/",
        lambda w: {"title": "Async"},
        _expect(staff=201),
    ),
    (
        "feature update",
        "patch",
        lambda w: f"/api/v4/grids/open/features/{w.grids['open'].feature.pk}/",
        lambda w: {"title": "Sync"},
        _expect(other=200, creator=200),
    ),
    (
        "feature update on locked grid",
        "patch",
        lambda w: f"/api/v4/grids/locked/features/{w.grids['locked'].feature.pk}/",
        lambda w: {"title": "Sync"},
        _expect(),
    ),
    (
        "feature delete",
        "delete",
        lambda w: f"/api/v4/grids/open/features/{w.grids['open'].feature.pk}/",
        None,
        _expect(creator=204, staff=204),
    ),
    (
        "feature delete on locked grid",
        "delete",
        lambda w: f"/api/v4/grids/locked/features/{w.grids['locked'].feature.pk}/",
        None,
        _expect(staff=204),
    ),
    (
        "cell set",
        "post",
        lambda w: "/api/v4/grids/open/cells/",
        lambda w: _cell(w, "open"),
        _expect(other=200, creator=200),
    ),
    (
        "cell set on locked grid",
        "post",
        lambda w: "/api/v4/grids/locked/cells/",
        lambda w: _cell(w, "locked"),
        _expect(),
    ),
    (
        "cell update",
        "patch",
        lambda w: f"/api/v4/grids/open/cells/{w.grids['open'].cell.pk}/",
        lambda w: {"text": "no"},
        _expect(other=200, creator=200),
    ),
    (
        "cell update on locked grid",
        "patch",
        lambda w: f"/api/v4/grids/locked/cells/{w.grids['locked'].cell.pk}/",
        lambda w: {"text": "no"},
        _expect(),
    ),
    (
        "cell delete",
        "delete",
        lambda w: f"/api/v4/grids/open/cells/{w.grids['open'].cell.pk}/",
        None,
        _expect(creator=204, staff=204),
    ),
    (
        "cell delete on locked grid",
        "delete",
        lambda w: f"/api/v4/grids/locked/cells/{w.grids['locked'].cell.pk}/",
        None,
        _expect(staff=204),
    ),
    (
        "category create",
        "post",
        lambda w: "/api/v4/categories/",
        lambda w: {"title": "Themes", "slug": "themes"},
        _expect(staff=201),
    ),
    (
        "category update",
        "patch",
        lambda w: "/api/v4/categories/apps/",
        lambda w: {"title": "Applications"},
        _expect(),
    ),
    (
        "unused category delete",
        "delete",
        lambda w: "/api/v4/categories/unused/",
        None,
        _expect(staff=204),
    ),
    (
        "used category delete",
        "delete",
        lambda w: "/api/v4/categories/apps/",
        None,
        _expect(staff=409),
    ),
]


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize(
    ("method", "url", "body", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_permission_table(world, actor, method, url, body, expected):
    before = snapshot()

    response = getattr(_client(world, actor), method)(
        url(world), body(world) if body else None, format="json"
    )

    assert response.status_code == expected[actor], response.content
    if response.status_code >= 400:
        assert "detail" in response.json()
        assert snapshot() == before
    else:
        assert snapshot() != before
    if response.status_code == 401:
        assert response["WWW-Authenticate"] == "Token"


def test_locked_grid_refusal_says_why(world):
    response = _client(world, "creator").patch(
        "/api/v4/grids/locked/", {"title": "x"}, format="json"
    )

    assert response.status_code == 403
    assert "locked" in response.json()["detail"]


def test_reads_stay_open_to_everyone(world):
    client = APIClient()
    locked = world.grids["locked"]

    for url in (
        "/api/v4/packages/pkg/",
        "/api/v4/grids/locked/",
        "/api/v4/grids/locked/packages/",
        "/api/v4/grids/locked/packages/pkg/",
        "/api/v4/grids/locked/features/",
        f"/api/v4/grids/locked/features/{locked.feature.pk}/",
        "/api/v4/grids/locked/cells/",
        f"/api/v4/grids/locked/cells/{locked.cell.pk}/",
        "/api/v4/categories/apps/",
    ):
        assert client.get(url).status_code == 200, url


def test_anonymous_clients_are_offered_only_safe_methods(world):
    anonymous = APIClient().options("/api/v4/packages/pkg/")
    staff = _client(world, "staff").options("/api/v4/packages/pkg/")

    assert anonymous["Allow"] == "GET, HEAD, OPTIONS"
    assert staff["Allow"] == "GET, PUT, PATCH, DELETE, HEAD, OPTIONS"
