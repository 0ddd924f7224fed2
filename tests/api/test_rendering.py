"""Uncached package and grid reads are built from rows (api/rendering.py): they give the JSON
the serializers give, in one query, written by orjson byte for byte as DRF's renderer writes."""

import json

import pytest
from rest_framework import renderers, serializers
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from api.filters import PackageFilter
from api.rendering import JSONDocument, JSONRenderer
from api.serializers.read import CategorySerializer, GridSerializer, PackageSerializer
from api.views import GridViewSet, PackageViewSet
from grids.models import Grid
from packages.models import Package
from tests.factories import CategoryFactory, GridFactory, GridPackageFactory, PackageFactory

pytestmark = pytest.mark.django_db

TEXT = 'quote " backslash \\ tab \t nl \n del \x7f é 漢 😀 ls \u2028 ps \u2029 /'
TRICKY = TEXT + " nul \x00"  # PostgreSQL stores no NUL: only the renderer tests have it


@pytest.fixture
def catalogue():
    """Three packages (one in no grid) and three grids (one with no package)."""
    category = CategoryFactory(slug="apps")
    packages = [
        PackageFactory(category=category, participants=["ann", "bob"], repo_description=TEXT),
        PackageFactory(category=category, pypi_url="django-x", documentation_url=""),
        PackageFactory(category=CategoryFactory(slug="frameworks")),
    ]
    grids = [GridFactory(description=TEXT), GridFactory(), GridFactory()]
    for grid in grids[:2]:
        for package in packages[:2]:
            GridPackageFactory(grid=grid, package=package)
    return packages, grids


def _serialized(serializer_class, queryset, path, format=None):
    request = Request(APIRequestFactory().get(path))
    context = {"request": request, "format": format}
    return serializer_class(queryset, many=True, context=context).data


@pytest.mark.parametrize(
    ("path", "format"), [("/api/v4/grids/", None), ("/api/v4/grids.json", "json")]
)
def test_the_hand_built_grid_json_is_what_the_declared_fields_give(catalogue, path, format):
    grid = Grid.objects.prefetch_related("packages").get(pk=catalogue[1][0].pk)
    serializer = GridSerializer(
        context={"request": Request(APIRequestFactory().get(path)), "format": format}
    )

    built = serializer.to_representation(grid)
    declared = serializers.ModelSerializer.to_representation(serializer, grid)

    assert list(built) == list(declared) == GridSerializer.Meta.fields
    assert built == declared


@pytest.mark.parametrize("serializer_class", [CategorySerializer, PackageSerializer])
def test_the_hand_built_json_is_what_the_declared_fields_give(catalogue, serializer_class):
    instance = serializer_class.Meta.model.objects.order_by("pk").first()
    serializer = serializer_class(context={"request": Request(APIRequestFactory().get("/"))})

    built = serializer.to_representation(instance)
    declared = serializers.ModelSerializer.to_representation(serializer, instance)

    assert list(built) == list(declared) == serializer_class.Meta.fields
    assert built == declared


@pytest.mark.parametrize(
    "path",
    [
        "/api/v4/packages/?limit=100",
        "/api/v4/packages.json?limit=100",
        "/api/v4/packages/?format=json",
    ],
)
def test_a_package_list_from_rows_is_what_the_serializer_gives(catalogue, client, path):
    instances = PackageViewSet.queryset.all()  # what the browsable API serializes
    format = "json" if ".json" in path else None

    body = client.get(path).json()

    assert body["results"] == json.loads(
        json.dumps(_serialized(PackageSerializer, instances, path, format))
    )
    assert body["results"][0]["grids"] == []  # the newest package is in no grid


def test_a_grid_list_from_rows_is_what_the_serializer_gives(catalogue, client):
    instances = GridViewSet.queryset.all()

    body = client.get("/api/v4/grids/").json()

    assert body["results"] == json.loads(
        json.dumps(_serialized(GridSerializer, instances, "/api/v4/grids/"))
    )
    assert body["results"][0]["packages"] == []


def test_member_links_are_in_id_order(catalogue, client):
    packages, grids = catalogue

    package = client.get(f"/api/v4/packages/{packages[0].pk}/").json()
    grid = client.get(f"/api/v4/grids/{grids[0].slug}/").json()

    assert package["grids"] == [f"http://testserver/api/v4/grids/{g.pk}/" for g in grids[:2]]
    assert grid["packages"] == [f"http://testserver/api/v4/packages/{p.pk}/" for p in packages[:2]]


@pytest.mark.parametrize(
    ("path", "queries"),
    [
        ("/api/v4/packages/?limit=2", 1),
        ("/api/v4/grids/?limit=2", 1),
        ("/api/v4/packages/pkg/", 1),
        ("/api/v4/grids/grid/", 1),
    ],
)
def test_a_page_is_its_rows_and_their_members_and_a_detail_one_query(
    catalogue, client, django_assert_num_queries, path, queries
):
    Package.objects.filter(pk=catalogue[0][0].pk).update(slug="pkg")
    Grid.objects.filter(pk=catalogue[1][0].pk).update(slug="grid")
    client.get(f"{path}{'&' if '?' in path else '?'}offset=1")  # counts the list

    with django_assert_num_queries(queries):
        response = client.get(path)

    assert response.status_code == 200


def test_a_parameter_no_filter_reads_builds_no_filter(catalogue, client, django_assert_num_queries):
    with django_assert_num_queries(1):  # the count and the page's stored documents
        client.get("/api/v4/packages/?nonce=2")
    with django_assert_num_queries(1):  # a filter: the same one statement
        body = client.get("/api/v4/packages/?nonce=3&category=apps").json()

    assert body["count"] == 2


def test_no_filterset_is_built_when_no_parameter_names_a_filter(catalogue, client, monkeypatch):
    built = []
    original = PackageFilter.__init__

    def spy(self, *args, **kwargs):
        built.append(kwargs.get("data"))
        original(self, *args, **kwargs)

    monkeypatch.setattr(PackageFilter, "__init__", spy)

    client.get("/api/v4/packages/?limit=1&offset=1&nonce=1")
    assert built == []
    assert client.get("/api/v4/packages/?category=frameworks&nonce=2").json()["count"] == 1
    assert client.get("/api/v4/packages/?updated_after=junk").status_code == 400
    assert len(built) == 3  # the stored-document read's, then DRF's, which answers the 400


def test_the_browsable_api_still_shows_the_serializer_json(catalogue, client):
    json_body = client.get("/api/v4/packages/").json()

    page = client.get("/api/v4/packages/?format=api").content.decode()

    assert json_body["results"][0]["slug"] in page


@pytest.mark.parametrize(
    "data",
    [
        {"text": TRICKY, "ints": [0, -1, 2**63 - 1], "flags": [True, False, None], "nested": {}},
        {"results": [{"é": TRICKY}] * 3, "count": 3, "next": None},
    ],
)
def test_orjson_writes_a_document_byte_for_byte_as_drf_does(data):
    assert JSONRenderer().render(JSONDocument(data)) == renderers.JSONRenderer().render(data)


def test_an_indented_or_plain_body_goes_through_drf():
    data = {"score": 1.0e-05, "text": TRICKY}
    drf = renderers.JSONRenderer()

    indented = JSONRenderer().render(JSONDocument(data), "application/json; indent=4")

    assert indented == drf.render(data, "application/json; indent=4")
    assert JSONRenderer().render(data) == drf.render(data)  # floats: never through orjson
