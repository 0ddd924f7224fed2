"""One repository, one package: `repo_identity`, and the rule through the importer, the admin,
the model and the migration that resolves duplicates already stored."""

import json
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from packages.identifiers import IdentifierError, repo_identity
from packages.models import Package
from tests.factories import CategoryFactory, PackageFactory, UserFactory


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/owner/repo",
        "https://github.com/Owner/Repo",
        "http://www.GitHub.com/OWNER/repo.git/",
        "https://github.com/owner/repo/tree/main/src",
        "https://github.com/owner/repo/",
        "https://github.com/owner/repo?tab=readme#top",
    ],
)
def test_every_spelling_of_a_github_repository_is_one_identity(url):
    assert repo_identity(url) == "github.com/owner/repo"


@pytest.mark.parametrize(
    ("url", "identity"),
    [
        ("https://GitLab.com/Group/Sub/Project/-/tree/main", "gitlab.com/group/sub/project"),
        ("https://bitbucket.org/Team/Repo/src/master/", "bitbucket.org/team/repo"),
        ("https://codeberg.org/Owner/Repo.git", "codeberg.org/owner/repo"),
        # Unknown hosts: case and the whole path may matter, so only the URL is normalized.
        ("https://hg.example.org/Owner/Repo/", "hg.example.org/Owner/Repo"),
        ("https://git.example.org/a/b/c", "git.example.org/a/b/c"),
        ("", ""),
    ],
)
def test_identity_on_other_hosts(url, identity):
    assert repo_identity(url) == identity


def test_a_url_that_is_not_http_has_no_identity():
    with pytest.raises(IdentifierError):
        repo_identity("ftp://github.com/o/r")


@pytest.mark.django_db
def test_the_database_refuses_a_second_package_for_one_repository():
    PackageFactory(repo_url="https://github.com/Owner/Repo")
    second = PackageFactory.build(
        repo_url="https://github.com/owner/repo/tree/main", category=CategoryFactory()
    )

    with pytest.raises(ValidationError) as raised:
        second.full_clean()

    assert "already has this repository" in raised.value.message_dict["repo_url"][0]


@pytest.mark.django_db
def test_a_renamed_repository_url_updates_the_identity():
    package = PackageFactory(repo_url="https://github.com/old/name")
    package.repo_url = "https://github.com/New/Name"
    package.save(update_fields=["repo_url"])

    package.refresh_from_db()
    assert package.repo_key == "github.com/new/name"


@pytest.mark.django_db
def test_the_importer_skips_a_second_package_for_one_repository(tmp_path):
    category = CategoryFactory(id=4)
    link = f"http://testserver/api/v4/categories/{category.pk}/"
    packages = [
        {
            "id": 1,
            "title": "a",
            "slug": "a",
            "category": link,
            "repo_url": "https://github.com/O/R",
        },
        {
            "id": 2,
            "title": "b",
            "slug": "b",
            "category": link,
            "repo_url": "https://github.com/o/r/",
        },
    ]
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps({"categories": [], "grids": [], "packages": packages}))
    err = StringIO()

    with pytest.raises(CommandError):
        call_command("import_catalogue", str(path), stdout=StringIO(), stderr=err)

    assert "skipped packages[1]: repo_url: Package 'a' already has this repository." in (
        err.getvalue()
    )
    assert list(Package.objects.values_list("slug", flat=True)) == ["a"]


@pytest.mark.django_db
def test_the_admin_refuses_a_second_package_for_one_repository(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    category = CategoryFactory()
    PackageFactory(slug="first", repo_url="https://github.com/Owner/Repo", category=category)

    response = client.post(
        reverse("admin:packages_package_add"),
        {
            "title": "second",
            "slug": "second",
            "category": category.pk,
            "repo_url": "https://github.com/OWNER/repo.git",
            "repo_watchers": 0,
            "repo_forks": 0,
            "score": 0,
            "pypi_downloads": 0,
        },
    )

    assert response.status_code == 200  # the form again, with the error
    assert "Package &#x27;first&#x27; already has this repository." in response.content.decode()
    assert Package.objects.count() == 1


BEFORE_KEYS = [("packages", "0004_package_fetch_failing_since"), ("grids", "0001_initial")]
DUPLICATES = """
Category = apps.get_model("categories", "Category")
Package = apps.get_model("packages", "Package")
Grid = apps.get_model("grids", "Grid")
GridPackage = apps.get_model("grids", "GridPackage")
category = Category.objects.create(title="Apps", slug="apps")
urls = {
    "keeper": "https://github.com/Owner/Repo",
    "twin": "https://github.com/owner/repo/tree/main",
    "other": "https://github.com/o/r3",
}
ids = {}
for slug, url in urls.items():
    ids[slug] = Package.objects.create(title=slug, slug=slug, category=category, repo_url=url).pk
grid = Grid.objects.create(title="Grid", slug="grid")
GridPackage.objects.create(grid=grid, package_id=ids["twin"])
result = ids
"""
AFTER_KEYS = """
Package = apps.get_model("packages", "Package")
result = {
    p.slug: [p.repo_url, p.repo_key, p.fetch_state.error if hasattr(p, "fetch_state") else "",
             p.grids.count()]
    for p in Package.objects.all()
}
"""


def test_the_migration_keeps_the_oldest_and_clears_the_duplicates(scratch_project):
    # The state before packages.0005: spellings of one repository, no keys.
    scratch_project.migrate(BEFORE_KEYS)
    scratch_project.run(DUPLICATES, at=BEFORE_KEYS)

    printed = scratch_project.migrate()

    rows = scratch_project.run(AFTER_KEYS)
    assert rows["keeper"][1] == "github.com/owner/repo"
    assert rows["other"][1] == "github.com/o/r3"
    assert rows["twin"][:2] == ["", ""]
    # The reason, written to fetch_error by 0005, is now the package's fetch state's error.
    assert "package 'keeper' (id " in rows["twin"][2]
    assert rows["twin"][3] == 1  # nothing of it is lost
    assert "duplicate repository: package 'twin'" in printed
