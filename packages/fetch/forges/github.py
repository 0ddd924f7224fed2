"""GitHub REST v3: repository, contributors, weekly participation and the newest commit.

A first fetch costs 4 calls plus one per extra page of contributors.
"""

import time
from urllib.parse import quote

from packages.fetch.forges.base import (
    WEEKS,
    FetchError,
    NotFoundError,
    Parts,
    count_field,
    dedupe,
    expect_ok,
    follow_pages,
    parse_datetime,
    require,
    text_field,
)
from packages.identifiers import IdentifierError, normalize_repo_url

PER_PAGE = 100


class GitHubForge:
    kind = "github"
    label = "github"
    web_host = "github.com"

    def __init__(
        self,
        http,
        *,
        api_url,
        token="",
        max_pages=20,
        computing_retries=3,
        computing_delay=1.0,
        sleep=time.sleep,
    ):
        self.http = http
        self.api_url = api_url.rstrip("/")
        self.max_pages = max_pages
        self.computing_retries = computing_retries
        self.computing_delay = computing_delay
        self.sleep = sleep
        self.headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
        }
        if token:
            self.headers["Authorization"] = f"Bearer {token}"

    def fetch(self, ref, *, validators=None, now=None):
        repo_api = f"{self.api_url}/repos/{quote(ref.owner)}/{quote(ref.name)}"
        response = self._get(repo_api, validators)
        if response.status == 404:
            raise NotFoundError(f"github: {ref.path} not found")
        expect_ok(response, "github repository")
        repo = response.json()
        require(isinstance(repo, dict), "github repository: not an object")
        full_name = text_field(repo, "full_name", "github repository")
        require(full_name and full_name.count("/") == 1, "github repository: bad full_name")
        archived = repo.get("archived", False)
        require(isinstance(archived, bool), "github repository: archived is not a boolean")
        fields = {
            "description": text_field(repo, "description", "github repository"),
            "watchers": count_field(repo, "stargazers_count", "github repository"),
            "forks": count_field(repo, "forks_count", "github repository"),
            "is_archived": archived,
        }
        if response.redirected:
            fields["repo_url"] = self._web_url(repo, full_name)
        # Sub-resources go to the canonical name, saving a redirect per call after a rename.
        canonical = f"{self.api_url}/repos/{full_name}"
        parts = Parts(keep_on=(NotFoundError, _StillComputingError))
        for key, part in (
            ("participants", self._participants),
            ("commits_over_52", self._participation),
            ("last_updated", self._newest_commit),
        ):
            value = parts.get(key, lambda part=part: part(canonical, validators))
            if value is not Parts.FAILED:
                fields[key] = value
        return parts.stats(fields)

    def _get(self, url, validators, params=None):
        return self.http.get(url, params=params, headers=self.headers, validators=validators)

    def _web_url(self, repo, full_name):
        html_url = repo.get("html_url")
        try:
            if isinstance(html_url, str) and html_url:
                return normalize_repo_url(html_url)
        except IdentifierError:
            pass
        return f"https://{self.web_host}/{full_name}"

    def _participants(self, canonical, validators):
        logins = []
        first = self._get(f"{canonical}/contributors", validators, {"per_page": PER_PAGE})
        pages = follow_pages(
            first,
            lambda url: self._get(url, validators),
            forge="github",
            part="contributors",
            max_pages=self.max_pages,
            empty_statuses=(204,),  # an empty repository
        )
        for page in pages:
            require(isinstance(page, list), "github contributors: not a list")
            for person in page:
                require(isinstance(person, dict), "github contributors: entry is not an object")
                login = person.get("login")
                require(login is None or isinstance(login, str), "github contributors: bad login")
                logins.append(login)
            if not page:
                break
        return dedupe(logins)

    def _participation(self, canonical, validators):
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

    def _newest_commit(self, canonical, validators):
        response = self._get(f"{canonical}/commits", validators, {"per_page": 1})
        if response.status in (404, 409):  # 409: the repository is empty
            raise NotFoundError(f"commits {response.status}")
        expect_ok(response, "github commits")
        commits = response.json()
        require(isinstance(commits, list), "github commits: not a list")
        if not commits:
            raise NotFoundError("no commits")
        commit = commits[0].get("commit") if isinstance(commits[0], dict) else None
        require(isinstance(commit, dict), "github commits: entry without commit")
        dates = [
            parse_datetime((commit.get(who) or {}).get("date"))
            for who in ("committer", "author")
            if isinstance(commit.get(who), dict)
        ]
        dates = [d for d in dates if d]
        require(dates, "github commits: no commit date")
        return dates[0]


class _StillComputingError(FetchError):
    reason = "computing"
