"""Smoke-test every admin page: changelists (with filters and search), add and change forms."""

import pytest
from django.contrib import admin
from django.urls import reverse
from rest_framework.authtoken.models import Token

from packages.models import HttpValidator, Usage
from packages.tasks import enqueue_refresh
from tests.factories import ElementFactory, UserFactory, VersionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    user = UserFactory(username="boss", is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


@pytest.fixture
def catalogue():
    element = ElementFactory()
    VersionFactory(package=element.grid_package.package)
    HttpValidator.objects.create(url="https://api.github.com/repos/o/r", etag='W/"abc"')
    Token.objects.create(user=UserFactory(username="scripter"))
    enqueue_refresh([element.grid_package.package.pk], by="admin")  # a task result to show
    Usage.objects.create(package=element.grid_package.package, user=UserFactory(username="fan"))
    return element


# Rows only the system writes: their admin lists them, and refuses to add one by hand.
RECORDED_BY_THE_SYSTEM = {"django_tasks_database.DBTaskResult"}


def registered_models():
    return [model for model in admin.site._registry if model._meta.app_label != "auth"]


@pytest.mark.parametrize("model", registered_models(), ids=lambda m: m._meta.label)
def test_admin_pages_render(staff_client, catalogue, model):
    opts = model._meta
    changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    assert staff_client.get(changelist).status_code == 200
    assert staff_client.get(changelist, {"q": "django"}).status_code == 200
    add = staff_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
    if opts.label in RECORDED_BY_THE_SYSTEM:
        assert add.status_code == 403
    else:
        assert add.status_code == 200
        assert add.context["adminform"] is not None
    obj = model.objects.first()
    change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    assert staff_client.get(change).status_code == 200


@pytest.mark.parametrize(
    ("parameter", "marked_slug"),
    [
        ("archived", "archived"),
        ("deprecated", "deprecated"),
        ("has_pypi", "plain"),
        ("failing", "failing"),
    ],
)
def test_package_changelist_filters_split_the_packages(staff_client, parameter, marked_slug):
    from django.utils import timezone

    from tests.factories import PackageFactory, PackageFetchStateFactory

    now = timezone.now()
    PackageFactory(slug="plain")
    PackageFactory(slug="archived", repo_archived_at=now, pypi_url="")
    PackageFactory(slug="deprecated", deprecated_at=now, pypi_url="")
    PackageFetchStateFactory(package__slug="failing", package__pypi_url="", failures=2)
    everything = {"plain", "archived", "deprecated", "failing"}
    url = reverse("admin:packages_package_changelist")

    def listed(value):
        response = staff_client.get(url, {parameter: value})
        assert response.status_code == 200
        return {package.slug for package in response.context["cl"].result_list}

    assert listed("yes") == {marked_slug}
    assert listed("no") == everything - {marked_slug}


def test_package_admin_records_who_edited(staff_client, catalogue):
    package = catalogue.grid_package.package
    url = reverse("admin:packages_package_change", args=[package.pk])
    response = staff_client.post(
        url,
        {
            "title": "renamed",
            "slug": package.slug,
            "category": package.category_id,
            "repo_url": "https://GitHub.com/o/renamed.git",
            "pypi_url": "Some_Name",
            "documentation_url": "",
            "repo_description": "",
            "deprecated_at_0": "",
            "deprecated_at_1": "",
            "replacement": "",
            "versions-TOTAL_FORMS": "1",
            "versions-INITIAL_FORMS": "1",
            "versions-MIN_NUM_FORMS": "0",
            "versions-MAX_NUM_FORMS": "1000",
            "versions-0-id": package.versions.first().pk,
            "versions-0-package": package.pk,
        },
    )
    assert response.status_code == 302, response.content
    package.refresh_from_db()
    assert package.title == "renamed"
    assert package.repo_url == "https://github.com/o/renamed"
    assert package.pypi_url == "some-name"
    assert package.last_modified_by.username == "boss"


def test_dev_admin_needs_debug():
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError):
        call_command("dev_admin")


def test_dev_admin_creates_a_superuser_that_can_log_in(settings, client, capsys):
    from django.core.management import call_command

    settings.DEBUG = True
    call_command("dev_admin", "--password", "a-long-dev-password-1")
    assert "created superuser 'admin'" in capsys.readouterr().out
    assert client.login(username="admin", password="a-long-dev-password-1")
    call_command("dev_admin")
    out = capsys.readouterr().out
    assert "reset superuser 'admin'" in out
    assert not client.login(username="admin", password="a-long-dev-password-1")


def test_package_changelist_filters_by_repository_host(staff_client):
    from tests.factories import PackageFactory

    PackageFactory(slug="on-github", repo_url="https://github.com/o/on-github")
    PackageFactory(slug="self-hosted", repo_url="https://git.example.org/o/self-hosted")
    PackageFactory(slug="no-repo", repo_url="")
    url = reverse("admin:packages_package_changelist")

    def listed(value):
        response = staff_client.get(url, {"repo_host": value})
        return {p.slug for p in response.context["cl"].result_list}

    assert listed("supported") == {"on-github"}
    assert listed("unsupported") == {"self-hosted"}
    assert listed("none") == {"no-repo"}


def test_package_changelist_speaks_the_curators_words(staff_client, catalogue):
    response = staff_client.get(reverse("admin:packages_package_changelist"))

    headers = [
        str(header["text"])
        for header in response.context["result_headers"]
        if "action-toggle" not in str(header["text"])
    ]
    assert headers == [
        "title",
        "Stars",
        "Score",
        "Last commit",
        "Last fetched",
        "Failures",
        "background refresh",
        "users",
    ]


def test_package_change_form_labels_the_fetched_stats(staff_client, catalogue):
    package = catalogue.grid_package.package
    content = staff_client.get(
        reverse("admin:packages_package_change", args=[package.pk])
    ).content.decode()

    for label in ("Stars:", "Forks:", "Last commit:", "Score:", "Downloads:", "Repository URL:"):
        assert f">{label}</label>" in content, label
    assert "Repo watchers" not in content


def test_package_change_form_shows_the_fetch_state(staff_client):
    from tests.factories import PackageFetchStateFactory

    state = PackageFetchStateFactory(failures=4, error="github: timeout")
    content = staff_client.get(
        reverse("admin:packages_package_change", args=[state.package.pk])
    ).content.decode()

    assert ">Fetch failures:</label>" in content
    assert '<div class="readonly">4</div>' in content
    assert '<div class="readonly">github: timeout</div>' in content


def test_index_groups_models_and_hides_plumbing(staff_client, catalogue, settings):
    settings.SITE_NAME = "Acme Packages"
    response = staff_client.get(reverse("admin:index"))

    groups = {
        app["name"]: [m["name"] for m in app["models"]] for app in response.context["app_list"]
    }
    assert list(groups) == [
        "Catalogue",
        "Grid contents",
        "Fetched from PyPI",
        "Background tasks",
        "People and API access",
    ]
    assert groups["Catalogue"] == ["Packages", "Grids", "Categories"]
    assert groups["Grid contents"] == [
        "Features (grid columns)",
        "Grid rows (a package in a grid)",
        "Cells",
    ]
    content = response.content.decode()
    assert "Http validators" not in content
    assert "Acme Packages administration" in content
    # Hidden from the index, still there for whoever needs to look.
    assert staff_client.get(reverse("admin:packages_httpvalidator_changelist")).status_code == 200


def test_grid_change_page_is_compact_and_explains_featured(staff_client):
    from tests.factories import FeatureFactory

    feature = FeatureFactory(description="")
    content = staff_client.get(
        reverse("admin:grids_grid_change", args=[feature.grid.pk])
    ).content.decode()

    assert "<textarea" not in content.split('id="features-group"', 1)[1]
    assert ">Featured</label>" in content
    assert "no front page of its own" in content
    assert reverse("admin:grids_grid_cells", args=[feature.grid.pk]) in content


def test_cells_page_saves_only_the_cells_that_changed(staff_client):
    from grids.models import Element
    from tests.factories import FeatureFactory, GridPackageFactory

    cell = ElementFactory(text="Yes")
    grid = cell.grid_package.grid
    other_feature = FeatureFactory(grid=grid, title="Speed")
    other_row = GridPackageFactory(grid=grid)
    url = reverse("admin:grids_grid_cells", args=[grid.pk])
    page = staff_client.get(url)
    assert page.status_code == 200
    assert [row["package"] for row in page.context["table"]] == sorted(
        [cell.grid_package.package, other_row.package], key=lambda p: p.title
    )
    before = cell.modified

    response = staff_client.post(
        url,
        {
            f"cell-{cell.grid_package.pk}-{cell.feature.pk}": "Yes",
            f"cell-{cell.grid_package.pk}-{other_feature.pk}": "  No, planned ",
            f"cell-{other_row.pk}-{cell.feature.pk}": "",
            f"cell-{other_row.pk}-{other_feature.pk}": "Partial",
        },
    )

    assert response.status_code == 302
    cell.refresh_from_db()
    assert cell.modified == before
    texts = {(e.grid_package_id, e.feature_id): e.text for e in Element.objects.all()}
    assert texts == {
        (cell.grid_package.pk, cell.feature.pk): "Yes",
        (cell.grid_package.pk, other_feature.pk): "No, planned",
        (other_row.pk, other_feature.pk): "Partial",
    }
    grid.refresh_from_db()
    assert grid.last_modified_by.username == "boss"


def test_cells_page_needs_the_change_permission(client):
    from django.contrib.auth.models import Permission

    cell = ElementFactory(text="Yes")
    viewer = UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_grid"))
    client.force_login(viewer)
    url = reverse("admin:grids_grid_cells", args=[cell.grid_package.grid.pk])

    assert client.get(url).status_code == 403
    assert (
        client.post(url, {f"cell-{cell.grid_package.pk}-{cell.feature.pk}": "No"}).status_code
        == 403
    )
    cell.refresh_from_db()
    assert cell.text == "Yes"
