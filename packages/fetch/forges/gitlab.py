"""GitLab REST v4 (gitlab.com or a self-hosted instance): project, contributors, recent commits.

GitLab has no weekly histogram, so commit dates of the last 364 days are bucketed into 52 weeks.
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
    bucket_weekly,
    contributor_names,
    follow_pages,
    repository_fields,
    require,
    required_date,
)
from packages.fetch.http import Validators
from packages.repositories import RepoRef

PER_PAGE = 100


class GitLabForge(ForgeClient):
    kind = "gitlab"
    default_label = "gitlab"
    repository = "project"

    def auth_headers(self, token: str) -> dict[str, str]:
        return {"PRIVATE-TOKEN": token} if token else {}

    def fetch(
        self, ref: RepoRef, *, validators: Validators | None = None, now: datetime | None = None
    ) -> RepoStats:
        now = now or datetime.now(UTC)
        url = f"{self.api_url}/projects/{quote(ref.path, safe='')}"
        project, response = self._open_repository(url, ref, validators)
        project_id = project.get("id")
        require(isinstance(project_id, int) and not isinstance(project_id, bool), "gitlab: no id")
        fields = repository_fields(project, what="gitlab project", stars="star_count")
        parts = Parts()
        fields.update(self._new_url_fields(response, project.get("web_url"), ref, parts))
        base = f"{self.api_url}/projects/{project_id}/repository"
        participants = parts.get("participants", lambda: self._contributors(base, validators))
        if participants is not Parts.FAILED:
            fields["participants"] = participants
        history = parts.get("commits", lambda: self._commits(base, validators, now))
        if history is not Parts.FAILED:
            fields["commits_over_52"], newest = history
            if newest is not None:
                fields["last_updated"] = newest
        return parts.stats(fields)

    def _contributors(self, base: str, validators: Validators | None) -> tuple[str, ...]:
        pages = follow_pages(
            self._get(f"{base}/contributors", validators, {"per_page": PER_PAGE}),
            lambda url: self._get(url, validators),
            forge=self.kind,
            part="contributors",
            max_pages=self.max_pages,
        )
        return contributor_names(pages, key="name", what="gitlab contributors")

    def _commits(
        self, base: str, validators: Validators | None, now: datetime
    ) -> tuple[tuple[int, ...], datetime | None]:
        """Weekly counts of the last 52 weeks and the newest commit's date."""
        since = now - WINDOW
        # Asked from midnight, so the URL (and its stored ETag) stays the same all day long.
        params = {"since": since.strftime("%Y-%m-%dT00:00:00Z"), "per_page": PER_PAGE}
        first = self._get(f"{base}/commits", validators, params)
        dates, _authors = self._walk_commit_window(first, validators, since, _commit_entries)
        newest = max(dates, default=None)
        if newest is None:
            # Nothing in the last year: one more call finds the newest commit ever.
            response = self._get(f"{base}/commits", validators, {"per_page": 1})
            if response.status == 200:
                newest = max((m for m, _a in _commit_entries(response.json())), default=None)
        return bucket_weekly(dates, now), newest


def _commit_entries(page: Any) -> list[CommitEntry]:
    """GitLab's commits carry no account: participants come from /contributors instead."""
    require(isinstance(page, list), "gitlab commits: not a list")
    entries: list[CommitEntry] = []
    for commit in page:
        require(isinstance(commit, dict), "gitlab commits: entry is not an object")
        moment = required_date(
            commit.get("committed_date") or commit.get("created_at"), "gitlab commits"
        )
        entries.append((moment, None))
    return entries
