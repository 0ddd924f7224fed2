"""Repo URL parsing, forge selection and the 52-week bucketing shared by all forges."""

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from packages.fetch.config import FetcherConfig
from packages.fetch.forges.base import bucket_weekly
from packages.fetch.sources import build_forges
from packages.identifiers import normalize_repo_url
from packages.repositories import RepoRef, parse_repo_url, supported_repo_hosts
from tests.packages.conftest import NOW

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(
    ("url", "ref"),
    [
        ("https://github.com/o/r", RepoRef("github.com", "o", "r")),
        ("https://GitHub.com/o/r.git/", RepoRef("github.com", "o", "r")),
        ("http://www.github.com/o/r/tree/main", RepoRef("github.com", "o", "r")),
        ("https://gitlab.com/g/sub/r", RepoRef("gitlab.com", "g/sub", "r")),
        ("https://gitlab.com/g/r/-/tree/main", RepoRef("gitlab.com", "g", "r")),
        ("https://bitbucket.org/team/r", RepoRef("bitbucket.org", "team", "r")),
        ("https://codeberg.org/ann/r", RepoRef("codeberg.org", "ann", "r")),
        ("https://git.example.org:8443/a/b", RepoRef("git.example.org:8443", "a", "b")),
    ],
)
def test_parse_repo_url(url, ref):
    assert parse_repo_url(url) == ref


@pytest.mark.parametrize(
    "url", ["", "github.com/o/r", "https://github.com/o", "ftp://github.com/o/r"]
)
def test_parse_repo_url_refuses_non_repository_urls(url):
    assert parse_repo_url(url) is None


def test_normalized_spellings_are_one_repository():
    spellings = [
        "https://GitHub.com/o/r.git/",
        "http://www.github.com/o/r",
        "https://github.com/o/r",
    ]
    assert {normalize_repo_url(s) for s in spellings} == {"https://github.com/o/r"}


def test_only_configured_hosts_get_a_client(settings):
    settings.GITLAB_HOSTS = []
    settings.FORGEJO_HOSTS = ["Git.Example.org"]
    sites = FetcherConfig.from_settings().sites
    forges = build_forges(http=None, sites=sites)
    assert set(forges) == {"github.com", "gitlab.com", "bitbucket.org", "codeberg.org",
                           "git.example.org"}  # fmt: skip
    assert forges["git.example.org"].api_url == "https://git.example.org/api/v1"
    assert not next(s for s in sites if s.host == "git.example.org").trusted


def test_the_hosts_the_catalogue_accepts_are_the_sites_the_fetcher_builds(settings):
    settings.GITLAB_HOSTS = ["GitLab.Example.org"]
    settings.FORGEJO_HOSTS = ["git.example.net"]
    sites = FetcherConfig.from_settings().sites
    assert {site.host for site in sites} == supported_repo_hosts()
    assert "gitlab.example.org" in supported_repo_hosts()


def test_bucket_weekly_is_oldest_first_and_ends_now():
    dates = [
        NOW,
        NOW - timedelta(days=6, hours=23),
        NOW - timedelta(days=7),
        NOW - timedelta(days=363),
        NOW - timedelta(days=364),
        NOW + timedelta(minutes=5),
    ]
    weeks = bucket_weekly(dates, NOW)
    assert len(weeks) == 52
    assert weeks[51] == 3
    assert weeks[50] == 1
    assert weeks[0] == 1
    assert sum(weeks) == 5


def test_commit_dated_in_the_future_counts_in_the_last_week():
    # A commit whose clock ran ahead (ten days here) counts as now, never outside the 52 weeks.
    weeks = bucket_weekly([NOW + timedelta(days=10), NOW - timedelta(days=8)], NOW)
    assert weeks == (0,) * 50 + (1, 1)


def test_forge_pypi_and_http_clients_import_nothing_from_the_orm():
    code = (
        "import sys; import packages.fetch.forges, packages.fetch.pypi, packages.fetch.http; "
        "print(sorted(m for m in sys.modules if m.startswith(('django.db', 'packages.models'))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
