"""A run parses a package's repository URL once and passes the parsed reference along: to the
host-stopped checks, to the forge's client and back (issue #27's "parsed 4 times per fetch")."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from packages.repositories import parse_repo_url
from tests.factories import PackageFactory
from tests.packages.conftest import serve_github_repo, serve_pypi

pytestmark = pytest.mark.django_db


@pytest.fixture
def parses(monkeypatch):
    """Every repository URL the fetcher parses while routing a package (not the identity key a
    save derives): where it parses, the one parser is counted."""
    seen = []

    def counting(url):
        seen.append(url)
        return parse_repo_url(url)

    for module in ("packages.fetch.run", "packages.fetch.forges.base"):
        monkeypatch.setattr(f"{module}.parse_repo_url", counting)
    return seen


def test_one_fetch_parses_the_repository_url_once(fetch_settings, upstream, parses):
    serve_github_repo(upstream)
    serve_pypi(upstream)
    PackageFactory(
        slug="widgets", repo_url="https://github.com/octo/widgets", pypi_url="django-widgets"
    )
    out = StringIO()

    call_command("fetch_stats", "--json", stdout=out, stderr=StringIO())

    assert json.loads(out.getvalue())["fetched"] == 1
    assert parses == ["https://github.com/octo/widgets"]
