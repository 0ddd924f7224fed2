"""PyPI client: version choice by PEP 440, metadata from info and classifiers, faults."""

import copy

import pytest

from packages.fetch.forges.base import NotFoundError, UpstreamDataError
from packages.fetch.http import HttpClient, HttpConfig, Origin
from packages.fetch.pypi import PyPIClient, parse_project
from tests.packages.conftest import Reply, fixture


@pytest.fixture
def pypi(upstream):
    http = HttpClient(
        {f"{upstream.url}/pypi": Origin("pypi")}, config=HttpConfig.from_settings(retries=0)
    )
    return PyPIClient(http, base_url=f"{upstream.url}/pypi")


def test_project_metadata(upstream, pypi):
    upstream.json("/pypi/pypi/django-widgets/json", "pypi_project.json")
    project = pypi.fetch("django-widgets")
    assert project.version == "1.10"  # 2.0 is yanked, 2.1rc1 a pre-release, 1.10 > 1.9
    assert project.license == "BSD-3-Clause"
    assert project.requires_python == ">=3.10"
    assert project.development_status == "4 - Beta"
    assert project.supports_python3 is True
    assert project.documentation_url == "https://widgets.readthedocs.io/"
    releases = {r.number: r for r in project.releases}
    assert set(releases) == {"1.9", "1.10", "2.0", "2.1rc1", "0.1"}
    assert releases["2.0"].is_yanked
    assert not releases["1.10"].is_yanked
    assert releases["2.1rc1"].is_prerelease
    assert releases["0.1"].upload_time is None
    assert releases["1.10"].requires_python == ">=3.10"
    assert releases["1.10"].upload_time.isoformat() == "2023-06-01T00:00:00+00:00"


def with_releases(numbers, yanked=()):
    document = copy.deepcopy(fixture("pypi_project.json"))
    template = document["releases"]["1.9"]
    document["releases"] = {n: [dict(f, yanked=n in yanked) for f in template] for n in numbers}
    return document


def test_only_pre_releases_fall_back_to_the_newest_pre_release():
    project = parse_project("w", with_releases(["2.0b1", "2.0rc1", "1.0a1"]))
    assert project.version == "2.0rc1"


def test_every_release_yanked_gives_no_version():
    assert parse_project("w", with_releases(["1.0", "1.1"], yanked={"1.0", "1.1"})).version is None


def test_license_falls_back_to_the_classifier_and_keeps_a_first_line():
    document = fixture("pypi_project.json")
    document["info"]["license"] = ""
    assert parse_project("w", document).license == "BSD License"
    document["info"]["license"] = "MIT License\n\nPermission is hereby granted..."
    assert parse_project("w", document).license == "MIT License"


@pytest.mark.parametrize(
    ("classifiers", "requires", "expected"),
    [
        (["Programming Language :: Python :: 3.11"], "", True),
        (["Programming Language :: Python :: 2.7"], "", False),
        ([], ">=3.8", True),
        ([], "<3", False),
        ([], "", None),
    ],
)
def test_python3_support(classifiers, requires, expected):
    document = fixture("pypi_project.json")
    document["info"].update(classifiers=classifiers, requires_python=requires)
    assert parse_project("w", document).supports_python3 is expected


def test_missing_project_raises_not_found(pypi):
    with pytest.raises(NotFoundError):
        pypi.fetch("nope")


@pytest.mark.parametrize(
    "body", [{}, [], {"info": "x", "releases": {}}, {"info": {}, "releases": []}]
)
def test_wrong_shapes_are_rejected(upstream, pypi, body):
    upstream.add("/pypi/pypi/odd/json", Reply(body))
    with pytest.raises(UpstreamDataError):
        pypi.fetch("odd")


@pytest.mark.parametrize(
    ("project_urls", "docs_url", "expected"),
    [
        ({"Documentation": "http://127.0.0.1:8000/docs"}, "https://w.readthedocs.io/", "https://w.readthedocs.io/"),
        ({"Docs": "https://localhost/docs", "Documentation": "https://docs.example.org/w"}, None, "https://docs.example.org/w"),
        ({"Documentation": "https://intranet.internal/w"}, "javascript:alert(1)", ""),
        ({"Documentation": "https://user@docs.example.org/w"}, None, ""),
    ],
)  # fmt: skip
def test_documentation_url_passes_the_apis_rules_or_is_not_taken(project_urls, docs_url, expected):
    document = fixture("pypi_project.json")
    document["info"].update(project_urls=project_urls, docs_url=docs_url)
    assert parse_project("w", document).documentation_url == expected
