"""Bitbucket Cloud 2.0: repository, watcher and fork totals, recent commits.

Bitbucket has no contributors list nor weekly histogram: participants are the authors of the
commits read (newest first), and commit dates of the last 364 days are bucketed into 52 weeks.
Bitbucket has no archived flag, so that state is left as it is.
"""

import re
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

PAGE_LENGTH = 100
_EMAIL = re.compile(r"\s*<[^>]*>\s*$")


class BitbucketForge:
    kind = "bitbucket"
    label = "bitbucket"

    def __init__(self, http, *, api_url, max_pages=20):
        self.http = http
        self.api_url = api_url.rstrip("/")
        self.max_pages = max_pages

    def fetch(self, ref, *, validators=None, now=None):
        now = now or datetime.now(UTC)
        base = f"{self.api_url}/repositories/{quote(ref.owner)}/{quote(ref.name)}"
        response = self._get(base, validators)
        if response.status == 404:
            raise NotFoundError(f"bitbucket: {ref.path} not found")
        expect_ok(response, "bitbucket repository")
        repo = response.json()
        require(isinstance(repo, dict), "bitbucket repository: not an object")
        fields = {"description": text_field(repo, "description", "bitbucket repository")}
        parts = Parts()
        for what in ("watchers", "forks"):
            total = parts.get(
                what, lambda what=what: self._total(f"{base}/{what}", validators, what)
            )
            if total is not Parts.FAILED:
                fields[what] = total
        history = parts.get("commits", lambda: self._commits(f"{base}/commits", validators, now))
        if history is not Parts.FAILED:
            fields.update(commit_history_fields(*history, now))
        return parts.stats(fields)

    def _get(self, url, validators, params=None):
        return self.http.get(url, params=params, validators=validators)

    def _total(self, url, validators, what):
        response = self._get(url, validators, {"pagelen": 1})
        if response.status == 404:
            raise NotFoundError(f"{what} 404")
        expect_ok(response, f"bitbucket {what}")
        page = response.json()
        require(isinstance(page, dict), f"bitbucket {what}: not an object")
        return count_field(page, "size", f"bitbucket {what}")

    def _commits(self, url, validators, now):
        since = now - WINDOW
        dates, authors = [], []
        pages = follow_pages(
            self._get(url, validators, {"pagelen": PAGE_LENGTH}),
            lambda following: self._get(following, validators),
            forge="bitbucket",
            part="commits",
            max_pages=self.max_pages,
            next_url=_next_in_body,
        )
        for page in pages:
            require(isinstance(page, dict), "bitbucket commits: not an object")
            values = page.get("values")
            require(isinstance(values, list), "bitbucket commits: no values")
            page_dates = []
            for commit in values:
                require(isinstance(commit, dict), "bitbucket commits: entry is not an object")
                moment = parse_datetime(commit.get("date"))
                require(moment is not None, "bitbucket commits: entry without a date")
                page_dates.append(moment)
                authors.append(_author(commit.get("author")))
            dates += page_dates
            if not page_dates or min(page_dates) < since:
                break
        return dates, authors


def _next_in_body(_response, page):
    """Bitbucket names the next page in the body, not in a Link header."""
    following = page.get("next")
    return following if isinstance(following, str) else None


def _author(author):
    """The Bitbucket nickname when the author is linked to an account, else the name as written."""
    if not isinstance(author, dict):
        return None
    user = author.get("user")
    if isinstance(user, dict):
        for key in ("nickname", "display_name"):
            if isinstance(user.get(key), str) and user[key]:
                return user[key]
    raw = author.get("raw")
    return _EMAIL.sub("", raw) or None if isinstance(raw, str) else None
