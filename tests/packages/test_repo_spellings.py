"""Spellings of one repository that once slipped past the duplicate check (a trailing dot on the
host, a percent-encoded slash or letter, a full-width host, case, `.git`, slashes) share one
`repo_key`; what cannot name a repository (control characters, dot segments, names a forge never
gives) is refused as invalid."""

import pytest
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


BEFORE_SPELLINGS = [("packages", "0009_title_without_control_characters")]
OLD_SPELLINGS = """
Category = apps.get_model("categories", "Category")
Package = apps.get_model("packages", "Package")
category = Category.objects.create(title="Apps", slug="apps")
# As the old normalization stored them: different keys for one repository.
spellings = {
    "keeper": ("https://github.com/o/r", "github.com/o/r"),
    "twin": ("https://github.com./o/r", "github.com./o/r"),
    "odd": ("https://github.com/o/r%2F", "github.com/o/r%2f"),
}
result = {
    slug: Package.objects.create(
        title=slug, slug=slug, category=category, repo_url=url, repo_key=key
    ).pk
    for slug, (url, key) in spellings.items()
}
"""
AFTER_SPELLINGS = """
Package = apps.get_model("packages", "Package")
result = {
    p.slug: [p.repo_url, p.repo_key, p.fetch_state.error if hasattr(p, "fetch_state") else ""]
    for p in Package.objects.all()
}
"""


def test_the_migration_gives_stored_spellings_one_key_and_clears_the_duplicates(
    scratch_project,
):
    scratch_project.migrate(BEFORE_SPELLINGS)
    ids = scratch_project.run(OLD_SPELLINGS, at=BEFORE_SPELLINGS)

    printed = scratch_project.migrate()

    rows = scratch_project.run(AFTER_SPELLINGS)
    assert rows["keeper"][:2] == ["https://github.com/o/r", "github.com/o/r"]
    for slug in ("twin", "odd"):
        assert rows[slug][:2] == ["", ""]
        # The reason 0010 wrote to fetch_error is now the package's fetch state's error.
        assert f"package 'keeper' (id {ids['keeper']})" in rows[slug][2]
    assert "duplicate repository: package 'twin'" in printed
