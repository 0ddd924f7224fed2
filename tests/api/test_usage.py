"""Usage marks: POST/DELETE /api/v4/packages/{id or slug}/usage/ (auth, idempotence, throttle),
and the counts in v4 search, API v3 and the admin; the v4 package keeps the seed's keys."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from packages.models import Usage
from tests.factories import PackageFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def package():
    return PackageFactory(title="django-widgets", slug="django-widgets")


def _as(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_anonymous_marks_are_refused(package):
    response = APIClient().post("/api/v4/packages/django-widgets/usage/")

    assert response.status_code == 401
    assert Usage.objects.count() == 0


def test_marking_is_idempotent(package):
    client = _as(UserFactory())

    first = client.post("/api/v4/packages/django-widgets/usage/")
    again = client.post(f"/api/v4/packages/{package.pk}/usage/")

    assert (first.status_code, first.json()) == (201, {"usage_count": 1, "used": True})
    assert (again.status_code, again.json()) == (200, {"usage_count": 1, "used": True})
    assert Usage.objects.count() == 1


def test_unmarking_is_idempotent_and_leaves_others_marks(package):
    me, other = UserFactory(), UserFactory()
    _as(other).post("/api/v4/packages/django-widgets/usage/")
    _as(me).post("/api/v4/packages/django-widgets/usage/")

    first = _as(me).delete("/api/v4/packages/django-widgets/usage/")
    again = _as(me).delete("/api/v4/packages/django-widgets/usage/")

    assert (first.status_code, first.json()) == (200, {"usage_count": 1, "used": False})
    assert (again.status_code, again.json()) == (200, {"usage_count": 1, "used": False})
    assert list(Usage.objects.values_list("user", flat=True)) == [other.pk]


def test_an_unknown_package_is_a_404(package):
    assert _as(UserFactory()).post("/api/v4/packages/nope/usage/").status_code == 404


def test_marks_are_throttled(package, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "usage": "2/min",
        },
    }
    client = _as(UserFactory())

    codes = [client.post("/api/v4/packages/django-widgets/usage/").status_code for _ in range(3)]

    assert codes == [201, 200, 429]


def test_counts_show_in_search_and_v3(package, client):
    for user in UserFactory.create_batch(3):
        _as(user).post("/api/v4/packages/django-widgets/usage/")
    PackageFactory(title="django-widgets-extra", slug="django-widgets-extra")

    hits = client.get("/api/v4/search/", {"q": "widgets"}).json()
    v3 = client.get("/api/v3/packages/django-widgets/").json()

    assert [(hit["slug"], hit["usage"]) for hit in hits] == [
        ("django-widgets", 3),
        ("django-widgets-extra", 0),
    ]
    assert v3["usage_count"] == 3


def test_a_mark_refreshes_cached_reads(package, client):
    assert client.get("/api/v3/packages/django-widgets/").json()["usage_count"] == 0

    _as(UserFactory()).post("/api/v4/packages/django-widgets/usage/")

    assert client.get("/api/v3/packages/django-widgets/").json()["usage_count"] == 1


def test_the_v4_package_keeps_its_keys(package):
    before = list(APIClient().get("/api/v4/packages/django-widgets/").json())
    _as(UserFactory()).post("/api/v4/packages/django-widgets/usage/")

    assert list(APIClient().get("/api/v4/packages/django-widgets/").json()) == before
    assert "usage" not in before
    assert "usage_count" not in before


def test_the_admin_lists_the_usage_count(package, client):
    for user in UserFactory.create_batch(2):
        Usage.objects.create(package=package, user=user)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    page = client.get(reverse("admin:packages_package_changelist")).content.decode()

    assert '<td class="field-usage_count">2</td>' in page
