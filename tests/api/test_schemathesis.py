"""Property-based checks of the whole API against its own OpenAPI schema (schemathesis).

Every operation in the schema is called with generated parameters and bodies on a small
catalogue; no response may be a 5xx, and every documented response must match its schema.
Seeded (`derandomize`) and bounded (`EXAMPLES_PER_OPERATION`) so CI stays quick and
repeatable. The schema is the one `/api/v4/schema/` serves, generated in-process.
"""

import json

import pytest

schemathesis = pytest.importorskip("schemathesis")
from django.core.signals import request_finished, request_started  # noqa: E402
from django.db import close_old_connections  # noqa: E402
from drf_spectacular.generators import SchemaGenerator  # noqa: E402
from drf_spectacular.renderers import OpenApiJsonRenderer  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis.checks import not_a_server_error, response_schema_conformance  # noqa: E402

from djangopackages.wsgi import application  # noqa: E402
from tests.factories import ElementFactory, VersionFactory  # noqa: E402

EXAMPLES_PER_OPERATION = 25


def load_schema():
    document = SchemaGenerator().get_schema(request=None, public=True)
    schema = schemathesis.openapi.from_dict(json.loads(OpenApiJsonRenderer().render(document)))
    schema.app = application
    return schema


SCHEMA = load_schema()
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Like Django's test client: a request must not close the test transaction's connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def catalogue(db):
    element = ElementFactory(grid_package__package__slug="django-seeded")
    VersionFactory(package=element.grid_package.package)


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.label)
def test_operation_conforms_to_the_schema(operation, catalogue):
    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case):
        case.call_and_validate(
            headers={"Host": "testserver"},
            checks=[not_a_server_error, response_schema_conformance],
        )

    check()
