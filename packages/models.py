"""Package and Version models, plus the stored HTTP validators the stats fetcher replays."""

from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from categories.models import Category
from common.models import SignalledQuerySet, TimeStampedModel, person_field
from common.text import multi_line, single_line
from packages.identifiers import (
    IdentifierError,
    normalize_pypi_name,
    normalize_repo_url,
    repo_identity,
    validate_public_url,
)
from packages.repositories import WEEKS


def empty_commits() -> list[int]:
    return [0] * WEEKS


def validate_commits_over_52(value: object) -> None:
    """52 non-negative ints, oldest week first."""
    if (
        not isinstance(value, list)
        or len(value) != WEEKS
        or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in value)
    ):
        raise ValidationError("commits_over_52 must be a list of 52 non-negative integers.")


def validate_participants(value: object) -> None:
    if not isinstance(value, list) or not all(isinstance(login, str) for login in value):
        raise ValidationError("participants must be a list of contributor logins.")


def normalized_identifiers(
    repo_url: str, documentation_url: str, pypi_url: str
) -> tuple[str, str, str, str]:
    """`(repo_url, repo_key, documentation_url, pypi_url)` as a package stores them; raises
    ValidationError naming the first field that cannot be normalized (`Package.clean_identifiers`,
    and the importer's rows)."""
    try:
        repo_url = normalize_repo_url(validate_public_url(repo_url))
    except IdentifierError as exc:
        raise ValidationError({"repo_url": str(exc)}) from None
    repo_key = repo_identity(repo_url)
    try:
        documentation_url = validate_public_url(documentation_url)
    except IdentifierError as exc:
        raise ValidationError({"documentation_url": str(exc)}) from None
    try:
        pypi_url = normalize_pypi_name(pypi_url)
    except IdentifierError as exc:
        raise ValidationError({"pypi_url": str(exc)}) from None
    return repo_url, repo_key, documentation_url, pypi_url


class PackageQuerySet(SignalledQuerySet["Package"]):
    def stalest_first(self) -> "PackageQuerySet":
        """Never-fetched packages first, then the oldest fetch."""
        return self.order_by(models.F("last_fetched").asc(nulls_first=True), "id")

    def with_usage_count(self) -> "PackageQuerySet":
        """Annotate `usage_count`: how many users mark each package as used (a subquery, so
        it adds no GROUP BY and no row per mark)."""
        marks = (
            Usage.objects.filter(package=models.OuterRef("pk"))
            .order_by()
            .values("package")
            .annotate(count=models.Count("id"))
            .values("count")
        )
        return self.annotate(
            usage_count=Coalesce(models.Subquery(marks), 0, output_field=models.IntegerField())
        )

    def with_repository(self, url: str) -> "PackageQuerySet":
        """Packages of the repository `url` names, however it is spelled (`repo_identity`)."""
        key = repo_identity(url)
        return self.filter(repo_key=key) if key else self.none()

    def declaring(
        self, *, python: str | None = None, django: str | None = None
    ) -> "PackageQuerySet":
        queryset, rows = self, DeclaredVersion.objects.filter(package=models.OuterRef("pk"))
        for kind, version in (("python", python), ("django", django)):
            if version:  # an indexed lookup per version asked (packages.readiness)
                queryset = queryset.filter(models.Exists(rows.filter(kind=kind, version=version)))
        return queryset

    def stale(self, older_than: datetime) -> "PackageQuerySet":
        return self.filter(Q(last_fetched__isnull=True) | Q(last_fetched__lt=older_than))


class Package(TimeStampedModel):
    title = models.CharField(max_length=100, validators=[single_line])
    slug = models.SlugField(max_length=100, unique=True)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="packages")

    repo_url = models.URLField(max_length=255, blank=True, help_text="Normalized on save.")
    repo_key = models.CharField(
        max_length=255,
        blank=True,
        editable=False,
        help_text="The repository's identity (`repo_identity`): one package per repository.",
    )
    repo_description = models.TextField(blank=True, validators=[multi_line])
    repo_watchers = models.PositiveIntegerField(default=0, help_text="Stars.")
    repo_forks = models.PositiveIntegerField(default=0)
    participants = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_participants],
        help_text="Contributor logins in the forge's order.",
    )
    commits_over_52 = models.JSONField(
        default=empty_commits,
        validators=[validate_commits_over_52],
        help_text="Weekly commit counts, oldest week first; the last is the current week.",
    )
    last_updated = models.DateTimeField(null=True, blank=True, help_text="Newest commit.")
    repo_archived_at = models.DateTimeField(null=True, blank=True)
    repo_missing_at = models.DateTimeField(
        null=True, blank=True, help_text="When the forge last answered that the repo is gone."
    )

    pypi_url = models.CharField(
        max_length=255, blank=True, help_text="PyPI project name (a project URL is accepted)."
    )
    # null, not "": the seed's JSON says `"pypi_version": null` for a package not on PyPI.
    pypi_version = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001
    pypi_license = models.CharField(max_length=255, blank=True)
    pypi_requires_python = models.CharField(max_length=100, blank=True)
    pypi_development_status = models.CharField(max_length=100, blank=True)
    pypi_classifiers = models.JSONField(default=list, blank=True)
    supports_python3 = models.BooleanField(null=True, blank=True)
    documentation_url = models.URLField(max_length=255, blank=True)
    pypi_downloads = models.PositiveIntegerField(
        default=0, help_text="Downloads from PyPI in the last month (pypistats.org)."
    )
    pypi_downloads_at = models.DateTimeField(
        null=True, blank=True, help_text="When pypistats.org last answered for this package."
    )
    pypi_downloads_checked_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When pypistats.org was last asked (answered or not): due again a day later.",
    )

    deprecated_at = models.DateTimeField(null=True, blank=True)
    replacement = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="replaces",
        help_text="The package to use instead of this deprecated one.",
    )
    score = models.PositiveSmallIntegerField(default=0, help_text="0-100, computed from stats.")
    # Nullable, no default: SQLite then adds the column without rebuilding the table (which
    # would drop its search triggers, see migration 0011).
    figure_sources = models.JSONField(
        null=True,
        blank=True,
        editable=False,
        help_text="Per figure: sample (generated for the demo) or fetched, and when "
        "(packages.figures); null: none known.",
    )

    last_fetched = models.DateTimeField(null=True, blank=True)

    created_by = person_field()
    last_modified_by = person_field()

    objects = PackageQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(
                fields=["repo_url"], condition=~Q(repo_url=""), name="package_repo_url_unique"
            ),
            models.UniqueConstraint(
                fields=["repo_key"], condition=~Q(repo_key=""), name="package_repo_key_unique"
            ),
            models.CheckConstraint(condition=Q(score__lte=100), name="package_score_0_100"),
            models.CheckConstraint(
                condition=~Q(replacement=models.F("id")), name="package_not_own_replacement"
            ),
        ]
        indexes = [
            models.Index(fields=["last_fetched"], name="package_last_fetched_idx"),
            models.Index(fields=["repo_watchers"], name="package_repo_watchers_idx"),
            models.Index(fields=["last_updated"], name="package_last_updated_idx"),
            models.Index(fields=["score"], name="package_score_idx"),
            models.Index(fields=["modified"], name="package_modified_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_archived(self) -> bool:
        return self.repo_archived_at is not None

    @property
    def is_deprecated(self) -> bool:
        return self.deprecated_at is not None

    def clean(self) -> None:
        super().clean()
        self.clean_identifiers()
        same_repo = self.sharing_repository()
        if same_repo is not None:
            raise ValidationError(
                {"repo_url": f"Package {same_repo.slug!r} already has this repository."}
            )

    def clean_identifiers(self) -> None:
        """Normalize and check the URLs and the PyPI name, without a query (`clean()` also
        refuses a repository another package has; bulk importers check that themselves)."""
        identifiers = normalized_identifiers(self.repo_url, self.documentation_url, self.pypi_url)
        self.repo_url, self.repo_key, self.documentation_url, self.pypi_url = identifiers
        if self.replacement_id and self.replacement_id == self.pk:
            raise ValidationError({"replacement": "A package cannot replace itself."})

    def sharing_repository(self) -> "Package | None":
        """Another package with this one's repository (by `repo_identity`), or None."""
        others = Package.objects.with_repository(self.repo_url).exclude(pk=self.pk)
        return others.only("slug").first()

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Normalizing here as well as in clean() keeps one spelling per repo whoever writes.
        self.repo_url = normalize_repo_url(self.repo_url)
        self.repo_key = repo_identity(self.repo_url)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "repo_url" in update_fields:
            kwargs["update_fields"] = [*update_fields, "repo_key"]
        validate_commits_over_52(self.commits_over_52)
        validate_participants(self.participants)
        super().save(*args, **kwargs)


class Usage(models.Model):
    """A signed-in user uses this package (djangopackages.org's "I use this")."""

    package = models.ForeignKey(Package, on_delete=models.CASCADE, related_name="usages")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="package_usages"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["package", "user"], name="usage_one_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} uses {self.package}"


class Version(models.Model):
    """One PyPI release of a package, as the fetcher last saw it."""

    package = models.ForeignKey(Package, on_delete=models.CASCADE, related_name="versions")
    number = models.CharField(max_length=100)
    upload_time = models.DateTimeField(null=True, blank=True)
    is_yanked = models.BooleanField(default=False)
    is_prerelease = models.BooleanField(default=False)
    requires_python = models.CharField(max_length=100, blank=True)
    is_sample = models.BooleanField(
        default=False, help_text="Generated for the demo; the first PyPI fetch deletes it."
    )

    class Meta:
        ordering = [models.F("upload_time").desc(nulls_last=True), "-id"]
        constraints = [
            models.UniqueConstraint(fields=["package", "number"], name="version_unique_per_package")
        ]

    def __str__(self) -> str:
        return f"{self.package_id} {self.number}"


class DeclaredVersion(models.Model):
    """A Python or Django version a package's latest release declares (packages.readiness)."""

    package = models.ForeignKey(Package, on_delete=models.CASCADE, related_name="declared")
    kind = models.CharField(max_length=6)  # python or django
    version = models.CharField(max_length=10)  # "3.12", "5.2"
    release = models.CharField(max_length=100, blank=True)
    source = models.CharField(max_length=20)  # classifiers or requires_python

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["package", "kind", "version"], name="declared_once")
        ]
        indexes = [models.Index(fields=["kind", "version", "package"], name="declared_idx")]

    def __str__(self) -> str:
        return f"{self.package_id} {self.kind} {self.version}"


class HttpValidator(models.Model):
    """The ETag / Last-Modified and body of the last 200 for one upstream URL.

    The fetcher sends them back as If-None-Match / If-Modified-Since; a 304 reuses `body`.
    """

    url = models.CharField(max_length=1000, unique=True)
    etag = models.CharField(max_length=255, blank=True)
    last_modified = models.CharField(max_length=64, blank=True)
    body = models.TextField(blank=True)
    stored_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.url


# The task workers' heartbeats live in packages/refresh_models.py; imported here so that
# Django registers them with this app.
from packages.refresh_models import WorkerHeartbeat  # noqa: E402

__all__ = [
    "DeclaredVersion",
    "HttpValidator",
    "Package",
    "PackageQuerySet",
    "Usage",
    "Version",
    "WorkerHeartbeat",
]
