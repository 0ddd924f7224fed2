"""A fetch of a demo package replaces its sample figures everywhere they are shown (versions,
releases feed, search, score, package JSON), and the admin labels each figure sample or fetched."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from demo.loader import read_packages
from demo.sample import sample_releases
from packages.models import Package, Version
from packages.scoring import compute_score
from tests.factories import UserFactory
from tests.packages.conftest import fixture, serve_github_repo

pytestmark = pytest.mark.django_db

SLUG = "djangorestframework"
REAL_RELEASES = {"3.13.0": "2021-12-13T10:11:12", "3.13.1": "2022-01-02T03:04:05"}


def _pypi_body():
    """PyPI's JSON for the package: two real releases, older than every sample one."""
    releases = {
        number: [
            {
                "filename": f"drf-{number}.tar.gz",
                "packagetype": "sdist",
                "requires_python": ">=3.6",
                "upload_time": moment,
                "upload_time_iso_8601": moment + ".000000Z",
                "yanked": False,
            }
        ]
        for number, moment in REAL_RELEASES.items()
    }
    info = {
        "name": SLUG,
        "version": "3.13.1",
        "license": "BSD",
        "license_expression": None,
        "requires_python": ">=3.6",
        "classifiers": ["Framework :: Django", "Programming Language :: Python :: 3"],
        "project_urls": {"Documentation": "https://www.django-rest-framework.org/"},
        "docs_url": None,
    }
    return {"info": info, "releases": releases}


@pytest.fixture
def fetched_demo(fetch_settings, upstream):
    call_command("load_demo", stdout=StringIO())
    row = next(r for r in read_packages() if r["name"] == SLUG)
    sample = [r.number for r in sample_releases(row)]
    package = Package.objects.get(slug=SLUG)
    assert set(package.versions.values_list("number", flat=True)) == set(sample)
    assert package.figure_sources["stars"]["source"] == "sample"
    serve_github_repo(upstream, "encode/django-rest-framework")
    upstream.json(f"/pypi/pypi/{SLUG}/json", _pypi_body())
    out = StringIO()
    call_command("fetch_stats", "--json", SLUG, stdout=out, stderr=StringIO())
    assert json.loads(out.getvalue())["fetched"] == 1
    package.refresh_from_db()
    return package, sample


def test_no_sample_release_survives_the_fetch(fetched_demo, client):
    package, sample = fetched_demo
    gone = set(sample) - set(REAL_RELEASES)
    assert gone
    assert set(package.versions.values_list("number", flat=True)) == set(REAL_RELEASES)
    assert not Version.objects.filter(package=package, is_sample=True).exists()
    assert package.pypi_version == "3.13.1"

    versions = client.get(f"/api/v4/packages/{SLUG}/versions/").json()
    assert {v["number"] for v in versions["results"]} == set(REAL_RELEASES)

    feed = client.get("/feeds/releases.atom").content.decode()
    assert "<entry>" in feed
    for number in gone:
        assert f"{package.title} {number}<" not in feed

    hits = client.get("/api/v4/search/", {"q": SLUG}).json()
    hit = next(h for h in hits if h["slug"] == SLUG)
    assert hit["last_released"].startswith("2022-01-02")

    score = client.get(f"/api/v4/packages/{SLUG}/score/").json()
    assert json.dumps(score).count("2022-01-02") >= 1
    assert package.score == compute_score(package).total


def test_no_sample_repository_figure_survives_the_fetch(fetched_demo, client):
    package, _ = fetched_demo
    repo = fixture("github_repo.json")
    body = client.get(f"/api/v4/packages/{SLUG}/").json()
    assert body["repo_watchers"] == repo["stargazers_count"] == package.repo_watchers
    assert body["repo_forks"] == repo["forks_count"]
    assert body["participants"] == package.participants
    sources = package.figure_sources
    for figure in ("stars", "forks", "contributors", "commits", "last_commit", "releases"):
        assert sources[figure]["source"] == "fetched", figure
        assert sources[figure]["at"] == package.last_fetched.isoformat()
    # pypistats was not asked: the sample download count stays, and says so.
    assert sources["downloads"] == {"source": "sample", "at": None}


def test_the_admin_labels_each_figure(fetched_demo, client):
    package, _ = fetched_demo
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    page = client.get(f"/admin/packages/package/{package.pk}/change/").content.decode()
    when = f"{package.last_fetched:%Y-%m-%d %H:%M} UTC"
    for label in ("Stars", "Forks", "Contributors", "Weekly commits", "Last commit", "Releases"):
        assert f"{label}: fetched {when}" in page, label
    assert "Downloads: sample (generated for the demo)" in page
    assert "Sample data: this is a demo package" not in page
