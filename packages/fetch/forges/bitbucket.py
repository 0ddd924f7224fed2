"""Bitbucket Cloud 2.0: repository, watcher and fork totals, recent commits.

Bitbucket has no contributors list nor weekly histogram: participants are the authors of the
commits read (newest first), and commit dates of the last 364 days are bucketed into 52 weeks.
Bitbucket has no archived flag, so that state is left as it is.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import partial
from typing import Any
from urllib.parse import quote

from packages.fetch.forges.base import (
    WINDOW,
    CommitEntry,
    ForgeClient,
    NotFoundError,
    Parts,
    RepoStats,
    commit_history_fields,
    count_field,
    expect_ok,
    require,
    required_date,
    text_field,
)
from packages.fetch.http import Response, Validators
from packages.repositories import RepoRef

PAGE_LENGTH = 100
_EMAIL = re.compile(r"\s*<[^>]*>\s*$")


class BitbucketForge(ForgeClient):
    kind = "bitbucket"
    default_label = "bitbucket"

    def fetch(
        self, ref: RepoRef, *, validators: Validators | None = None, now: datetime | None = None
    ) -> RepoStats:
        now = now or datetime.now(UTC)
        base = f"{self.api_url}/repositories/{quote(ref.owner)}/{quote(ref.name)}"
        repo, _response = self._open_repository(base, ref, validators)
        fields: dict[str, Any] = {
            "description": text_field(repo, "description", "bitbucket repository")
        }
        parts = Parts()
        for what in ("watchers", "forks"):
            total = parts.get(what, partial(self._total, f"{base}/{what}", validators, what))
            if total is not Parts.FAILED:
                fields[what] = total
        history = parts.get("commits", lambda: self._commits(f"{base}/commits", validators, now))
        if history is not Parts.FAILED:
            dates, authors = history
            fields.update(commit_history_fields(dates, authors, now))
        return parts.stats(fields)

    def _total(self, url: str, validators: Validators | None, what: str) -> int:
        response = self._get(url, validators, {"pagelen": 1})
        if response.status == 404:
            raise NotFoundError(f"{what} 404")
        expect_ok(response, f"bitbucket {what}")
        page = response.json()
        require(isinstance(page, dict), f"bitbucket {what}: not an object")
        return count_field(page, "size", f"bitbucket {what}")

    def _commits(
        self, url: str, validators: Validators | None, now: datetime
    ) -> tuple[list[datetime], list[str | None]]:
        first = self._get(url, validators, {"pagelen": PAGE_LENGTH})
        return self._walk_commit_window(
            first, validators, now - WINDOW, _commit_entries, next_url=_next_in_body
        )


def _commit_entries(page: Any) -> list[CommitEntry]:
    require(isinstance(page, dict), "bitbucket commits: not an object")
    values = page.get("values")
    require(isinstance(values, list), "bitbucket commits: no values")
    entries: list[CommitEntry] = []
    for commit in values:
        require(isinstance(commit, dict), "bitbucket commits: entry is not an object")
        moment = required_date(commit.get("date"), "bitbucket commits")
        entries.append((moment, _author(commit.get("author"))))
    return entries


def _next_in_body(_response: Response, page: Any) -> str | None:
    """Bitbucket names the next page in the body, not in a Link header."""
    following = page.get("next") if isinstance(page, dict) else None
    return following if isinstance(following, str) else None


def _author(author: object) -> str | None:
    """The Bitbucket nickname when the author is linked to an account, else the name as written."""
    if not isinstance(author, dict):
        return None
    user = author.get("user")
    if isinstance(user, dict):
        for key in ("nickname", "display_name"):
            if isinstance(user.get(key), str) and user[key]:
                return str(user[key])
    raw = author.get("raw")
    return (_EMAIL.sub("", raw) or None) if isinstance(raw, str) else None
