"""Production without `collectstatic` (issue 16, 11): pages render with plain static URLs and
one warning, instead of a 500 per page."""

import logging

import pytest

from common.storage import ForgivingManifestStaticFilesStorage
from tests.djangopackages.test_settings import production_env, run_manage
from tests.factories import PackageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def production_storage_without_manifest(settings, tmp_path, monkeypatch):
    settings.DEBUG = False
    settings.STATIC_ROOT = tmp_path  # empty: collectstatic never ran
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "common.storage.ForgivingManifestStaticFilesStorage"},
    }
    monkeypatch.setattr(ForgivingManifestStaticFilesStorage, "_warned", False)


@pytest.mark.parametrize(
    ("path", "accept"),
    [
        ("/api/v4/packages/django-filter/", "text/html"),
        ("/api/v4/?format=api", "*/*"),
        ("/admin/login/", "text/html"),
        ("/api/v4/docs/", "text/html"),
    ],
)
def test_pages_render_without_a_manifest(
    client, production_storage_without_manifest, caplog, path, accept
):
    PackageFactory(slug="django-filter")

    with caplog.at_level(logging.WARNING, logger="common.storage"):
        response = client.get(path, HTTP_ACCEPT=accept)

    assert response.status_code == 200
    assert "/static/" in response.content.decode()
    warnings = [r.getMessage() for r in caplog.records if r.name == "common.storage"]
    assert len(warnings) == 1
    assert "run `manage.py collectstatic`" in warnings[0]


def test_production_settings_use_the_forgiving_storage():
    code = "from django.conf import settings; print(settings.STORAGES['staticfiles']['BACKEND'])"

    result = run_manage("shell", "--no-imports", "-c", code, **production_env())

    assert result.stdout.strip() == "common.storage.ForgivingManifestStaticFilesStorage"


def test_after_collectstatic_a_name_missing_from_the_manifest_warns_nothing(
    settings, tmp_path, monkeypatch, caplog
):
    """whitenoise asks for names it guesses from hashed files (`x.min.css.<hash>.map` ->
    `x.min.map`); with a manifest present such a miss is not a missing collectstatic."""
    (tmp_path / "staticfiles.json").write_text(
        '{"paths": {"site.css": "site.0123456789ab.css"}, "version": "1.1", "hash": "x"}'
    )
    monkeypatch.setattr(ForgivingManifestStaticFilesStorage, "_warned", False)
    storage = ForgivingManifestStaticFilesStorage(location=tmp_path)

    with caplog.at_level(logging.WARNING, logger="common.storage"):
        found = storage.stored_name("site.css")
        guessed = storage.stored_name("rest_framework/css/bootstrap-theme.min.map")

    assert found == "site.0123456789ab.css"
    assert guessed == "rest_framework/css/bootstrap-theme.min.map"
    assert [r.getMessage() for r in caplog.records if r.name == "common.storage"] == []
