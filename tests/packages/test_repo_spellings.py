"""Spellings of one repository that once slipped past the duplicate check (a trailing dot on the
host, a percent-encoded slash or letter, a full-width host, case, `.git`, slashes) share one
`repo_key`; what cannot name a repository (control characters, dot segments, names a forge never
gives) is refused as invalid."""

import importlib

import pytest
from django.apps import apps
from rest_framework.test import APIClient

from packages.identifiers import IdentifierError, normalize_repo_url, repo_identity
from packages.models import Package
from tests.factories import CategoryFactory, PackageFactory, UserFactory

SPELLINGS = [
    "https://github.com./o/r",
    "https://GITHUB.COM./O/R/",
    "https://github.com/o/r%2F",
    "https://github.com/o/r%2f.git",
    "https://github.com/o%2Fr",
    "https://github.com/o/%72",
    "https://github.com/o/r%2Egit",
    "https://github.com/o/r.GIT/",
    "https://github.com//o///r//",
    "https://github.com:443/o/r",
    "https://\uff47\uff49\uff54\uff48\uff55\uff42.com/o/r",
    "https://%67ithub.com/o/r",
    "https://www.github.com./o/r/tree/main",
]


@pytest.mark.parametrize("url", SPELLINGS)
def test_every_spelling_is_one_repository(url):
    assert repo_identity(url) == "github.com/o/r"
    assert normalize_repo_url(url).lower().startswith("https://github.com/o/")


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/o/r\x00",
        "https://github.com/o/r%00",
        "https://github.com/o/r\ud800",
        "https://github.com/o/r%ED%A0%80",  # an encoded surrogate: not UTF-8
        "https://github.com/o/r%FF",
        "https://github.com/o/\x0br",
        "https://github.com/./o/r",
        "https://github.com/o/r/../x",
        "https://github.com/o/%2E%2E/r",
        "https://git\x00hub.com/o/r",
        "https://github..com/o/r",
    ],
)
def test_what_cannot_name_a_repository_is_refused(url):
    with pytest.raises(IdentifierError):
        repo_identity(url)


@pytest.fixture
def writer():
    client = APIClient()
    client.force_authenticate(UserFactory())
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("url", SPELLINGS)
def test_the_api_refuses_a_second_package_for_any_spelling(writer, url):
    category = CategoryFactory(slug="apps")
    first = PackageFactory(repo_url="https://github.com/o/r", category=category)

    response = writer.post(
        "/api/v4/packages/", {"category": "apps", "title": "twin", "repo_url": url}, format="json"
    )

    assert response.status_code == 400, response.content
    assert "Another package already has this repository" in response.json()["repo_url"][0]
    assert f"/api/v4/packages/{first.pk}/" in response.json()["repo_url"][0]
    assert Package.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["https://github.com/o/r%20", "https://github.com/o/r%3F", "https://github.com/o/r%ZZ"]
)
def test_a_forge_repository_name_with_characters_no_forge_allows_is_refused(writer, url):
    CategoryFactory(slug="apps")
    response = writer.post(
        "/api/v4/packages/", {"category": "apps", "title": "odd", "repo_url": url}, format="json"
    )
    assert response.status_code == 400, response.content
    assert list(response.json()) == ["repo_url"]
    assert not Package.objects.exists()


@pytest.mark.django_db
def test_the_migration_gives_stored_spellings_one_key_and_clears_the_duplicates(capsys):
    keeper = PackageFactory(slug="keeper", repo_url="https://github.com/o/r")
    twin = PackageFactory(slug="twin", repo_url="https://github.com/o/r2")
    odd = PackageFactory(slug="odd", repo_url="https://github.com/o/r3")
    # As the old normalization stored them: different keys for one repository.
    Package.objects.filter(pk=twin.pk).update(
        repo_url="https://github.com./o/r", repo_key="github.com./o/r"
    )
    Package.objects.filter(pk=odd.pk).update(
        repo_url="https://github.com/o/r%2F", repo_key="github.com/o/r%2f"
    )
    migration = importlib.import_module("packages.migrations.0010_package_repo_key_spellings")

    migration.normalize_keys(apps, None)

    rows = {p.slug: p for p in Package.objects.all()}
    assert (rows["keeper"].repo_url, rows["keeper"].repo_key) == (
        "https://github.com/o/r",
        "github.com/o/r",
    )
    for slug in ("twin", "odd"):
        assert (rows[slug].repo_url, rows[slug].repo_key) == ("", "")
        assert f"package 'keeper' (id {keeper.pk})" in rows[slug].fetch_error
    assert "duplicate repository: package 'twin'" in capsys.readouterr().out
