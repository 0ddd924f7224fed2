"""GitHub REST v3: repository, contributors, weekly participation and the newest commit.

A first fetch costs 4 calls plus one per extra page of contributors.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from functools import partial
from urllib.parse import quote

from packages.fetch.forges.base import (
    FetchError,
    ForgeClient,
    NotFoundError,
    Parts,
    RepoStats,
    UpstreamDataError,
    contributor_names,
    expect_ok,
    follow_pages,
    parse_datetime,
    repository_fields,
    require,
    text_field,
)
from packages.fetch.http import HttpClient, Validators
from packages.repositories import WEEKS, RepoRef

PER_PAGE = 100


class GitHubForge(ForgeClient):
    kind = "github"
    default_label = "github"
    web_host = "github.com"

    def __init__(
        self,
        http: HttpClient,
        *,
        api_url: str,
        label: str | None = None,
        token: str = "",
        max_pages: int = 20,
        computing_retries: int = 3,
        computing_delay: float = 1.0,
        sleep: Callable[[float], object] = time.sleep,
    ) -> None:
        super().__init__(http, api_url=api_url, label=label, token=token, max_pages=max_pages)
        self.computing_retries = computing_retries
        self.computing_delay = computing_delay
        self.sleep = sleep

    def auth_headers(self, token: str) -> dict[str, str]:
        headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return headers

    def fetch(
        self, ref: RepoRef, *, validators: Validators | None = None, now: datetime | None = None
    ) -> RepoStats:
        repo_api = f"{self.api_url}/repos/{quote(ref.owner)}/{quote(ref.name)}"
        repo, response = self._open_repository(repo_api, ref, validators)
        full_name = text_field(repo, "full_name", "github repository")
        require(full_name and full_name.count("/") == 1, "github repository: bad full_name")
        fields = repository_fields(repo, what="github repository", stars="stargazers_count")
        parts = Parts(keep_on=(NotFoundError, _StillComputingError))
        web_url = repo.get("html_url") or f"https://{self.web_host}/{full_name}"
        fields.update(self._new_url_fields(response, web_url, ref, parts))
        # Sub-resources go to the canonical name, saving a redirect per call after a rename.
        canonical = f"{self.api_url}/repos/{full_name}"
        for key, part in (
            ("participants", self._participants),
            ("commits_over_52", self._participation),
            ("last_updated", self._newest_commit),
        ):
            value = parts.get(key, partial(part, canonical, validators))
            if value is not Parts.FAILED:
                fields[key] = value
        return parts.stats(fields)

    def _participants(self, canonical: str, validators: Validators | None) -> tuple[str, ...]:
        first = self._get(f"{canonical}/contributors", validators, {"per_page": PER_PAGE})
        pages = follow_pages(
            first,
            lambda url: self._get(url, validators),
            forge="github",
            part="contributors",
            max_pages=self.max_pages,
            empty_statuses=(204,),  # an empty repository
        )
        return contributor_names(pages, key="login", what="github contributors")

    def _participation(self, canonical: str, validators: Validators | None) -> tuple[int, ...]:
        url = f"{canonical}/stats/participation"
        for attempt in range(self.computing_retries + 1):
            response = self._get(url, validators)
            if response.status != 202:
                break
            if attempt < self.computing_retries:
                self.sleep(self.computing_delay * (2**attempt))
        else:
            raise _StillComputingError("GitHub is still computing participation (202)")
        if response.status in (204, 404):
            raise NotFoundError(f"participation {response.status}")
        expect_ok(response, "github participation")
        document = response.json()
        require(isinstance(document, dict), "github participation: not an object")
        weeks = document.get("all")
        require(
            isinstance(weeks, list)
            and len(weeks) == WEEKS
            and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in weeks),
            "github participation: 'all' is not 52 counts",
        )
        return tuple(weeks)

    def _newest_commit(self, canonical: str, validators: Validators | None) -> datetime:
        response = self._get(f"{canonical}/commits", validators, {"per_page": 1})
        if response.status in (404, 409):  # 409: the repository is empty
            raise NotFoundError(f"commits {response.status}")
        expect_ok(response, "github commits")
        commits = response.json()
        require(isinstance(commits, list), "github commits: not a list")
        if not commits:
            raise NotFoundError("no commits")
        commit = commits[0].get("commit") if isinstance(commits[0], dict) else None
        if not isinstance(commit, dict):
            raise UpstreamDataError("github commits: entry without commit")
        moments = [
            parse_datetime(commit[who].get("date"))
            for who in ("committer", "author")
            if isinstance(commit.get(who), dict)
        ]
        dates = [moment for moment in moments if moment is not None]
        if not dates:
            raise UpstreamDataError("github commits: no commit date")
        return dates[0]


class _StillComputingError(FetchError):
    reason = "computing"
