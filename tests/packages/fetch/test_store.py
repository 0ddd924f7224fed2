"""The write path: changed fields only, failures keep stats, missing repos, versions, validators."""

from datetime import timedelta

import pytest
from django.utils import timezone

from packages.fetch import store as stats_module
from packages.fetch.forges.base import FetchError, RepoStats
from packages.fetch.pypi import parse_project
from packages.fetch.store import FetchResult, record_fetch
from packages.fetch.validators import StoredValidators
from packages.models import HttpValidator, Package, Version
from tests.factories import PackageFactory, PackageFetchStateFactory
from tests.packages.conftest import fixture

pytestmark = pytest.mark.django_db

REPO = RepoStats(
    description="Fresh description",
    watchers=500,
    forks=50,
    is_archived=False,
    participants=("ada", "bob"),
    commits_over_52=tuple([1] * 52),
    last_updated=timezone.now() - timedelta(days=1),
)


def test_fetch_writes_stats_and_moves_last_fetched():
    package = PackageFactory(repo_watchers=1)
    outcome = record_fetch(package, FetchResult(repo=REPO))
    package.refresh_from_db()
    assert outcome.status == "fetched"
    assert (package.repo_watchers, package.repo_forks) == (500, 50)
    assert package.participants == ["ada", "bob"]
    assert package.commits_over_52 == [1] * 52
    assert package.repo_description == "Fresh description"
    assert package.last_fetched is not None


def test_only_changed_fields_are_written():
    package = PackageFactory(repo_watchers=1)
    Package.objects.filter(pk=package.pk).update(title="Edited meanwhile", repo_forks=50)
    record_fetch(package, FetchResult(repo=RepoStats(watchers=500, forks=50)))
    package.refresh_from_db()
    assert package.title == "Edited meanwhile"  # not clobbered by the stale instance
    assert package.repo_watchers == 500


def test_nothing_changed_is_unchanged_and_keeps_modified():
    package = PackageFactory()
    record_fetch(package, FetchResult(repo=REPO))
    package.refresh_from_db()
    modified = package.modified
    outcome = record_fetch(package, FetchResult(repo=REPO))
    package.refresh_from_db()
    assert outcome.status == "unchanged"
    assert package.modified == modified


def test_failure_keeps_old_stats_and_counts_consecutive_failures():
    package = PackageFactory(repo_watchers=42, repo_forks=3)
    for expected in (1, 2):
        result = FetchResult(errors=[FetchError("github: timeout", reason="timeout")])
        outcome = record_fetch(package, result)
        package.refresh_from_db()
        assert outcome.status == "failed"
        assert outcome.reason == "timeout"
        assert package.fetch_state.failures == expected
    assert (package.repo_watchers, package.repo_forks) == (42, 3)
    assert package.fetch_state.error == "github: timeout"
    assert package.fetch_state.error_at is not None
    assert package.last_fetched is None


def test_partial_failure_updates_the_rest_but_not_last_fetched():
    package = PackageFactory(participants=["old"])
    partial = RepoStats(watchers=9, participants=None, errors=(FetchError("contributors: 500"),))
    result = FetchResult(repo=partial, errors=list(partial.errors))
    record_fetch(package, result)
    package.refresh_from_db()
    assert package.repo_watchers == 9
    assert package.participants == ["old"]
    assert package.last_fetched is None
    assert package.fetch_state.failures == 1


def test_success_resets_the_failure_count():
    package = PackageFetchStateFactory(failures=3, error="boom").package
    record_fetch(package, FetchResult(repo=REPO))
    package.refresh_from_db()
    assert package.fetch_state.failures == 0
    assert package.fetch_state.error == ""


def test_missing_repository_is_marked_and_nothing_else_changes():
    package = PackageFactory(repo_watchers=42, participants=["ada"])
    outcome = record_fetch(package, FetchResult(repo_missing=True))
    package.refresh_from_db()
    assert (outcome.status, outcome.is_missing) == ("fetched", True)
    assert package.repo_missing_at is not None
    assert package.repo_watchers == 42
    assert package.participants == ["ada"]
    record_fetch(package, FetchResult(repo=REPO))
    package.refresh_from_db()
    assert package.repo_missing_at is None  # it came back


def test_archived_state_follows_the_forge():
    package = PackageFactory()
    record_fetch(package, FetchResult(repo=RepoStats(is_archived=True)))
    package.refresh_from_db()
    assert package.repo_archived_at is not None
    record_fetch(package, FetchResult(repo=RepoStats(is_archived=False)))
    package.refresh_from_db()
    assert package.repo_archived_at is None


def test_rename_records_the_new_url_unless_another_package_has_it():
    package = PackageFactory(repo_url="https://github.com/o/old")
    record_fetch(package, FetchResult(repo=RepoStats(repo_url="https://github.com/o/new")))
    package.refresh_from_db()
    assert package.repo_url == "https://github.com/o/new"
    other = PackageFactory(repo_url="https://github.com/o/taken")
    outcome = record_fetch(other, FetchResult(repo=RepoStats(repo_url=package.repo_url)))
    other.refresh_from_db()
    assert other.repo_url == "https://github.com/o/taken"
    assert any("already has" in note for note in outcome.notes)


def test_pypi_metadata_and_versions_are_upserted():
    package = PackageFactory(documentation_url="")
    project = parse_project("django-widgets", fixture("pypi_project.json"))
    record_fetch(package, FetchResult(project=project))
    package.refresh_from_db()
    assert package.pypi_version == "1.10"
    assert package.pypi_license == "BSD-3-Clause"
    assert package.pypi_requires_python == ">=3.10"
    assert package.pypi_development_status == "4 - Beta"
    assert package.supports_python3 is True
    assert package.documentation_url == "https://widgets.readthedocs.io/"
    assert package.versions.count() == 5
    assert Version.objects.get(package=package, number="2.0").is_yanked

    document = fixture("pypi_project.json")
    for upload in document["releases"]["2.0"]:
        upload["yanked"] = False
    record_fetch(package, FetchResult(project=parse_project("django-widgets", document)))
    package.refresh_from_db()
    assert package.versions.count() == 5
    assert not Version.objects.get(package=package, number="2.0").is_yanked
    assert package.pypi_version == "2.0"


def test_documentation_url_is_only_filled_when_empty():
    package = PackageFactory(documentation_url="https://docs.example.org/")
    project = parse_project("django-widgets", fixture("pypi_project.json"))
    record_fetch(package, FetchResult(project=project))
    package.refresh_from_db()
    assert package.documentation_url == "https://docs.example.org/"


def test_validators_are_saved_with_the_package_and_not_on_dry_run():
    package = PackageFactory()
    validators = StoredValidators()
    validators.remember("https://api.example/x", '"e1"', "", b'{"a": 1}')
    record_fetch(package, FetchResult(repo=REPO), validators=validators, dry_run=True)
    assert not HttpValidator.objects.exists()
    record_fetch(package, FetchResult(repo=REPO), validators=validators)
    stored = HttpValidator.objects.get()
    assert (stored.url, stored.etag, stored.body) == ("https://api.example/x", '"e1"', '{"a": 1}')
    assert StoredValidators().lookup("https://api.example/x").body == b'{"a": 1}'


def test_dry_run_writes_nothing():
    package = PackageFactory(repo_watchers=1)
    outcome = record_fetch(package, FetchResult(repo=REPO), dry_run=True)
    package.refresh_from_db()
    assert outcome.status == "fetched"
    assert package.repo_watchers == 1
    assert package.last_fetched is None


def test_score_hook_stores_the_new_score(monkeypatch):
    class Breakdown:
        total = 77

    monkeypatch.setattr(stats_module, "compute_score", lambda package, now: Breakdown())
    package = PackageFactory(score=0)
    record_fetch(package, FetchResult(repo=REPO))
    package.refresh_from_db()
    assert package.score == 77


def test_a_validator_the_database_cannot_read_now_means_an_unconditional_fetch(monkeypatch):
    """SQLite's shared-cache table lock (a writer thread in another fetch) made a lookup raise
    and the whole source fail; a validator is only an optimisation, so the fetch goes on."""
    from django.db import OperationalError

    from packages.models import HttpValidator

    def locked(*args, **kwargs):
        raise OperationalError("database table is locked: packages_httpvalidator")

    monkeypatch.setattr(HttpValidator.objects, "filter", locked)
    assert StoredValidators().lookup("https://api.github.com/repos/o/p") is None
