"""What every forge client shares: RepoStats, the errors (from errors.py), and ForgeClient, the
base class with the constructor, `_get`, the opening fetch of the repository, the walk over the
commits of the last 52 weeks and the check of a renamed repository's new URL. The repository
reference a client is given (`RepoRef`) comes from `packages.repositories`.

Clients never touch the ORM: they take an HTTP client, return frozen dataclasses and raise the
errors below (always `from` the transport error that caused them).
"""

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from packages.fetch.errors import FetchError, NotFoundError, UpstreamDataError
from packages.fetch.errors import HostStoppedError as HostStoppedError  # re-exported for run.py
from packages.identifiers import IdentifierError, normalize_repo_url, validate_public_url
from packages.repositories import WEEKS, RepoRef, parse_repo_url

if TYPE_CHECKING:
    from packages.fetch.http import HttpClient, Response, Validators

logger = logging.getLogger(__name__)

WEEK = timedelta(days=7)
WINDOW = WEEKS * WEEK


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

    def fetch(
        self, ref: RepoRef, *, validators: "Validators | None" = None, now: datetime | None = None
    ) -> RepoStats:
        """Raise NotFoundError when the repository is gone; other FetchErrors when it failed."""


def parse_datetime(value: object) -> datetime | None:
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


def required_date(value: object, what: str) -> datetime:
    """An entry's timestamp (see parse_datetime), or UpstreamDataError naming `what`."""
    moment = parse_datetime(value)
    if moment is None:
        raise UpstreamDataError(f"{what}: entry without a date")
    return moment


def bucket_weekly(dates: Iterable[datetime], now: datetime) -> tuple[int, ...]:
    """Commit dates -> 52 weekly counts, oldest week first, the last week ending at `now`.

    Only the last 364 days count; a date slightly in the future (clock skew) counts as now.
    """
    weeks = [0] * WEEKS
    for moment in dates:
        age = max(now - moment, timedelta(0))
        if age < WINDOW:
            weeks[WEEKS - 1 - int(age / WEEK)] += 1
    return tuple(weeks)


def require(condition: object, message: str) -> None:
    """Raise UpstreamDataError unless the upstream's JSON has the shape we rely on."""
    if not condition:
        raise UpstreamDataError(message)


def count_field(document: dict[str, Any], key: str, what: str) -> int:
    """A non-negative int from a JSON object, or UpstreamDataError."""
    value = document.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise UpstreamDataError(f"{what}: {key} is not a non-negative integer")
    return value


def text_field(document: dict[str, Any], key: str, what: str) -> str | None:
    """A string or null from a JSON object (null -> None), or UpstreamDataError."""
    value = document.get(key)
    require(value is None or isinstance(value, str), f"{what}: {key} is not a string")
    return str(value) if value is not None else None


def repository_fields(document: dict[str, Any], *, what: str, stars: str) -> dict[str, Any]:
    """The description, star and fork counts and archived flag of a repository's JSON (GitHub,
    GitLab and Forgejo spell them alike but for the stars' key), or UpstreamDataError."""
    archived = document.get("archived", False)
    require(isinstance(archived, bool), f"{what}: archived is not a boolean")
    return {
        "description": text_field(document, "description", what),
        "watchers": count_field(document, stars, what),
        "forks": count_field(document, "forks_count", what),
        "is_archived": archived,
    }


class Parts:
    """The sub-resources of one repository fetch (contributors, commits, counts...).

    `get(key, fetch)` returns `fetch()`'s value, or `FAILED` when that part could not be read:
    a 404 (or anything in `keep_on`) becomes a note, any other failure an error; either way
    the stored value of that part is kept and the rest is still updated.
    """

    FAILED = object()

    def __init__(self, *, keep_on: tuple[type[FetchError], ...] = (NotFoundError,)) -> None:
        self.keep_on = keep_on
        self.notes: list[str] = []
        self.errors: list[FetchError] = []

    def get(self, key: str, fetch: Callable[[], Any]) -> Any:
        try:
            return fetch()
        except self.keep_on as exc:
            self.notes.append(f"{key} kept: {exc}")
        except FetchError as exc:
            self.errors.append(FetchError(f"{key}: {exc}", reason=exc.reason))
        return self.FAILED

    def stats(self, fields: dict[str, Any]) -> RepoStats:
        return RepoStats(**fields, notes=tuple(self.notes), errors=tuple(self.errors))


def commit_history_fields(
    dates: Sequence[datetime], authors: Iterable[str | None], now: datetime
) -> dict[str, Any]:
    """RepoStats fields from the commits read (for forges without a weekly histogram)."""
    fields: dict[str, Any] = {
        "commits_over_52": bucket_weekly(dates, now),
        "participants": dedupe(authors),
    }
    if dates:
        fields["last_updated"] = max(dates)
    return fields


def follow_pages(
    response: "Response",
    get: Callable[[str], "Response"],
    *,
    forge: str,
    part: str,
    max_pages: int,
    empty_statuses: tuple[int, ...] = (),
    next_url: Callable[["Response", Any], str | None] | None = None,
) -> Iterator[Any]:
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


def expect_ok(response: "Response", what: str) -> None:
    """Anything but a 200 with a body is a failure of that part."""
    if response.status != 200:
        raise FetchError(f"{what}: HTTP {response.status}", reason=f"http_{response.status}")
    if not response.body:
        raise UpstreamDataError(f"{what}: empty body", reason="invalid_json")


def dedupe(names: Iterable[str | None]) -> tuple[str, ...]:
    """Keep the first occurrence of each name, in order."""
    return tuple(dict.fromkeys(n for n in names if n))


def contributor_names(pages: Iterable[Any], *, key: str, what: str) -> tuple[str, ...]:
    """The names under `key` of every contributor on these pages (a list each), deduplicated;
    an empty page ends the list."""
    names: list[str | None] = []
    for page in pages:
        require(isinstance(page, list), f"{what}: not a list")
        for person in page:
            require(isinstance(person, dict), f"{what}: entry is not an object")
            name = person.get(key)
            require(name is None or isinstance(name, str), f"{what}: bad {key}")
            names.append(name)
        if not page:
            break
    return dedupe(names)


# A commit as the window walk sees it: when, and who wrote it (None when unknown).
CommitEntry = tuple[datetime, str | None]


def accepted_repo_url(candidate: object, ref: RepoRef) -> str:
    """A renamed repository's new URL, as the API would store it: the API's own safety rules
    (public host name, no credentials, IP literal or odd port) and normalization, and still a
    repository on the forge that was asked. IdentifierError says why it is refused."""
    if not isinstance(candidate, str) or not candidate.strip():
        raise IdentifierError("the forge named no URL")
    url = normalize_repo_url(validate_public_url(candidate))
    moved = parse_repo_url(url)
    if moved is None or moved.host != ref.host:
        raise IdentifierError(f"{url} is not a repository on {ref.host}")
    return url


class ForgeClient:
    """The shared half of every forge client (see the module docstring).

    Subclasses set `kind`, `default_label` and `repository` (what the API calls a repository,
    for messages) and may add request headers for a token with `auth_headers`.
    """

    kind: str
    default_label: ClassVar[str]
    repository: ClassVar[str] = "repository"

    def __init__(
        self,
        http: "HttpClient",
        *,
        api_url: str,
        label: str | None = None,
        token: str = "",
        max_pages: int = 20,
    ) -> None:
        self.http = http
        self.api_url = api_url.rstrip("/")
        self.label = label or self.default_label
        self.max_pages = max_pages
        self.headers = self.auth_headers(token)

    def auth_headers(self, token: str) -> dict[str, str]:
        """Headers sent with every request; `token` may be ""."""
        return {}

    def fetch(
        self, ref: RepoRef, *, validators: "Validators | None" = None, now: datetime | None = None
    ) -> RepoStats:
        """See Forge.fetch."""
        raise NotImplementedError

    def _get(
        self, url: str, validators: "Validators | None", params: dict[str, Any] | None = None
    ) -> "Response":
        return self.http.get(url, params=params, headers=self.headers, validators=validators)

    def _open_repository(
        self, url: str, ref: RepoRef, validators: "Validators | None"
    ) -> tuple[dict[str, Any], "Response"]:
        """The repository's JSON object; NotFoundError when the forge says it does not exist."""
        response = self._get(url, validators)
        if response.status == 404:
            raise NotFoundError(f"{self.label}: {ref.path} not found")
        what = f"{self.kind} {self.repository}"
        expect_ok(response, what)
        document = response.json()
        require(isinstance(document, dict), f"{what}: not an object")
        return document, response

    def _new_url_fields(
        self, response: "Response", candidate: object, ref: RepoRef, parts: Parts
    ) -> dict[str, str]:
        """{"repo_url": ...} after a redirect to a new name whose URL passes the API's rules;
        else nothing (the stored URL is kept) and a note saying why."""
        if not response.redirected:
            return {}
        try:
            return {"repo_url": accepted_repo_url(candidate, ref)}
        except IdentifierError as exc:
            note = f"repo_url kept: the new name's URL was refused ({exc})"
            parts.notes.append(note)
            logger.info("%s %s: %s", self.label, ref.path, note)  # shown by fetch_stats -v
            return {}

    def _walk_commit_window(
        self,
        first: "Response",
        validators: "Validators | None",
        since: datetime,
        read_page: Callable[[Any], list[CommitEntry]],
        *,
        empty_statuses: tuple[int, ...] = (),
        next_url: Callable[["Response", Any], str | None] | None = None,
    ) -> tuple[list[datetime], list[str | None]]:
        """Commit dates and authors, newest first, page by page until a page reaches past
        `since` (that page is read whole), the list ends, or `max_pages` were read."""
        dates: list[datetime] = []
        authors: list[str | None] = []
        pages = follow_pages(
            first,
            lambda url: self._get(url, validators),
            forge=self.kind,
            part="commits",
            max_pages=self.max_pages,
            empty_statuses=empty_statuses,
            next_url=next_url,
        )
        for page in pages:
            entries = read_page(page)
            dates += [moment for moment, _author in entries]
            authors += [author for _moment, author in entries]
            if not entries or min(moment for moment, _author in entries) < since:
                break
        return dates, authors
