"""The one write path for fetched data: apply a FetchResult to a Package in one short transaction.

The write re-reads the package under its row lock (the fetch itself held none) and writes only
the fetcher's own columns whose value changed (never a whole row); a column someone changed
while the fetch was in flight keeps their value, so a curator's edit survives. A failed source
keeps its old values; PyPI releases are upserted into Version; `last_fetched` moves only when
every source of the package was fetched without error. A fetch whose repository or PyPI name
was edited meanwhile is dropped (the new identifiers are fetched next), and `documentation_url`
is filled only while it is still empty. The HTTP validators gathered during the fetch are saved
in the same transaction, with the package's fetch state (its failure streak, last error and
lease: packages.fetch.models.PackageFetchState), so a run killed at any point leaves a package
fully updated or untouched. Text an upstream sends is stored without control characters
(`common.text`), so one hostile description cannot reach an output.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from common.text import strip_control_characters
from packages.fetch.forges.base import FetchError, RepoStats
from packages.fetch.models import PackageFetchState
from packages.fetch.pypi import PyPIProject, PyPIRelease
from packages.fetch.state import save_states, source_results
from packages.fetch.validators import StoredValidators
from packages.figures import answered_figures, is_sample, with_fetched
from packages.models import Package, Version
from packages.readiness import declared, sync_declared
from packages.scoring import compute_score

MAX_COUNT = 2_147_483_647
ERROR_TEXT_MAX = 2000
# Package columns a fetch writes that are its own state, not the package's stats: writing only
# these leaves the outcome "unchanged" and `modified` where it was.
BOOKKEEPING = frozenset({"last_fetched", "pypi_downloads_at", "score", "figure_sources"})


@dataclass
class FetchResult:
    """What one package's fetch produced; None for a source that was not fetched or failed."""

    repo: RepoStats | None = None
    repo_missing: bool = False
    project: PyPIProject | None = None
    errors: list[FetchError] = field(default_factory=list)  # each message names its source
    notes: list[str] = field(default_factory=list)
    complete: bool = True  # every source of the package was attempted
    downloads: int | None = None  # last month's, from pypistats (None: keep the stored count)
    downloads_error: FetchError | None = None  # why pypistats gave no count (downloads pass)
    downloads_only: bool = False  # `fetch_stats --source downloads`: nothing else was asked
    # Each source asked (packages.fetch.models.Source) -> its error, or None when it answered.
    attempted: dict[str, FetchError | None] = field(default_factory=dict)


@dataclass
class Outcome:
    """What happened to one package; `is_missing` / `is_archived` describe its stored state."""

    status: str  # fetched | unchanged | failed | skipped
    changed: list[str]
    reason: str = ""
    error: str = ""
    notes: list[str] = field(default_factory=list)
    is_missing: bool = False
    is_archived: bool = False
    is_claimed: bool = True  # false: left before it was claimed (another run had it)


SKIPPED = Outcome("skipped", [])
UNCLAIMED = Outcome("skipped", [], is_claimed=False)


def record_fetch(
    package: Package,
    result: FetchResult,
    *,
    now: datetime | None = None,
    validators: StoredValidators | None = None,
    dry_run: bool = False,
) -> Outcome:
    """Apply `result` to the package in one short transaction (changed fields only) and say
    what happened.

    `package` is the row as it was when its fetch began; the write re-reads it under its row
    lock (waiting at most the database's lock timeout) and leaves every column someone changed
    since then as they set it, so a curator's edit made during the fetch is kept. `package`
    gets the values written, its `fetch_state` too.
    """
    now = now or timezone.now()
    notes = list(result.notes)
    changes = _fetched_changes(package, result, now, notes)
    error = ""
    if result.errors:
        error = "; ".join(str(e) for e in result.errors)[:ERROR_TEXT_MAX]
        status, reason = "failed", result.errors[0].reason
    elif result.downloads_error is not None:
        error, status, reason = str(result.downloads_error), "failed", result.downloads_error.reason
    else:
        status, reason = "fetched", ""
    changes.update(_bookkeeping(result, now))

    if dry_run:
        versions = _version_changes(package, result.project.releases) if result.project else []
        changed = _stats(changes) + (["versions"] if any(versions) else [])
        return _outcome(package, changes, changed, status, reason, error, notes)

    project = result.project
    found = declared(project.classifiers, project.requires_python) if project else None
    with transaction.atomic():
        current = (
            Package.objects.select_for_update(of=("self",))
            .select_related("fetch_state")
            .filter(pk=package.pk)
            .first()
        )
        if current is None or (current.repo_url, current.pypi_url) != (
            package.repo_url,
            package.pypi_url,
        ):
            return Outcome("skipped", [], notes=["edited or deleted during the fetch: left as is"])
        # A column changed since the fetch began was set by someone else meanwhile: theirs wins.
        changes = {
            name: value
            for name, value in changes.items()
            if getattr(current, name) == getattr(package, name)
        }
        for name, value in changes.items():
            setattr(current, name, value)
        state = _save_fetch_state(current, result, now, error)
        # The demo's generated releases go as soon as PyPI has answered for the package.
        samples_gone = bool(result.project) and bool(
            Version.objects.filter(package=current, is_sample=True).delete()[0]
        )
        new_versions, changed_versions = (
            _version_changes(current, result.project.releases) if result.project else ([], [])
        )
        if new_versions:
            Version.objects.bulk_create(new_versions)
        if changed_versions:
            Version.objects.bulk_update(
                changed_versions,
                ["upload_time", "is_yanked", "is_prerelease", "requires_python"],
            )
        versions_changed = bool(new_versions or changed_versions or samples_gone)
        changed = _stats(changes) + (["versions"] if versions_changed else [])
        if project and found:
            release = project.metadata_version or project.version or ""
            if sync_declared(current.pk, found, release):
                changed.append("readiness")
        figures = answered_figures(
            result.repo, result.repo_missing, result.project is not None, result.downloads
        )
        sources = with_fetched(current.figure_sources or {}, figures, now)
        if figures and sources != current.figure_sources:
            current.figure_sources = changes["figure_sources"] = sources
        score = refresh_score(current, now)
        if score != current.score:
            current.score = changes["score"] = score
        if changes:
            # `modified` moves only when the stats themselves changed, not for bookkeeping.
            current.save(update_fields=list(changes), touch=bool(changed))
        if validators is not None:
            validators.save(now)
        if result.attempted:
            save_states(
                current.pk,
                source_results(result.attempted, changed),
                failures=state.failures,
                now=now,
            )
    for name in changes:
        setattr(package, name, getattr(current, name))
    package.fetch_state = state
    return _outcome(current, changes, changed, status, reason, error, notes)


def _fetched_changes(
    package: Package, result: FetchResult, now: datetime, notes: list[str]
) -> dict[str, Any]:
    """The stats `result` changes against the row as its fetch began."""
    changes: dict[str, Any] = {}
    if result.repo_missing:
        if package.repo_missing_at is None:
            changes["repo_missing_at"] = now
    elif result.repo is not None:
        changes.update(_repo_changes(package, result.repo, now, notes))
    if result.project is not None:
        changes.update(_pypi_changes(package, result.project))
    if result.downloads is not None and result.downloads != package.pypi_downloads:
        changes["pypi_downloads"] = result.downloads
    return changes


def _bookkeeping(result: FetchResult, now: datetime) -> dict[str, Any]:
    """The package's own columns a fetch moves: when downloads were counted, and
    `last_fetched` once every source of the package answered."""
    changes: dict[str, Any] = {}
    if result.downloads is not None:
        changes["pypi_downloads_at"] = now
    if not result.downloads_only and not result.errors and result.complete:
        changes["last_fetched"] = now
    return changes


def _save_fetch_state(
    package: Package, result: FetchResult, now: datetime, error: str
) -> PackageFetchState:
    """Move the failure streak and give back the lease (the repository and PyPI part's own
    state: a downloads-only fetch leaves it alone); `package` came with its `fetch_state`
    (or has none yet), which this call sets."""
    state = getattr(package, "fetch_state", None)
    exists = state is not None
    state = state or PackageFetchState(package_id=package.pk)
    changed: list[str] = []

    def put(name: str, value: Any) -> None:
        if getattr(state, name) != value:
            setattr(state, name, value)
            changed.append(name)

    if not result.downloads_only:
        if result.errors:
            put("error", error)
            put("error_at", now)
            put("failures", state.failures + 1)
            put("failing_since", state.failing_since or now)
        else:
            put("failures", 0)
            put("error", "")
            put("failing_since", None)
        put("lease_until", None)
    if exists and changed:
        state.save(update_fields=changed)
    elif changed:  # the first failure of a package no refresh or lease has touched yet
        fields = {name: getattr(state, name) for name in changed}
        state, _ = PackageFetchState.objects.update_or_create(
            package_id=package.pk, defaults=fields
        )
    package.fetch_state = state
    return state


def _stats(changes: dict[str, Any]) -> list[str]:
    """The changed columns that are stats (not bookkeeping), sorted."""
    return sorted(name for name in changes if name not in BOOKKEEPING)


def _outcome(
    package: Package,
    changes: dict[str, Any],
    changed: list[str],
    status: str,
    reason: str,
    error: str,
    notes: list[str],
) -> Outcome:
    if status == "fetched" and not changed:
        status = "unchanged"
    missing = changes.get("repo_missing_at", package.repo_missing_at) is not None
    archived = changes.get("repo_archived_at", package.repo_archived_at) is not None
    return Outcome(status, changed, reason, error, notes, missing, archived)


def refresh_score(package: Package, now: datetime) -> int:
    """The package's new 0-100 score, from the stats just applied (see packages.scoring)."""
    return compute_score(package, now=now).total


def _repo_changes(
    package: Package, repo: RepoStats, now: datetime, notes: list[str]
) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    description = strip_control_characters(repo.description or "").strip()
    if description and description != package.repo_description:
        changes["repo_description"] = description
    for name, value in (("repo_watchers", repo.watchers), ("repo_forks", repo.forks)):
        if value is not None and min(value, MAX_COUNT) != getattr(package, name):
            changes[name] = min(value, MAX_COUNT)
    if repo.is_archived is True and package.repo_archived_at is None:
        changes["repo_archived_at"] = now
    elif repo.is_archived is False and package.repo_archived_at is not None:
        changes["repo_archived_at"] = None
    if repo.participants is not None and list(repo.participants) != package.participants:
        changes["participants"] = list(repo.participants)
    if repo.commits_over_52 is not None and list(repo.commits_over_52) != package.commits_over_52:
        changes["commits_over_52"] = list(repo.commits_over_52)
    if repo.last_updated is not None and repo.last_updated != package.last_updated:
        changes["last_updated"] = repo.last_updated
    if package.repo_missing_at is not None:
        changes["repo_missing_at"] = None
    if repo.repo_url and repo.repo_url != package.repo_url:
        taken = Package.objects.with_repository(repo.repo_url).exclude(pk=package.pk).exists()
        if taken:
            notes.append(f"renamed to {repo.repo_url}, which another package already has")
        else:
            changes["repo_url"] = repo.repo_url
    return changes


def _pypi_changes(package: Package, project: PyPIProject) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    wanted: dict[str, Any] = {
        "pypi_license": project.license,
        "pypi_requires_python": project.requires_python,
        "pypi_development_status": project.development_status,
        "pypi_classifiers": list(project.classifiers),
    }
    if project.version is not None:
        wanted["pypi_version"] = project.version
    elif is_sample(package.figure_sources or {}, "releases"):
        wanted["pypi_version"] = None  # no sample version outlives PyPI's answer
    if project.supports_python3 is not None:
        wanted["supports_python3"] = project.supports_python3
    if not package.documentation_url and project.documentation_url:
        wanted["documentation_url"] = project.documentation_url
    for name, value in _without_controls(wanted).items():
        if getattr(package, name) != value:
            changes[name] = value
    return changes


def _version_changes(
    package: Package, releases: tuple[PyPIRelease, ...]
) -> tuple[list[Version], list[Version]]:
    if package.pk is None:
        return [], []
    existing = {v.number: v for v in Version.objects.filter(package=package)}
    new: list[Version] = []
    changed: list[Version] = []
    seen: set[str] = set()
    for release in releases:
        values = {
            "upload_time": release.upload_time,
            "is_yanked": release.is_yanked,
            "is_prerelease": release.is_prerelease,
            "requires_python": strip_control_characters(release.requires_python),
        }
        number = strip_control_characters(release.number)
        if number in seen:  # "1.0" and "1.0\x01" are one release once cleaned
            continue
        seen.add(number)
        row = existing.get(number)
        if row is None:
            new.append(Version(package=package, number=number, **values))
        elif any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            changed.append(row)
    return new, changed


def _without_controls(values: dict[str, Any]) -> dict[str, Any]:
    """Upstream strings (alone or in a list) without control characters."""
    return {
        name: strip_control_characters(value)
        if isinstance(value, str)
        else [strip_control_characters(v) if isinstance(v, str) else v for v in value]
        if isinstance(value, list)
        else value
        for name, value in values.items()
    }
