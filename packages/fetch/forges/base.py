"""What every forge client shares: RepoStats, the Forge protocol, the errors, and repo URL parsing.

Clients never touch the ORM: they take an HTTP client, return frozen dataclasses and raise the
errors below (always `from` the transport error that caused them).
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol
from urllib.parse import urlsplit

WEEKS = 52
WEEK = timedelta(days=7)
WINDOW = WEEKS * WEEK


class FetchError(Exception):
    """Fetching from an upstream failed; `reason` is a short code the summary groups by."""

    reason = "error"

    def __init__(self, message, *, reason=None):
        super().__init__(message)
        if reason:
            self.reason = reason


class TransportError(FetchError):
    """Connection refused or reset, timeouts, deadlines, 5xx after retries."""

    reason = "connection"
    retryable = True
    unreachable = ""  # why no connection carried an answer (DNS, refused, reset, TLS, timeout)


class BodyTooLargeError(FetchError):
    reason = "too_large"


class RefusedURLError(FetchError):
    """A URL or redirect outside the configured hosts, or to a private address."""

    reason = "refused"


class UpstreamDataError(FetchError):
    """The upstream answered, but not with the JSON shape we need (HTML, truncated, wrong types)."""

    reason = "bad_data"


class NotFoundError(FetchError):
    """The upstream says the repository or project does not exist (404)."""

    reason = "not_found"


class HostStoppedError(Exception):
    """A host's rate limit is spent and resets later than --max-wait: leave it for the next run.

    Not a FetchError on purpose: it is no fault of the package and must never be recorded as one.
    """


@dataclass(frozen=True)
class RepoRef:
    """A repository as the fetcher addresses it: which forge host, and its path there."""

    host: str
    owner: str
    name: str

    @property
    def path(self):
        return f"{self.owner}/{self.name}"


@dataclass(frozen=True)
class RepoStats:
    """What a forge told us about one repository.

    None in a field means "not known this time: keep the stored value" (a sub-resource that
    404ed, is still being computed, or failed). `errors` names the parts that failed, `notes`
    the parts kept on purpose. `repo_url` is set when the forge redirected us to a new name.
    """

    description: str | None = None
    watchers: int | None = None
    forks: int | None = None
    is_archived: bool | None = None
    participants: tuple[str, ...] | None = None
    commits_over_52: tuple[int, ...] | None = None
    last_updated: datetime | None = None
    repo_url: str | None = None
    notes: tuple[str, ...] = ()
    errors: tuple[FetchError, ...] = field(default=())


class Forge(Protocol):
    """One code host's API client."""

    kind: str
    label: str

    def fetch(self, ref: RepoRef, *, validators=None, now=None) -> RepoStats:
        """Raise NotFoundError when the repository is gone; other FetchErrors when it failed."""


def parse_repo_url(url):
    """`https://github.com/o/r` -> RepoRef("github.com", "o", "r"); None when not a repo URL.

    GitLab subgroups keep every namespace in `owner` (`group/sub`); other forges take the first
    two path segments (`/o/r/tree/main` is still `o/r`) and drop a trailing `.git`.
    """
    parts = urlsplit((url or "").strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return None
    host = parts.hostname.lower().removeprefix("www.")
    if parts.port not in (None, 80, 443):
        host = f"{host}:{parts.port}"
    segments = [s for s in parts.path.split("/") if s]
    if "-" in segments:  # GitLab web URLs: /group/project/-/tree/main
        segments = segments[: segments.index("-")]
    if len(segments) < 2:
        return None
    if host == "gitlab.com" or host.startswith("gitlab."):
        owner, name = "/".join(segments[:-1]), segments[-1]
    else:
        owner, name = segments[0], segments[1]
    name = name.removesuffix(".git")
    if not owner or not name:
        return None
    return RepoRef(host=host, owner=owner, name=name)


def parse_datetime(value):
    """An ISO 8601 timestamp from an API (Z, offsets, fractions) -> aware UTC datetime, or None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def bucket_weekly(dates, now):
    """Commit dates -> 52 weekly counts, oldest week first, the last week ending at `now`.

    Only the last 364 days count; a date slightly in the future (clock skew) counts as now.
    """
    weeks = [0] * WEEKS
    for moment in dates:
        age = max(now - moment, timedelta(0))
        if age < WINDOW:
            weeks[WEEKS - 1 - int(age / WEEK)] += 1
    return tuple(weeks)


def require(condition, message):
    """Raise UpstreamDataError unless the upstream's JSON has the shape we rely on."""
    if not condition:
        raise UpstreamDataError(message)


def count_field(document, key, what):
    """A non-negative int from a JSON object, or UpstreamDataError."""
    value = document.get(key)
    require(
        isinstance(value, int) and not isinstance(value, bool) and value >= 0,
        f"{what}: {key} is not a non-negative integer",
    )
    return value


def text_field(document, key, what):
    """A string or null from a JSON object (null -> None), or UpstreamDataError."""
    value = document.get(key)
    require(value is None or isinstance(value, str), f"{what}: {key} is not a string")
    return value


class Parts:
    """The sub-resources of one repository fetch (contributors, commits, counts...).

    `get(key, fetch)` returns `fetch()`'s value, or `FAILED` when that part could not be read:
    a 404 (or anything in `keep_on`) becomes a note, any other failure an error; either way
    the stored value of that part is kept and the rest is still updated.
    """

    FAILED = object()

    def __init__(self, *, keep_on=(NotFoundError,)):
        self.keep_on = keep_on
        self.notes = []
        self.errors = []

    def get(self, key, fetch):
        try:
            return fetch()
        except self.keep_on as exc:
            self.notes.append(f"{key} kept: {exc}")
        except FetchError as exc:
            self.errors.append(FetchError(f"{key}: {exc}", reason=exc.reason))
        return self.FAILED

    def stats(self, fields):
        return RepoStats(**fields, notes=tuple(self.notes), errors=tuple(self.errors))


def commit_history_fields(dates, authors, now):
    """RepoStats fields from the commits read (for forges without a weekly histogram)."""
    fields = {"commits_over_52": bucket_weekly(dates, now), "participants": dedupe(authors)}
    if dates:
        fields["last_updated"] = max(dates)
    return fields


def follow_pages(response, get, *, forge, part, max_pages, empty_statuses=(), next_url=None):
    """Yield the decoded JSON of each page of a paginated list, starting with `response`.

    A status in `empty_statuses` ends the list (an empty repository), a 404 raises
    NotFoundError, anything else but a 200 with a body raises FetchError. The next page is
    `get(url)` with the URL from `next_url(response, body)` (default: the `Link: rel="next"`
    header); at most `max_pages` pages are read, and the caller may stop earlier with `break`.
    """
    for _page in range(max_pages):
        if response.status in empty_statuses:
            return
        if response.status == 404:
            raise NotFoundError(f"{part} 404")
        expect_ok(response, f"{forge} {part}")
        body = response.json()
        yield body
        following = next_url(response, body) if next_url else response.link("next")
        if not following:
            return
        response = get(following)


def expect_ok(response, what):
    """Anything but a 200 with a body is a failure of that part."""
    if response.status != 200:
        raise FetchError(f"{what}: HTTP {response.status}", reason=f"http_{response.status}")
    if not response.body:
        raise UpstreamDataError(f"{what}: empty body", reason="invalid_json")


def dedupe(names):
    """Keep the first occurrence of each name, in order."""
    return tuple(dict.fromkeys(n for n in names if n))
