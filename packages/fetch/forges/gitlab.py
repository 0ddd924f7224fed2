"""GitLab REST v4 (gitlab.com or a self-hosted instance): project, contributors, recent commits.

GitLab has no weekly histogram, so commit dates of the last 364 days are bucketed into 52 weeks.
"""

import contextlib
from datetime import UTC, datetime
from urllib.parse import quote

from packages.fetch.forges.base import (
    WINDOW,
    NotFoundError,
    Parts,
    bucket_weekly,
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


class GitLabForge:
    kind = "gitlab"

    def __init__(self, http, *, api_url, label="gitlab", token="", max_pages=20):
        self.http = http
        self.api_url = api_url.rstrip("/")
        self.label = label
        self.max_pages = max_pages
        self.headers = {"PRIVATE-TOKEN": token} if token else {}

    def fetch(self, ref, *, validators=None, now=None):
        now = now or datetime.now(UTC)
        response = self._get(f"{self.api_url}/projects/{quote(ref.path, safe='')}", validators)
        if response.status == 404:
            raise NotFoundError(f"{self.label}: {ref.path} not found")
        expect_ok(response, "gitlab project")
        project = response.json()
        require(isinstance(project, dict), "gitlab project: not an object")
        project_id = project.get("id")
        require(isinstance(project_id, int) and not isinstance(project_id, bool), "gitlab: no id")
        archived = project.get("archived", False)
        require(isinstance(archived, bool), "gitlab project: archived is not a boolean")
        fields = {
            "description": text_field(project, "description", "gitlab project"),
            "watchers": count_field(project, "star_count", "gitlab project"),
            "forks": count_field(project, "forks_count", "gitlab project"),
            "is_archived": archived,
        }
        if response.redirected and isinstance(project.get("web_url"), str):
            with contextlib.suppress(IdentifierError):
                fields["repo_url"] = normalize_repo_url(project["web_url"])
        base = f"{self.api_url}/projects/{project_id}/repository"
        parts = Parts()
        participants = parts.get("participants", lambda: self._contributors(base, validators))
        if participants is not Parts.FAILED:
            fields["participants"] = participants
        history = parts.get("commits", lambda: self._commits(base, validators, now))
        if history is not Parts.FAILED:
            fields["commits_over_52"], newest = history
            if newest is not None:
                fields["last_updated"] = newest
        return parts.stats(fields)

    def _get(self, url, validators, params=None):
        return self.http.get(url, params=params, headers=self.headers, validators=validators)

    def _contributors(self, base, validators):
        names = []
        first = self._get(f"{base}/contributors", validators, {"per_page": PER_PAGE})
        for page in self._pages(first, "contributors", validators):
            require(isinstance(page, list), "gitlab contributors: not a list")
            for person in page:
                require(isinstance(person, dict), "gitlab contributors: entry is not an object")
                name = person.get("name")
                require(name is None or isinstance(name, str), "gitlab contributors: bad name")
                names.append(name)
            if not page:
                break
        return dedupe(names)

    def _pages(self, first, part, validators):
        return follow_pages(
            first,
            lambda url: self._get(url, validators),
            forge="gitlab",
            part=part,
            max_pages=self.max_pages,
        )

    def _commits(self, base, validators, now):
        """Weekly counts of the last 52 weeks and the newest commit's date."""
        since = now - WINDOW
        # Asked from midnight, so the URL (and its stored ETag) stays the same all day long.
        params = {"since": since.strftime("%Y-%m-%dT00:00:00Z"), "per_page": PER_PAGE}
        dates = []
        first = self._get(f"{base}/commits", validators, params)
        for page in self._pages(first, "commits", validators):
            page_dates = _commit_dates(page)
            dates += page_dates
            # Commits come newest first: once a page reaches past the window, stop paging.
            if not page_dates or min(page_dates) < since:
                break
        newest = max(dates, default=None)
        if newest is None:
            # Nothing in the last year: one more call finds the newest commit ever.
            response = self._get(f"{base}/commits", validators, {"per_page": 1})
            if response.status == 200:
                newest = max(_commit_dates(response.json()), default=None)
        return bucket_weekly(dates, now), newest


def _commit_dates(page):
    require(isinstance(page, list), "gitlab commits: not a list")
    dates = []
    for commit in page:
        require(isinstance(commit, dict), "gitlab commits: entry is not an object")
        moment = parse_datetime(commit.get("committed_date") or commit.get("created_at"))
        require(moment is not None, "gitlab commits: entry without a date")
        dates.append(moment)
    return dates
