"""Signing in: tokens (issue, rotate, the command), sessions with CSRF, and the browsable API."""

import re

import pytest
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from packages.models import Package
from tests.factories import CategoryFactory, PackageFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


@pytest.fixture
def alice():
    return UserFactory(username="alice")


def test_anonymous_write_is_401_with_a_token_challenge():
    CategoryFactory(slug="apps")

    response = APIClient().post("/api/v4/packages/", {"title": "x", "category": "apps"})

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {"detail": "Authentication credentials were not provided."}
    assert not Package.objects.exists()


def test_token_endpoint_issues_the_same_token_until_rotated(alice):
    client = APIClient()

    first = client.post("/api/v4/auth/token/", {"username": "alice", "password": PASSWORD})
    again = client.post("/api/v4/auth/token/", {"username": "alice", "password": PASSWORD})
    rotated = client.post(
        "/api/v4/auth/token/",
        {"username": "alice", "password": PASSWORD, "rotate": True},
        format="json",
    )

    assert first.status_code == again.status_code == rotated.status_code == 200
    assert first.json()["token"] == again.json()["token"]
    assert rotated.json()["token"] != first.json()["token"]
    assert Token.objects.get(user=alice).key == rotated.json()["token"]


def test_a_rotated_token_stops_working_at_once(alice):
    CategoryFactory(slug="apps")
    old = Token.objects.create(user=alice).key
    APIClient().post(
        "/api/v4/auth/token/",
        {"username": "alice", "password": PASSWORD, "rotate": True},
        format="json",
    )
    client = APIClient(HTTP_AUTHORIZATION=f"Token {old}")

    response = client.post("/api/v4/packages/", {"title": "x", "category": "apps"})

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}


@pytest.mark.parametrize(
    "body",
    [
        {"username": "alice", "password": "wrong"},
        {"username": "nobody", "password": PASSWORD},
        {"username": "alice"},
    ],
)
def test_token_endpoint_refuses_bad_credentials(alice, body):
    response = APIClient().post("/api/v4/auth/token/", body, format="json")

    assert response.status_code == 400
    assert not Token.objects.exists()


def test_token_endpoint_refuses_inactive_users():
    UserFactory(username="gone", is_active=False)

    response = APIClient().post(
        "/api/v4/auth/token/", {"username": "gone", "password": PASSWORD}, format="json"
    )

    assert response.status_code == 400


def test_token_authenticates_writes_and_records_the_author(alice):
    CategoryFactory(slug="apps")
    token = Token.objects.create(user=alice)
    client = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")

    response = client.post(
        "/api/v4/packages/", {"title": "django-new", "category": "apps"}, format="json"
    )

    assert response.status_code == 201, response.content
    package = Package.objects.get(slug="django-new")
    assert package.created_by == alice
    assert package.last_modified_by == alice


def test_session_writes_need_the_csrf_token(alice):
    CategoryFactory(slug="apps")
    client = APIClient(enforce_csrf_checks=True)
    client.login(username="alice", password=PASSWORD)

    refused = client.post("/api/v4/packages/", {"title": "django-x", "category": "apps"})
    csrf = client.get("/api/v4/packages/?format=api").cookies["csrftoken"].value
    accepted = client.post(
        "/api/v4/packages/",
        {"title": "django-x", "category": "apps"},
        format="json",
        HTTP_X_CSRFTOKEN=csrf,
    )

    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    assert accepted.status_code == 201, accepted.content
    assert list(Package.objects.values_list("slug", flat=True)) == ["django-x"]


def test_token_writes_need_no_csrf_token(alice):
    CategoryFactory(slug="apps")
    token = Token.objects.create(user=alice)
    client = APIClient(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Token {token.key}")

    response = client.post("/api/v4/packages/", {"title": "django-y", "category": "apps"})

    assert response.status_code == 201


def test_create_api_token_prints_a_stable_token_and_rotates_on_request(alice, capsys):
    call_command("create_api_token", "alice")
    first = capsys.readouterr().out.strip()
    call_command("create_api_token", "alice")
    again = capsys.readouterr().out.strip()
    call_command("create_api_token", "alice", "--rotate")
    rotated = capsys.readouterr().out.strip()

    assert first == again
    assert rotated != first
    assert Token.objects.get(user=alice).key == rotated


def test_create_api_token_names_an_unknown_user():
    with pytest.raises(CommandError, match="nobody"):
        call_command("create_api_token", "nobody")


def test_browsable_api_offers_the_login_link_and_the_login_page_works(alice):
    client = APIClient()
    page = client.get("/api/v4/packages/?format=api").content.decode()
    login_url = re.search(r"href='(/api/v4/api-auth/login/[^']*)'", page)[1]

    form = client.get(login_url.replace("&amp;", "&"))
    response = client.post(
        "/api/v4/api-auth/login/",
        {
            "username": "alice",
            "password": PASSWORD,
            "next": "/api/v4/packages/",
            "csrfmiddlewaretoken": form.cookies["csrftoken"].value,
        },
    )

    assert form.status_code == 200
    assert response.status_code == 302
    assert response["Location"] == "/api/v4/packages/"


def test_a_login_without_next_lands_on_the_api_root(alice):
    response = APIClient().post(
        "/api/v4/api-auth/login/", {"username": "alice", "password": PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == "/api/v4/"


def test_browsable_detail_page_shows_an_edit_form_only_to_who_may_edit(alice):
    category = CategoryFactory(slug="apps")
    PackageFactory(slug="mine", category=category, created_by=alice)
    PackageFactory(slug="theirs", category=category)
    client = APIClient()
    client.force_login(alice)

    mine = client.get("/api/v4/packages/mine/?format=api").content.decode()
    theirs = client.get("/api/v4/packages/theirs/?format=api").content.decode()
    anonymous = APIClient().get("/api/v4/packages/mine/?format=api").content.decode()

    assert 'data-method="PUT"' in mine
    assert 'name="repo_url"' in mine
    assert 'name="repo_watchers"' not in mine
    assert 'data-method="PUT"' not in theirs
    assert 'data-method="PUT"' not in anonymous


def test_the_browsable_html_form_edits_a_package(alice):
    category = CategoryFactory(slug="apps")
    package = PackageFactory(
        slug="mine", category=category, created_by=alice, repo_watchers=0, repo_forks=0
    )
    client = APIClient(enforce_csrf_checks=True)
    client.login(username="alice", password=PASSWORD)
    page = client.get("/api/v4/packages/mine/?format=api")
    csrf = page.cookies["csrftoken"].value

    # What the page's form sends: multipart form data with the CSRF field, method PUT.
    response = client.put(
        "/api/v4/packages/mine/?format=api",
        {
            "csrfmiddlewaretoken": csrf,
            "category": f"http://testserver/api/v4/categories/{category.pk}/",
            "title": "Mine, renamed",
            "slug": "mine",
            "repo_url": package.repo_url,
            "pypi_url": package.pypi_url,
            "documentation_url": "",
            "repo_description": "Edited in the browser.",
        },
        format="multipart",
        HTTP_X_CSRFTOKEN=csrf,
    )

    assert response.status_code == 200, response.content.decode()[-2000:]
    package.refresh_from_db()
    assert package.title == "Mine, renamed"
    assert package.repo_description == "Edited in the browser."
