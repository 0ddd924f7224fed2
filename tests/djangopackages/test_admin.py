"""Smoke-test every admin page: changelists (with filters and search), add and change forms."""

import pytest
from django.contrib import admin
from django.urls import reverse
from rest_framework.authtoken.models import Token

from packages.models import HttpValidator
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
    return element


def registered_models():
    return [model for model in admin.site._registry if model._meta.app_label != "auth"]


@pytest.mark.parametrize("model", registered_models(), ids=lambda m: m._meta.label)
def test_admin_pages_render(staff_client, catalogue, model):
    opts = model._meta
    changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    assert staff_client.get(changelist).status_code == 200
    assert staff_client.get(changelist, {"q": "django"}).status_code == 200
    add = staff_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
    assert add.status_code in (200, 403)
    obj = model.objects.first()
    change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    assert staff_client.get(change).status_code == 200


@pytest.mark.parametrize(
    "params",
    [{"archived": "yes"}, {"deprecated": "no"}, {"has_pypi": "yes"}, {"failing": "yes"}],
)
def test_package_changelist_filters(staff_client, catalogue, params):
    response = staff_client.get(reverse("admin:packages_package_changelist"), params)
    assert response.status_code == 200


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
