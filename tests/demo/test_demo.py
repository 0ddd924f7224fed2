"""The demo catalogue: the seed package as djangopackages.org shows it, plausible sample data
(labelled as such), scores, releases, grids, and loading that is idempotent and never edits."""

import json
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from categories.models import Category
from demo.loader import read_packages
from grids.models import Element, Grid, GridPackage
from packages.figures import FIGURES, REPOSITORY_FIGURES, is_sample
from packages.models import Package
from packages.scoring import compute_score
from tests.checksums import catalogue_snapshot
from tests.factories import CategoryFactory, PackageFactory, UserFactory

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
# What GitHub accepts as a login: letters, digits and single inner hyphens, at most 39.
GITHUB_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")


@pytest.fixture
def demo(db):
    call_command("load_demo", stdout=None)


def _seed_body():
    expected = (FIXTURES / "package_2431_expected.json").read_text()
    return json.loads(
        expected.replace("https://djangopackages.org", "http://testserver").replace(
            "?format=api", ""
        )
    )


@override_settings(TIME_ZONE="America/New_York")
def test_demo_serves_the_seed_package_exactly(demo, client):
    body = client.get("/api/v4/packages/2431/").json()

    expected = _seed_body()
    assert list(body) == list(expected)
    assert body == expected


def test_demo_seed_datetimes_are_the_same_instants_in_utc(demo, client):
    body = client.get("/api/v4/packages/cookiecutter-django-ansible/").json()

    assert body["last_updated"] == "2018-08-03T08:16:50Z"
    assert body["last_fetched"] == "2026-02-15T14:05:26.776238Z"
    assert body["created"] == "2014-06-18T17:47:01.690653Z"
    assert body["modified"] == "2026-01-29T17:54:59.034283Z"


def test_demo_holds_the_seed_category_and_grid_with_their_ids(demo, client):
    category = client.get("/api/v4/categories/4/").json()
    grid = client.get("/api/v4/grids/218/").json()

    assert (category["slug"], category["title"]) == ("projects", "Project")
    assert (grid["slug"], grid["title"]) == ("project-templates", "Project templates")
    assert "http://testserver/api/v4/packages/2431/" in grid["packages"]
    assert Grid.objects.get(pk=218).features.exists()


def test_demo_grids_other_than_the_seed_grid_keep_small_ids(demo):
    ids = sorted(Grid.objects.values_list("pk", flat=True))

    assert ids[-1] == 218
    assert ids[:-1] == list(range(1, len(ids)))


def test_ordering_by_score_follows_the_scores_computed_from_the_stats(demo, client):
    response = client.get("/api/v4/packages/", {"ordering": "-score", "limit": 100})

    shown = [item["id"] for item in response.json()["results"]]
    computed = sorted(
        ((compute_score(p).total, p.pk) for p in Package.objects.prefetch_related("versions")),
        key=lambda pair: (-pair[0], pair[1]),
    )
    assert shown == [pk for _, pk in computed[:100]]
    assert len({score for score, _ in computed}) > 20  # spread out, not all 0


def test_every_demo_package_with_a_pypi_name_has_its_releases(demo):
    on_pypi = Package.objects.exclude(pypi_url="").prefetch_related("versions")

    assert on_pypi.count() > 250
    for package in on_pypi:
        numbers = [version.number for version in package.versions.all()]
        assert numbers, package.slug
        assert numbers[0] == package.pypi_version, package.slug  # newest first
        assert len(set(numbers)) == len(numbers), package.slug


def test_every_grid_has_features_and_a_cell_for_every_row_and_feature(demo):
    for grid in Grid.objects.prefetch_related("features"):
        features = grid.features.count()
        rows = GridPackage.objects.filter(grid=grid).count()
        assert features >= 2, grid.slug
        assert rows >= 2, grid.slug
        assert Element.objects.filter(feature__grid=grid).count() == features * rows, grid.slug


def test_demo_has_a_wagtail_grid_with_wagtail_packages(demo):
    grid = Grid.objects.get(slug="wagtail")

    slugs = set(grid.packages.values_list("slug", flat=True))
    assert {"wagtail", "django-cast", "wagtail-django-recaptcha"} <= slugs


def test_sample_stats_are_plausible(demo):
    django = Package.objects.get(slug="django")
    drf = Package.objects.get(slug="djangorestframework")

    assert django.repo_watchers == max(Package.objects.values_list("repo_watchers", flat=True))
    assert django.repo_watchers > drf.repo_watchers > 1000
    assert drf.repo_url == "https://github.com/encode/django-rest-framework"
    for package in Package.objects.exclude(repo_url=""):
        assert package.participants, package.slug
        assert all(GITHUB_LOGIN.match(login) for login in package.participants), package.slug
        assert not any(re.search(r"-dev\d+$", login) for login in package.participants)
        assert len(package.commits_over_52) == 52
        assert 0 < package.repo_forks < package.repo_watchers, package.slug


def test_names_and_summaries_are_the_real_ones(demo):
    cors = Package.objects.get(slug="django-cors-headers")

    assert cors.pypi_url == "django-cors-headers"
    assert cors.repo_description.startswith("django-cors-headers is a Django application")
    assert Package.objects.filter(repo_description="").count() == 0


def test_admin_labels_demo_packages_as_sample_data_and_not_the_seed(demo, client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    change = "admin:packages_package_change"

    demo_page = client.get(reverse(change, args=[Package.objects.get(slug="django").pk]))
    seed_page = client.get(reverse(change, args=[2431]))

    assert "Sample data: this is a demo package." in demo_page.content.decode()
    assert "Sample data" not in seed_page.content.decode()
    assert "Fetched from the upstreams, last on 2026-02-15" in seed_page.content.decode()


def test_a_demo_package_stays_sample_data_until_its_figures_are_fetched(demo, client):
    """`last_fetched` alone says nothing about which figures are real (issue 24)."""
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    django = Package.objects.get(slug="django")
    Package.objects.filter(pk=django.pk).update(last_fetched="2026-11-30T10:00:00Z")
    change = reverse("admin:packages_package_change", args=[django.pk])

    assert "Sample data: this is a demo package." in client.get(change).content.decode()

    fetched = {"source": "fetched", "at": "2026-11-30T10:00:00+00:00"}
    Package.objects.filter(pk=django.pk).update(figure_sources=dict.fromkeys(FIGURES, fetched))
    page = client.get(change).content.decode()

    assert "Sample data" not in page
    assert "Stars: fetched 2026-11-30 10:00 UTC" in page


def test_demo_catalogue_covers_the_data_files(demo, capsys):
    rows = read_packages()

    assert Package.objects.count() == len(rows) + 1  # and the seed package
    assert set(Category.objects.values_list("title_plural", flat=True)) == {
        "Apps",
        "Frameworks",
        "Projects",
        "Other",
    }


def test_loading_twice_changes_nothing(demo, capsys):
    before = catalogue_snapshot()

    call_command("load_demo")

    assert catalogue_snapshot() == before
    assert "nothing to create" in capsys.readouterr().out


def test_loading_keeps_curator_edits_and_restores_deleted_rows(demo):
    Package.objects.filter(slug="django-filter").update(repo_description="curated")
    Package.objects.filter(pk=2431).update(repo_watchers=99)
    Grid.objects.get(slug="caching").delete()

    call_command("load_demo", stdout=None)

    assert Package.objects.get(slug="django-filter").repo_description == "curated"
    assert Package.objects.get(pk=2431).repo_watchers == 99
    assert Grid.objects.get(slug="caching").features.count() == 3


def test_loading_beside_a_package_holding_the_seed_id_leaves_it_alone():
    other = PackageFactory(id=2431, slug="someone-else", category=CategoryFactory(slug="mine"))

    call_command("load_demo", stdout=None)

    other.refresh_from_db()
    assert other.slug == "someone-else"
    assert not Package.objects.filter(slug="cookiecutter-django-ansible").exists()
    assert not GridPackage.objects.filter(package=other).exists()
    assert Grid.objects.get(slug="project-templates").features.exists()


def test_rows_created_after_loading_get_fresh_ids(demo):
    # Explicit ids (categories 1-4, grids 1-15 and 218, package 2431) must not leave a
    # PostgreSQL sequence behind, or the next insert would collide.
    category = Category.objects.create(title="New", slug="new", title_plural="News")
    grid = Grid.objects.create(title="New", slug="new-grid")
    package = PackageFactory(category=category)

    assert category.pk > 4
    assert grid.pk > 218
    assert package.pk > 2431


def test_if_empty_skips_a_database_with_packages(demo, capsys):
    Package.objects.filter(slug="django-filter").delete()

    call_command("load_demo", "--if-empty")

    assert not Package.objects.filter(slug="django-filter").exists()
    assert "skipped" in capsys.readouterr().out


FORGES = {"github.com", "gitlab.com", "bitbucket.org", "codeberg.org"}


def test_nine_in_ten_demo_packages_have_a_repository_of_a_known_forge(demo):
    demo_packages = Package.objects.exclude(pk=2431)
    with_repo = demo_packages.exclude(repo_url="")

    assert with_repo.count() >= 0.9 * demo_packages.count()
    hosts = {url.split("/")[2] for url in with_repo.values_list("repo_url", flat=True)}
    assert hosts <= FORGES
    assert {"gitlab.com", "codeberg.org", "bitbucket.org"} <= hosts
    assert Package.objects.get(slug="django-allauth").repo_url.startswith("https://codeberg.org/")
    assert Package.objects.get(slug="django-esi").repo_url.startswith("https://gitlab.com/")


def test_no_demo_package_with_a_repository_shows_zero_stars(demo):
    assert not Package.objects.exclude(repo_url="").filter(repo_watchers=0).exists()
    for package in Package.objects.filter(repo_url="").exclude(pk=2431):
        assert not any(is_sample(package.figure_sources, f) for f in REPOSITORY_FIGURES)


def test_sample_stats_follow_the_packages_standing(demo):
    def stars(slug):
        return Package.objects.get(slug=slug).repo_watchers

    def downloads(slug):
        return Package.objects.get(slug=slug).pypi_downloads

    assert stars("django") > stars("wagtail") > stars("django-hijack") > stars("django-navhelper")
    assert downloads("django") > 10 * downloads("django-hijack") > 10 * downloads("django-esi")
    on_pypi = Package.objects.exclude(pypi_url="").exclude(pk=2431)
    assert not on_pypi.filter(pypi_downloads=0).exists()
    for package in on_pypi:
        assert package.figure_sources["downloads"] == {"source": "sample", "at": None}


def test_sample_figures_are_labelled_where_people_see_them(demo, client):
    page = client.get("/api/v4/packages/django-hijack/?format=api").content.decode()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))

    stars = Package.objects.get(slug="django-hijack").repo_watchers
    assert f"Stars {stars:,} sample" in text
    assert re.search(r"Downloads [0-9,]+ last month sample", text)
    assert "were generated for the demo" in text

    bare = Package.objects.filter(repo_url="").exclude(pk=2431).first()
    page = client.get(f"/api/v4/packages/{bare.slug}/?format=api").content.decode()
    assert "Stars no repository" in re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def test_home_and_search_say_the_demo_figures_are_samples(demo, client):
    home = client.get("/").content.decode()
    assert "This is a demo catalogue" in home

    page = client.get("/api/v4/search/", {"q": "django-hijack", "format": "api"}).content.decode()
    hit = re.search(
        r'<tr>\s*<th scope="row" class="dp-name"><a [^>]*>django-hijack</a>.*?</tr>', page, re.S
    )[0]
    assert re.search(r'stars">[\d.k]+</span> <span class="dp-sample"', hit)


def test_the_wagtail_comparison_shows_no_zero_stars_and_labels_samples(demo, client):
    page = client.get("/api/v4/grids/wagtail/comparison/?format=api").content.decode()
    stars = re.findall(
        r'<td class="dp-num" data-sort-value="(\d+)">[^<]*(<span class="dp-sample")?', page
    )

    stars = stars[::2]  # each row: stars, then score
    assert len(stars) == 7
    assert all(int(value) > 0 and tag for value, tag in stars)
