"""GitHub client: fields, pages, 202 retries, renames, missing repos and sub-resource faults."""

import pytest

from packages.fetch.forges.base import NotFoundError, RepoRef, UpstreamDataError
from packages.fetch.forges.github import GitHubForge
from packages.fetch.http import HttpClient, HttpConfig, Origin
from tests.packages.conftest import (
    NOW,
    Reply,
    fixture,
    serve_github_repo,
    serve_renamed_github_repo,
)

REF = RepoRef("github.com", "octo", "widgets")


@pytest.fixture
def github(upstream):
    http = HttpClient(
        {f"{upstream.url}/github": Origin("github")},
        config=HttpConfig.from_settings(retries=1, backoff=0.001, read_timeout=2, deadline=3),
    )
    return GitHubForge(
        http,
        api_url=f"{upstream.url}/github",
        token="t0ken",
        computing_delay=0,
        sleep=lambda s: None,
    )


def test_first_fetch_reads_every_field_in_four_calls(upstream, github):
    serve_github_repo(upstream)
    stats = github.fetch(REF, now=NOW)
    assert stats.description == "Widgets for Django"
    assert (stats.watchers, stats.forks, stats.is_archived) == (120, 7, False)
    assert stats.participants == ("ada", "bob", "dependabot[bot]")
    assert stats.commits_over_52 == tuple(range(52))
    assert stats.last_updated.isoformat() == "2024-05-30T09:30:00+00:00"
    assert stats.repo_url is None
    assert stats.errors == ()
    assert stats.notes == ()
    assert len(upstream.requests) == 4
    assert upstream.requests[0][1]["Authorization"] == "Bearer t0ken"


def test_contributors_follow_link_pages_and_are_deduplicated(upstream, github):
    serve_github_repo(upstream)
    upstream.add(
        "/github/repos/octo/widgets/contributors",
        Reply(
            fixture("github_contributors_1.json"),
            headers={"Link": '<{base}/github/repositories/4242/contributors?page=2>; rel="next"'},
        ),
    )
    upstream.json("/github/repositories/4242/contributors", "github_contributors_2.json")
    stats = github.fetch(REF, now=NOW)
    assert stats.participants == ("ada", "bob", "dependabot[bot]", "cy")
    assert len(upstream.requests) == 5  # four plus one extra contributor page


def test_participation_202_is_retried_until_ready(upstream, github):
    serve_github_repo(upstream)
    upstream.add(
        "/github/repos/octo/widgets/stats/participation",
        [Reply(status=202), Reply(status=202), Reply(fixture("github_participation.json"))],
    )
    assert github.fetch(REF, now=NOW).commits_over_52 == tuple(range(52))


def test_participation_still_202_keeps_the_old_value_and_says_so(upstream, github):
    serve_github_repo(upstream)
    upstream.add("/github/repos/octo/widgets/stats/participation", Reply(status=202))
    stats = github.fetch(REF, now=NOW)
    assert stats.commits_over_52 is None
    assert stats.errors == ()
    assert any("202" in note for note in stats.notes)
    assert stats.watchers == 120


def test_renamed_repository_is_followed_and_its_new_url_reported(upstream, github):
    serve_renamed_github_repo(upstream, "https://github.com/octo/gadgets")
    stats = github.fetch(REF, now=NOW)
    assert stats.repo_url == "https://github.com/octo/gadgets"
    assert stats.watchers == 120
    assert "/github/repos/octo/gadgets/contributors?per_page=100" in upstream.paths()


@pytest.mark.parametrize(
    ("html_url", "why"),
    [
        ("https://127.1:8080/internal/thing", "non-default port"),
        ("https://127.1/internal/thing", "IP address"),
        ("https://user:pw@github.com/octo/gadgets", "credentials"),
        ("https://evil.example/octo/gadgets", "not a repository on github.com"),
        ("https://github.com/octo", "not a repository on github.com"),
    ],
)
def test_renamed_repository_whose_new_url_fails_validation_is_not_reported(
    upstream, github, html_url, why, caplog
):
    serve_renamed_github_repo(upstream, html_url)
    with caplog.at_level("INFO", logger="packages.fetch.forges.base"):
        stats = github.fetch(REF, now=NOW)
    assert stats.repo_url is None  # the stored URL is kept
    assert stats.watchers == 120  # and everything else is still read
    [note] = [n for n in stats.notes if n.startswith("repo_url kept")]
    assert why in note
    assert caplog.messages == [f"github octo/widgets: {note}"]  # the reason, for fetch_stats -v


def test_missing_repository_raises_not_found(upstream, github):
    with pytest.raises(NotFoundError):
        github.fetch(REF, now=NOW)
    assert len(upstream.requests) == 1


@pytest.mark.parametrize("status", [404, 500])
def test_sub_resource_failure_keeps_only_that_part(upstream, github, status):
    serve_github_repo(upstream)
    upstream.add("/github/repos/octo/widgets/contributors", Reply({"message": "x"}, status=status))
    stats = github.fetch(REF, now=NOW)
    assert stats.participants is None
    assert stats.watchers == 120
    assert stats.commits_over_52 == tuple(range(52))
    assert bool(stats.errors) == (status == 500)


def test_invalid_json_on_a_sub_resource_is_an_error_of_that_part(upstream, github):
    serve_github_repo(upstream)
    upstream.add("/github/repos/octo/widgets/commits", Reply(b'[{"sha": "ab'))
    stats = github.fetch(REF, now=NOW)
    assert stats.last_updated is None
    assert [e.reason for e in stats.errors] == ["invalid_json"]


@pytest.mark.parametrize(
    "change",
    [
        {"stargazers_count": "120"},
        {"forks_count": -1},
        {"archived": "no"},
        {"description": 5},
        {"full_name": None},
    ],
)
def test_wrong_types_in_the_repository_are_rejected(upstream, github, change):
    serve_github_repo(upstream, repo=dict(fixture("github_repo.json"), **change))
    with pytest.raises(UpstreamDataError):
        github.fetch(REF, now=NOW)


def test_participation_with_the_wrong_shape_is_an_error(upstream, github):
    serve_github_repo(upstream)
    upstream.json("/github/repos/octo/widgets/stats/participation", {"all": [1, 2, 3]})
    stats = github.fetch(REF, now=NOW)
    assert stats.commits_over_52 is None
    assert [e.reason for e in stats.errors] == ["bad_data"]
