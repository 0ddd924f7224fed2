"""Codeberg / Forgejo / Gitea API v1: repository and recent commits.

No contributors list nor weekly histogram: participants are the authors of the commits read
(newest first, account login when linked, else the name as written), and commit dates of the
last 364 days are bucketed into 52 weeks.
"""

import contextlib
from datetime import UTC, datetime
from urllib.parse import quote

from packages.fetch.forges.base import (
    WINDOW,
    NotFoundError,
    Parts,
    commit_history_fields,
    count_field,
    expect_ok,
    follow_pages,
    parse_datetime,
    require,
    text_field,
)
from packages.identifiers import IdentifierError, normalize_repo_url

PAGE_LIMIT = 50


class ForgejoForge:
    kind = "forgejo"

    def __init__(self, http, *, api_url, label="codeberg", token="", max_pages=20):
        self.http = http
        self.api_url = api_url.rstrip("/")
        self.label = label
        self.max_pages = max_pages
        self.headers = {"Authorization": f"token {token}"} if token else {}

    def fetch(self, ref, *, validators=None, now=None):
        now = now or datetime.now(UTC)
        base = f"{self.api_url}/repos/{quote(ref.owner)}/{quote(ref.name)}"
        response = self._get(base, validators)
        if response.status == 404:
            raise NotFoundError(f"{self.label}: {ref.path} not found")
        expect_ok(response, "forgejo repository")
        repo = response.json()
        require(isinstance(repo, dict), "forgejo repository: not an object")
        archived = repo.get("archived", False)
        require(isinstance(archived, bool), "forgejo repository: archived is not a boolean")
        fields = {
            "description": text_field(repo, "description", "forgejo repository"),
            "watchers": count_field(repo, "stars_count", "forgejo repository"),
            "forks": count_field(repo, "forks_count", "forgejo repository"),
            "is_archived": archived,
        }
        if response.redirected and isinstance(repo.get("html_url"), str):
            with contextlib.suppress(IdentifierError):
                fields["repo_url"] = normalize_repo_url(repo["html_url"])
        parts = Parts()
        history = parts.get("commits", lambda: self._commits(f"{base}/commits", validators, now))
        if history is not Parts.FAILED:
            fields.update(commit_history_fields(*history, now))
        return parts.stats(fields)

    def _get(self, url, validators, params=None):
        return self.http.get(url, params=params, headers=self.headers, validators=validators)

    def _commits(self, url, validators, now):
        since = now - WINDOW
        params = {"limit": PAGE_LIMIT, "stat": "false", "verification": "false", "files": "false"}
        dates, authors = [], []
        pages = follow_pages(
            self._get(url, validators, params),
            lambda following: self._get(following, validators),
            forge="forgejo",
            part="commits",
            max_pages=self.max_pages,
            empty_statuses=(409,),  # an empty repository
        )
        for page in pages:
            require(isinstance(page, list), "forgejo commits: not a list")
            page_dates = []
            for entry in page:
                require(isinstance(entry, dict), "forgejo commits: entry is not an object")
                commit = entry.get("commit")
                require(isinstance(commit, dict), "forgejo commits: entry without commit")
                written = _object(commit.get("author"))
                moment = parse_datetime(
                    _object(commit.get("committer")).get("date") or written.get("date")
                )
                require(moment is not None, "forgejo commits: entry without a date")
                page_dates.append(moment)
                account = entry.get("author")
                login = account.get("login") if isinstance(account, dict) else None
                authors.append(login if isinstance(login, str) and login else written.get("name"))
            dates += page_dates
            if not page_dates or min(page_dates) < since:
                break
        return dates, [a for a in authors if isinstance(a, str)]


def _object(value):
    return value if isinstance(value, dict) else {}
