"""Codeberg / Forgejo / Gitea API v1: repository and recent commits.

No contributors list nor weekly histogram: participants are the authors of the commits read
(newest first, account login when linked, else the name as written), and commit dates of the
last 364 days are bucketed into 52 weeks.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from packages.fetch.forges.base import (
    WINDOW,
    CommitEntry,
    ForgeClient,
    Parts,
    RepoStats,
    commit_history_fields,
    repository_fields,
    require,
    required_date,
)
from packages.fetch.http import Validators
from packages.repositories import RepoRef

PAGE_LIMIT = 50


class ForgejoForge(ForgeClient):
    kind = "forgejo"
    default_label = "codeberg"

    def auth_headers(self, token: str) -> dict[str, str]:
        return {"Authorization": f"token {token}"} if token else {}

    def fetch(
        self, ref: RepoRef, *, validators: Validators | None = None, now: datetime | None = None
    ) -> RepoStats:
        now = now or datetime.now(UTC)
        base = f"{self.api_url}/repos/{quote(ref.owner)}/{quote(ref.name)}"
        repo, response = self._open_repository(base, ref, validators)
        fields = repository_fields(repo, what="forgejo repository", stars="stars_count")
        parts = Parts()
        fields.update(self._new_url_fields(response, repo.get("html_url"), ref, parts))
        history = parts.get("commits", lambda: self._commits(f"{base}/commits", validators, now))
        if history is not Parts.FAILED:
            dates, authors = history
            fields.update(commit_history_fields(dates, authors, now))
        return parts.stats(fields)

    def _commits(
        self, url: str, validators: Validators | None, now: datetime
    ) -> tuple[list[datetime], list[str | None]]:
        params = {"limit": PAGE_LIMIT, "stat": "false", "verification": "false", "files": "false"}
        first = self._get(url, validators, params)
        return self._walk_commit_window(
            first,
            validators,
            now - WINDOW,
            _commit_entries,
            empty_statuses=(409,),  # an empty repository
        )


def _commit_entries(page: Any) -> list[CommitEntry]:
    require(isinstance(page, list), "forgejo commits: not a list")
    entries: list[CommitEntry] = []
    for entry in page:
        require(isinstance(entry, dict), "forgejo commits: entry is not an object")
        commit = entry.get("commit")
        require(isinstance(commit, dict), "forgejo commits: entry without commit")
        written = _object(commit.get("author"))
        moment = required_date(
            _object(commit.get("committer")).get("date") or written.get("date"), "forgejo commits"
        )
        account = entry.get("author")
        login = account.get("login") if isinstance(account, dict) else None
        author = login if isinstance(login, str) and login else written.get("name")
        entries.append((moment, author if isinstance(author, str) else None))
    return entries


def _object(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
