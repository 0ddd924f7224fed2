"""The one home of a package's fetch state: PackageFetchState (one row per package: its failure
streak, last error, the lease of a run fetching it, and its background refresh queued, running or
finished), FetchState (how each source of it was last fetched) and SourceRun (when each source's
last run began and ended). Written by the fetch run (packages.fetch.store, .claims, .state) and
the refresh tasks (packages.tasks); read by the admin, the freshness, status and metrics views."""

from typing import TYPE_CHECKING

from django.db import models
from django.utils.timesince import timesince

if TYPE_CHECKING:
    from packages.models import Package


class Source(models.TextChoices):
    """Where a package's figures come from: its repository's forge, PyPI or pypistats."""

    GITHUB = "github"
    GITLAB = "gitlab"
    BITBUCKET = "bitbucket"
    CODEBERG = "codeberg"
    PYPI = "pypi"
    PYPISTATS = "pypistats"


class FetchOutcome(models.TextChoices):
    FETCHED = "fetched"
    UNCHANGED = "unchanged"
    FAILED = "failed"
    SKIPPED = "skipped"


class FetchState(models.Model):
    """One package's state for one source: the last attempt, the last success and when the
    next fetch is due. One row per (package, source) the package has been fetched from."""

    package = models.ForeignKey(
        "packages.Package", on_delete=models.CASCADE, related_name="fetch_states"
    )
    source = models.CharField(max_length=12, choices=Source.choices)
    fetched_at = models.DateTimeField(help_text="The last attempt that reached an outcome.")
    outcome = models.CharField(max_length=10, choices=FetchOutcome.choices)
    reason = models.CharField(max_length=40, blank=True, help_text="Why it failed or was skipped.")
    error = models.TextField(blank=True)
    succeeded_at = models.DateTimeField(
        null=True, blank=True, help_text="The last fetch that ended fetched or unchanged."
    )
    next_due = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["package", "source"], name="fetch_state_one_per_source")
        ]
        indexes = [
            models.Index(fields=["source", "succeeded_at"], name="fetch_state_fresh_idx"),
            models.Index(fields=["source", "outcome", "reason"], name="fetch_state_outcome_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.package_id} {self.source}: {self.outcome}"


class SourceRun(models.Model):
    """The last run that fetched a source: when it began and (once it did) when it ended."""

    source = models.CharField(max_length=12, choices=Source.choices, unique=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.source}: {self.started_at}"


class PackageFetchState(models.Model):
    """One package's fetch bookkeeping: its failure streak and lease (the fetch run's), and its
    background refresh (packages.tasks: queued, running, how the last one ended). Created when
    first needed: a package never fetched nor queued has none, which reads as all defaults."""

    class State(models.TextChoices):
        IDLE = "idle", "idle"
        QUEUED = "queued", "queued"
        RUNNING = "running", "running"

    package = models.OneToOneField(
        "packages.Package", on_delete=models.CASCADE, primary_key=True, related_name="fetch_state"
    )

    failures = models.PositiveIntegerField(
        default=0, help_text="Consecutive failed fetches; reset by a successful one."
    )
    failing_since = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the current streak of failed fetches began; cleared by a successful one.",
    )
    error = models.TextField(blank=True, help_text="The last failed fetch's errors.")
    error_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(
        null=True, blank=True, help_text="A running fetcher owns this package until then."
    )

    state = models.CharField(max_length=10, choices=State.choices, default=State.IDLE)
    # Names the enqueue that owns `state`: a task finishing late never clears a newer request.
    token = models.CharField(max_length=32, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    queued_by = models.CharField(max_length=20, blank=True, help_text="admin, command, webhook")
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="The running task's last sign of life (heartbeat)."
    )
    retries = models.PositiveSmallIntegerField(
        default=0, help_text="Times queued again because the worker running it died."
    )
    webhook_queued_at = models.DateTimeField(
        null=True, blank=True, help_text="The last refresh a webhook queued."
    )
    outcome = models.CharField(
        max_length=20,
        blank=True,
        help_text="How the last background refresh ended: fetched, unchanged, missing, failed "
        "or skipped.",
    )
    outcome_reason = models.CharField(max_length=100, blank=True)
    outcome_error = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["state"], name="package_fetch_state_queue_idx")]

    def __str__(self) -> str:
        return f"{self.package_id}: {self.state}"

    def describe(self) -> str:
        """One line for the admin: what is pending, and how the last refresh ended."""
        parts = []
        if self.state == self.State.QUEUED and self.queued_at:
            parts.append(f"queued {timesince(self.queued_at)} ago by {self.queued_by}")
        elif self.state == self.State.RUNNING and self.started_at:
            parts.append(f"running for {timesince(self.started_at)}")
        if self.outcome and self.finished_at:
            reason = f" ({self.outcome_reason})" if self.outcome_reason else ""
            parts.append(f"last: {self.outcome}{reason}, {timesince(self.finished_at)} ago")
        return "; ".join(parts) or "never refreshed in the background"


def fetch_state_of(package: "Package") -> PackageFetchState:
    """The package's fetch state; all defaults (unsaved) when it has none yet. No query when the
    package was read with `select_related("fetch_state")` or already asked."""
    state = getattr(package, "fetch_state", None)  # a missing row raises an AttributeError
    return state if state is not None else PackageFetchState(package_id=package.pk)
