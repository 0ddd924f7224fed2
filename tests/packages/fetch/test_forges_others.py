"""GitLab, Bitbucket and Codeberg/Forgejo clients: fields, 52-week bucketing, missing repos."""

from datetime import UTC, datetime

import pytest

from packages.fetch.forges.base import NotFoundError, RepoRef
from packages.fetch.forges.bitbucket import BitbucketForge
from packages.fetch.forges.forgejo import ForgejoForge
from packages.fetch.forges.gitlab import GitLabForge
from packages.fetch.http import HttpClient, HttpConfig, Origin
from tests.packages.conftest import NOW, Reply, fixture


def weeks(**counts):
    """52 zeros with {index: count}, written w<index>=count."""
    out = [0] * 52
    for key, value in counts.items():
        out[int(key[1:])] = value
    return tuple(out)


@pytest.fixture
def http(upstream):
    return HttpClient(
        {f"{upstream.url}/{p}": Origin(p) for p in ("gitlab", "bitbucket", "codeberg")},
        config=HttpConfig.from_settings(retries=0, read_timeout=2, deadline=3),
    )


def serve_gitlab(upstream):
    upstream.json("/gitlab/projects/group%2Fsub%2Fwidgets", "gitlab_project.json")
    upstream.json("/gitlab/projects/77/repository/contributors", "gitlab_contributors.json")
    upstream.json("/gitlab/projects/77/repository/commits", "gitlab_commits.json")


def test_gitlab_project_with_subgroups(upstream, http):
    serve_gitlab(upstream)
    forge = GitLabForge(http, api_url=f"{upstream.url}/gitlab", token="glpat")
    stats = forge.fetch(RepoRef("gitlab.com", "group/sub", "widgets"), now=NOW)
    assert (stats.description, stats.watchers, stats.forks) == ("GitLab widgets", 33, 4)
    assert stats.is_archived is True
    assert stats.participants == ("Ada Lovelace", "Bob")
    assert stats.commits_over_52 == weeks(w1=1, w50=1, w51=2)
    assert stats.last_updated == datetime(2024, 5, 31, 14, 0, tzinfo=UTC)
    commits_call = next(p for p in upstream.paths() if "/commits" in p)
    assert "since=2023-06-03T00%3A00%3A00Z" in commits_call  # midnight: one URL all day
    assert upstream.requests[0][1]["PRIVATE-TOKEN"] == "glpat"


def test_gitlab_pages_commits_only_while_inside_the_window(upstream, http):
    serve_gitlab(upstream)
    recent = [{"id": "n", "committed_date": "2024-05-30T00:00:00Z"}]
    upstream.add(
        "/gitlab/projects/77/repository/commits",
        Reply(recent, headers={"Link": '<{base}/gitlab/projects/77/more?page=2>; rel="next"'}),
    )
    upstream.json("/gitlab/projects/77/more", "gitlab_commits.json")
    forge = GitLabForge(http, api_url=f"{upstream.url}/gitlab")
    stats = forge.fetch(RepoRef("gitlab.com", "group/sub", "widgets"), now=NOW)
    assert stats.commits_over_52 == weeks(w1=1, w50=1, w51=3)
    assert len([p for p in upstream.paths() if "commits" in p or "more" in p]) == 2


def test_gitlab_stops_paging_at_the_page_that_reaches_past_the_window(upstream, http):
    serve_gitlab(upstream)
    # Page one already holds commits older than the window: page two is never asked for.
    upstream.json(
        "/gitlab/projects/77/repository/commits",
        "gitlab_commits.json",
        headers={"Link": '<{base}/gitlab/projects/77/older?page=2>; rel="next"'},
    )
    upstream.add(
        "/gitlab/projects/77/older", Reply([{"id": "c9", "committed_date": "2020-01-01T00:00:00Z"}])
    )
    forge = GitLabForge(http, api_url=f"{upstream.url}/gitlab")
    stats = forge.fetch(RepoRef("gitlab.com", "group/sub", "widgets"), now=NOW)
    assert stats.commits_over_52 == weeks(w1=1, w50=1, w51=2)
    assert not [p for p in upstream.paths() if "/older" in p]


def test_gitlab_quiet_year_still_finds_the_newest_commit(upstream, http):
    serve_gitlab(upstream)
    upstream.add(
        "/gitlab/projects/77/repository/commits?per_page=1",
        Reply([{"id": "old", "committed_date": "2020-02-02T00:00:00Z"}]),
    )
    upstream.add("/gitlab/projects/77/repository/commits", Reply([]))
    forge = GitLabForge(http, api_url=f"{upstream.url}/gitlab")
    stats = forge.fetch(RepoRef("gitlab.com", "group/sub", "widgets"), now=NOW)
    assert stats.commits_over_52 == (0,) * 52
    assert stats.last_updated == datetime(2020, 2, 2, tzinfo=UTC)


def test_gitlab_missing_project(upstream, http):
    forge = GitLabForge(http, api_url=f"{upstream.url}/gitlab")
    with pytest.raises(NotFoundError):
        forge.fetch(RepoRef("gitlab.com", "nobody", "nothing"), now=NOW)


def serve_bitbucket(upstream):
    base = "/bitbucket/repositories/team/widgets"
    upstream.json(base, "bitbucket_repo.json")
    upstream.json(f"{base}/watchers", "bitbucket_watchers.json")
    upstream.json(f"{base}/forks", "bitbucket_forks.json")
    upstream.json(f"{base}/commits", "bitbucket_commits.json")


def test_bitbucket_totals_authors_and_buckets(upstream, http):
    serve_bitbucket(upstream)
    forge = BitbucketForge(http, api_url=f"{upstream.url}/bitbucket")
    stats = forge.fetch(RepoRef("bitbucket.org", "team", "widgets"), now=NOW)
    assert (stats.description, stats.watchers, stats.forks) == ("Bitbucket widgets", 16, 5)
    assert stats.is_archived is None  # Bitbucket has no archived flag: left as it is
    assert stats.participants == ("ada", "Bob Builder", "Old Timer")
    assert stats.commits_over_52 == weeks(w48=1, w51=2)
    assert stats.last_updated == datetime(2024, 5, 31, tzinfo=UTC)


def test_bitbucket_follows_next_while_inside_the_window(upstream, http):
    serve_bitbucket(upstream)
    first = {"values": [{"hash": "a", "date": "2024-05-31T00:00:00+00:00", "author": {"raw": "Z"}}]}
    first["next"] = f"{upstream.url}/bitbucket/repositories/team/widgets/commits?page=2"
    upstream.add("/bitbucket/repositories/team/widgets/commits", Reply(first))
    upstream.json("/bitbucket/repositories/team/widgets/commits?page=2", "bitbucket_commits.json")
    forge = BitbucketForge(http, api_url=f"{upstream.url}/bitbucket")
    stats = forge.fetch(RepoRef("bitbucket.org", "team", "widgets"), now=NOW)
    assert stats.commits_over_52 == weeks(w48=1, w51=3)
    assert stats.participants[0] == "Z"


def test_bitbucket_stops_paging_at_the_page_that_reaches_past_the_window(upstream, http):
    serve_bitbucket(upstream)
    # Page one already reaches past the window: page two's authors never join participants.
    first = fixture("bitbucket_commits.json")
    first["next"] = f"{upstream.url}/bitbucket/repositories/team/widgets/commits?page=2"
    upstream.add("/bitbucket/repositories/team/widgets/commits", Reply(first))
    older = {"values": [{"hash": "h9", "date": "2021-01-01T00:00:00+00:00",
                         "author": {"raw": "Long Gone <gone@example.org>"}}]}  # fmt: skip
    upstream.add("/bitbucket/repositories/team/widgets/commits?page=2", Reply(older))
    forge = BitbucketForge(http, api_url=f"{upstream.url}/bitbucket")
    stats = forge.fetch(RepoRef("bitbucket.org", "team", "widgets"), now=NOW)
    assert stats.participants == ("ada", "Bob Builder", "Old Timer")
    assert not [p for p in upstream.paths() if "page=2" in p]


def test_forgejo_repository_and_commit_authors(upstream, http):
    upstream.json("/codeberg/repos/ann/widgets", "forgejo_repo.json")
    upstream.json("/codeberg/repos/ann/widgets/commits", "forgejo_commits.json")
    forge = ForgejoForge(http, api_url=f"{upstream.url}/codeberg")
    stats = forge.fetch(RepoRef("codeberg.org", "ann", "widgets"), now=NOW)
    assert (stats.description, stats.watchers, stats.forks) == ("Codeberg widgets", 12, 3)
    assert stats.is_archived is False
    assert stats.participants == ("ann", "Guest Writer")
    assert stats.commits_over_52 == weeks(w43=1, w51=1)
    assert stats.last_updated == datetime(2024, 5, 31, 10, 0, tzinfo=UTC)


def test_forgejo_empty_repository_has_no_commits(upstream, http):
    upstream.json("/codeberg/repos/ann/widgets", "forgejo_repo.json")
    upstream.add("/codeberg/repos/ann/widgets/commits", Reply({"message": "empty"}, status=409))
    forge = ForgejoForge(http, api_url=f"{upstream.url}/codeberg")
    stats = forge.fetch(RepoRef("codeberg.org", "ann", "widgets"), now=NOW)
    assert stats.commits_over_52 == (0,) * 52
    assert stats.participants == ()
    assert stats.last_updated is None


def test_forgejo_bad_commit_entries_are_an_error_of_that_part(upstream, http):
    upstream.json("/codeberg/repos/ann/widgets", "forgejo_repo.json")
    upstream.add("/codeberg/repos/ann/widgets/commits", Reply([{"sha": "x", "commit": "?"}]))
    forge = ForgejoForge(http, api_url=f"{upstream.url}/codeberg")
    stats = forge.fetch(RepoRef("codeberg.org", "ann", "widgets"), now=NOW)
    assert stats.watchers == 12
    assert stats.commits_over_52 is None
    assert [e.reason for e in stats.errors] == ["bad_data"]
    assert str(stats.errors[0]).startswith("commits:")
    # The other fields read from the commits are unknown too: the stored ones are kept.
    assert stats.participants is None
    assert stats.last_updated is None
