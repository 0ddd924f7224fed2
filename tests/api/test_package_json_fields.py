"""The package JSON is built by hand for speed; these prove it is, field by field, what DRF's
declared fields give, and that the OpenAPI schema documents exactly those keys in that order."""

from datetime import UTC, datetime

import pytest
import yaml
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from api.serializers.read import PackageSerializer
from packages.models import Package
from tests.factories import GridFactory, GridPackageFactory, PackageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def package():
    package = PackageFactory(
        pypi_url="django-widgets",
        pypi_version="2.0",
        participants=["ann"],
        commits_over_52=[2] * 52,
        last_updated=datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
        last_fetched=datetime(2024, 2, 3, tzinfo=UTC),
    )
    for grid in GridFactory.create_batch(2):
        GridPackageFactory(grid=grid, package=package)
    return Package.objects.prefetch_related("grids").get(pk=package.pk)


@pytest.mark.parametrize(
    ("path", "format"), [("/api/v4/packages/", None), ("/api/v4/packages.json", "json")]
)
def test_the_hand_built_json_is_what_the_declared_fields_give(package, path, format):
    request = Request(APIRequestFactory().get(path))
    serializer = PackageSerializer(context={"request": request, "format": format})

    built = serializer.to_representation(package)
    declared = serializers.ModelSerializer.to_representation(serializer, package)

    assert list(built) == list(declared) == PackageSerializer.Meta.fields
    assert built == declared


def test_the_schema_documents_the_same_keys_in_order(client):
    schema = yaml.safe_load(
        client.get("/api/v4/schema/", HTTP_ACCEPT="application/vnd.oai.openapi").content
    )

    documented = schema["components"]["schemas"]["Package"]["properties"]

    assert list(documented) == PackageSerializer.Meta.fields
