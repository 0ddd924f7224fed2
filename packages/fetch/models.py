"""The fetcher's own state: how each source of each package was last fetched (FetchState), and
when each source's last run began and ended (SourceRun). Written only by the fetch run
(packages.fetch.state); read by the freshness, status and metrics views."""

from django.db import models


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
