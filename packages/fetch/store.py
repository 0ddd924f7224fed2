"""The one write path for fetched data: apply a FetchResult to a Package in one transaction.

Only fields whose value changed are written; a failed source keeps its old values; PyPI releases
are upserted into Version; `last_fetched` moves only when every source of the package was
fetched without error. The HTTP validators gathered during the fetch are saved in the same
transaction, so a run killed at any point leaves a package fully updated or untouched.
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from packages.models import HttpValidator, Package, Version
from packages.scoring import compute_score

MAX_COUNT = 2_147_483_647
ERROR_TEXT_MAX = 2000


@dataclass
class FetchResult:
    """What one package's fetch produced; None for a source that was not fetched or failed."""

    repo: object = None  # RepoStats
    repo_missing: bool = False
    project: object = None  # PyPIProject
    errors: list = field(default_factory=list)  # FetchErrors, each message naming its source
    notes: list = field(default_factory=list)
    complete: bool = True  # every source of the package was attempted


@dataclass
class Outcome:
    status: str  # fetched | unchanged | missing | failed
    changed: list
    reason: str = ""
    error: str = ""
    notes: list = field(default_factory=list)


@dataclass(frozen=True)
class StoredValidator:
    etag: str
    last_modified: str
    body: bytes


class StoredValidators:
    """ETag / Last-Modified and body per URL for one package's fetch, backed by HttpValidator.

    Reads hit the table; new validators wait in memory until `record_fetch` saves them with the
    package, so a failed or interrupted fetch stores nothing.
    """

    def __init__(self):
        self.pending = {}

    def lookup(self, url):
        if url in self.pending:
            return self.pending[url]
        row = (
            HttpValidator.objects.filter(url=url)
            .values_list("etag", "last_modified", "body")
            .first()
        )
        if row is None:
            return None
        return StoredValidator(row[0], row[1], row[2].encode("utf-8"))

    def remember(self, url, etag, last_modified, body):
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return
        if "\x00" in text or len(url) > 1000 or len(etag) > 255 or len(last_modified) > 64:
            return
        self.pending[url] = StoredValidator(etag, last_modified, body)

    def save(self, now=None):
        if not self.pending:
            return
        now = now or timezone.now()
        HttpValidator.objects.bulk_create(
            [
                HttpValidator(
                    url=url,
                    etag=v.etag,
                    last_modified=v.last_modified,
                    body=v.body.decode("utf-8"),
                    stored_at=now,
                )
                for url, v in self.pending.items()
            ],
            update_conflicts=True,
            unique_fields=["url"],
            update_fields=["etag", "last_modified", "body", "stored_at"],
        )
        self.pending = {}


def record_fetch(package, result, *, now=None, validators=None, dry_run=False):
    """Apply `result` to `package` (one transaction, changed fields only) and say what happened."""
    now = now or timezone.now()
    changes, notes = {}, list(result.notes)
    if result.repo_missing:
        if package.repo_missing_at is None:
            changes["repo_missing_at"] = now
    elif result.repo is not None:
        changes.update(_repo_changes(package, result.repo, now, notes))
    if result.project is not None:
        changes.update(_pypi_changes(package, result.project))
    new_versions, changed_versions = (
        _version_changes(package, result.project.releases) if result.project else ([], [])
    )
    changed = sorted(changes)
    if new_versions or changed_versions:
        changed.append("versions")

    error = ""
    if result.errors:
        error = "; ".join(str(e) for e in result.errors)[:ERROR_TEXT_MAX]
        changes["fetch_error"] = error
        changes["fetch_error_at"] = now
        changes["fetch_failures"] = package.fetch_failures + 1
        status, reason = "failed", result.errors[0].reason
    else:
        if package.fetch_failures:
            changes["fetch_failures"] = 0
        if package.fetch_error:
            changes["fetch_error"] = ""
        if result.complete:
            changes["last_fetched"] = now
        status = "missing" if result.repo_missing else "fetched" if changed else "unchanged"
        reason = ""
    if package.fetch_lease_until is not None:
        changes["fetch_lease_until"] = None
    if dry_run:
        return Outcome(status, changed, reason, error, notes)

    with transaction.atomic():
        for name, value in changes.items():
            setattr(package, name, value)
        if new_versions:
            Version.objects.bulk_create(new_versions)
        if changed_versions:
            Version.objects.bulk_update(
                changed_versions,
                ["upload_time", "is_yanked", "is_prerelease", "requires_python"],
            )
        score = refresh_score(package, now)
        if score is not None and score != package.score:
            package.score = score
            changes["score"] = score
        if changes:
            # `modified` moves only when the stats themselves changed, not for bookkeeping.
            package.save(update_fields=list(changes), touch=bool(changed))
        if validators is not None:
            validators.save(now)
    return Outcome(status, changed, reason, error, notes)


def refresh_score(package, now):
    """The package's new 0-100 score, from the stats just applied (see packages.scoring)."""
    return compute_score(package, now=now).total


def _repo_changes(package, repo, now, notes):
    changes = {}
    description = (repo.description or "").strip()
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
        taken = Package.objects.filter(repo_url=repo.repo_url).exclude(pk=package.pk).exists()
        if taken:
            notes.append(f"renamed to {repo.repo_url}, which another package already has")
        else:
            changes["repo_url"] = repo.repo_url
    return changes


def _pypi_changes(package, project):
    changes = {}
    wanted = {
        "pypi_license": project.license,
        "pypi_requires_python": project.requires_python,
        "pypi_development_status": project.development_status,
        "pypi_classifiers": list(project.classifiers),
    }
    if project.version is not None:
        wanted["pypi_version"] = project.version
    if project.supports_python3 is not None:
        wanted["supports_python3"] = project.supports_python3
    if not package.documentation_url and project.documentation_url:
        wanted["documentation_url"] = project.documentation_url
    for name, value in wanted.items():
        if getattr(package, name) != value:
            changes[name] = value
    return changes


def _version_changes(package, releases):
    if package.pk is None:
        return [], []
    existing = {v.number: v for v in Version.objects.filter(package=package)}
    new, changed = [], []
    for release in releases:
        values = {
            "upload_time": release.upload_time,
            "is_yanked": release.is_yanked,
            "is_prerelease": release.is_prerelease,
            "requires_python": release.requires_python,
        }
        row = existing.get(release.number)
        if row is None:
            new.append(Version(package=package, number=release.number, **values))
        elif any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            changed.append(row)
    return new, changed
