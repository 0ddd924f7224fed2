"""`?changed_since=` (api/changes.py): a keyset walk over what changed, oldest change first,
that neither skips nor repeats a resource while others change during the walk."""

from datetime import timedelta
from urllib.parse import quote

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from api.stored import Document
from packages.models import Package
from tests.factories import CategoryFactory, GridFactory, PackageFactory, UserFactory

pytestmark = pytest.mark.django_db


def _walk(client, url, edit_after_page=None):
    """Every resource the walk returns, in order, following `next`."""
    seen, pages = [], 0
    while url:
        body = client.get(url).json()
        seen += [item["slug"] for item in body["results"]]
        pages += 1
        if edit_after_page:
            edit_after_page(pages, seen)
        url = body["next"]
    return seen


def test_a_walk_with_limit_2_returns_every_changed_package_once_while_others_change():
    packages = [PackageFactory(slug=f"p{n}") for n in range(7)]
    since = Document.objects.get(kind="package", object_id=packages[0].pk).changed_at
    client = APIClient()

    def edit(page, seen):
        if page == 1:  # a package not walked yet changes: it moves to the end, once
            Package.objects.filter(slug="p4").update(title="edited during the walk")
        if page == 2:  # a new one, and an edit that changes no byte of a walked one
            PackageFactory(slug="new")
            Package.objects.get(slug="p0").save(touch=False)

    url = f"/api/v4/packages/?changed_since={quote(since.isoformat())}&limit=2"
    seen = _walk(client, url, edit)

    assert sorted(seen) == sorted([f"p{n}" for n in range(7)] + ["new"])
    assert len(seen) == len(set(seen))
    assert seen.index("p4") > seen.index("p6")  # its change is the newer one


def test_changed_since_selects_and_orders_by_the_change_and_filters_still_apply():
    old, fresh = PackageFactory(slug="old"), PackageFactory(slug="fresh")
    Document.objects.filter(object_id=old.pk, kind="package").update(
        changed_at=timezone.now() - timedelta(days=3)
    )
    cutoff = quote((timezone.now() - timedelta(days=1)).isoformat())
    client = APIClient()

    assert _walk(client, f"/api/v4/packages/?changed_since={cutoff}") == ["fresh"]
    old.title = "renamed"
    old.save()
    assert _walk(client, f"/api/v4/packages/?changed_since={cutoff}") == ["fresh", "old"]
    other = CategoryFactory(slug="other")
    Package.objects.filter(pk=fresh.pk).update(category=other)
    assert _walk(client, f"/api/v4/packages/?changed_since={cutoff}&category=other") == ["fresh"]


@pytest.mark.parametrize("resource", ["grids", "categories"])
def test_grids_and_categories_walk_too(resource):
    factory = GridFactory if resource == "grids" else CategoryFactory
    rows = [factory(slug=f"{resource}-{n}") for n in range(3)]
    since = quote((timezone.now() - timedelta(minutes=5)).isoformat())

    seen = _walk(APIClient(), f"/api/v4/{resource}/?changed_since={since}&limit=1")

    assert seen == [row.slug for row in rows]


def test_a_signed_in_client_walks_the_same():
    PackageFactory(slug="a")
    client = APIClient()
    client.force_authenticate(UserFactory())
    since = quote((timezone.now() - timedelta(minutes=5)).isoformat())

    assert _walk(client, f"/api/v4/packages/?changed_since={since}") == ["a"]


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("changed_since=yesterday", "changed_since"),
        ("changed_since=2026-13-01T00:00:00Z", "changed_since"),
        ("changed_since=2026-01-01T00:00:00Z&after=junk", "after"),
        ("changed_since=2026-01-01T00:00:00Z&limit=-1", "limit"),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(query, name):
    response = APIClient().get(f"/api/v4/packages/?{query}")

    assert response.status_code == 400
    assert list(response.json()) == [name]
