"""Every read endpoint, with and without Redis: no write or transaction statement, and a query
budget (a stored document's detail is one statement, a list page one too)."""

import re
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import (
    CategoryFactory,
    ElementFactory,
    FeatureFactory,
    GridFactory,
    GridPackageFactory,
    PackageFactory,
    UserFactory,
    VersionFactory,
)

pytestmark = pytest.mark.django_db

WRITE = re.compile(
    r"^\s*(INSERT|UPDATE|DELETE|REPLACE|BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|"
    r"CREATE|DROP|ALTER|SELECT\b.*\bFOR\s+UPDATE)",
    re.IGNORECASE | re.DOTALL,
)

# (path, most queries allowed when rendered afresh; a list: the count, the page's ids, their
# stored documents)
READS = [
    ("/api/v4/", 0),
    ("/api/v4/categories/", 1),
    ("/api/v4/categories/apps/", 1),
    ("/api/v4/packages/?limit=2", 1),
    ("/api/v4/packages/?limit=100", 1),
    ("/api/v4/packages/?category=apps&ordering=-repo_watchers", 1),
    ("/api/v4/packages/pkg-1/", 1),
    ("/api/v4/packages/pkg-1/score/", 2),
    ("/api/v4/packages/pkg-1/versions/", 3),
    ("/api/v4/grids/?limit=1", 1),
    ("/api/v4/grids/?limit=100", 1),
    ("/api/v4/grids/grid-a/", 1),
    ("/api/v4/grids/grid-a/comparison/", 4),
    ("/api/v4/grids/grid-a/comparison.csv", 4),
    ("/api/v4/grids/grid-a/packages/", 3),
    ("/api/v4/grids/grid-a/features/", 3),
    ("/api/v4/grids/grid-a/cells/", 3),
    ("/api/v4/search/?q=pkg", 3),
    ("/api/v4/search/?q=rest%20framework", 3),
]


@pytest.fixture(params=["embedded", "redis"])
def cache_setup(request, settings):
    """The caches as settings.py builds them: process memory without Redis, Redis with it."""
    if request.param == "redis":
        redis = {
            "BACKEND": "common.redis_cache.DegradingRedisCache",
            "LOCATION": request.getfixturevalue("redis_url"),
            "KEY_PREFIX": f"test-reads-{uuid.uuid4().hex}",
        }
        settings.CACHES = {
            "default": redis,
            "throttle": {**redis, "KEY_PREFIX": f"{redis['KEY_PREFIX']}:throttle"},
        }
    return request.param


@pytest.fixture
def catalogue():
    apps = CategoryFactory(slug="apps")
    grids = [GridFactory(slug="grid-a"), GridFactory(slug="grid-b")]
    features = [FeatureFactory(grid=grids[0]) for _ in range(3)]
    for n in range(1, 7):
        package = PackageFactory(title=f"pkg-{n}", slug=f"pkg-{n}", category=apps)
        VersionFactory.create_batch(2, package=package)
        for grid in grids:
            membership = GridPackageFactory(grid=grid, package=package)
            if grid is grids[0]:
                for feature in features:
                    ElementFactory(grid_package=membership, feature=feature)
    PackageFactory(title="django-rest-framework", slug="djangorestframework", category=apps)


def _writes(queries):
    return [query["sql"] for query in queries if WRITE.match(query["sql"])]


@pytest.mark.usefixtures("catalogue")
@pytest.mark.parametrize(("path", "budget"), READS)
@pytest.mark.parametrize("method", ["get", "head"])
def test_an_anonymous_read_writes_nothing_and_keeps_its_budget(cache_setup, path, budget, method):
    client = APIClient()

    with CaptureQueriesContext(connection) as fresh:
        first = getattr(client, method)(path)
    with CaptureQueriesContext(connection) as again:
        second = getattr(client, method)(path)

    assert (first.status_code, second.status_code) == (200, 200), first.content
    assert _writes(fresh.captured_queries) == []
    assert _writes(again.captured_queries) == []
    assert len(fresh.captured_queries) <= budget, [q["sql"] for q in fresh.captured_queries]
    assert len(again.captured_queries) <= budget


@pytest.mark.usefixtures("catalogue")
@pytest.mark.parametrize("path", ["/api/v4/packages/", "/api/v4/grids/grid-a/comparison/"])
def test_a_signed_in_read_writes_nothing(cache_setup, path):
    token = Token.objects.create(user=UserFactory())
    client = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")

    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)

    assert response.status_code == 200
    assert _writes(queries.captured_queries) == []


@pytest.mark.usefixtures("catalogue")
def test_a_throttled_read_writes_nothing(cache_setup, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "anon": "1/min",
        },
    }
    client = APIClient(REMOTE_ADDR=f"127.0.{uuid.uuid4().int % 250}.9")
    client.get("/api/v4/packages/")

    with CaptureQueriesContext(connection) as queries:
        refused = client.get("/api/v4/packages/")

    assert refused.status_code == 429
    assert _writes(queries.captured_queries) == []


def test_the_write_pattern_recognises_writes():
    assert _writes(
        [
            {"sql": 'INSERT INTO "x" VALUES (1)'},
            {"sql": "BEGIN IMMEDIATE"},
            {"sql": 'SELECT 1 FROM "x" FOR UPDATE'},
            {"sql": 'SELECT "id" FROM "packages_package"'},
        ]
    ) == ['INSERT INTO "x" VALUES (1)', "BEGIN IMMEDIATE", 'SELECT 1 FROM "x" FOR UPDATE']
