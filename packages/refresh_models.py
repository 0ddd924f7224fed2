"""The background refresh's bookkeeping: PackageRefresh (one row per package: queued, running,
how the last one ended) and WorkerHeartbeat (task worker processes that are alive)."""

from django.db import models
from django.utils import timezone
from django.utils.timesince import timesince


class PackageRefresh(models.Model):
    """The background refresh of one package: whether one is queued or running, and how the last
    one ended. One row per package, written by `packages.tasks` (enqueue and the task itself)."""

    class State(models.TextChoices):
        IDLE = "idle", "idle"
        QUEUED = "queued", "queued"
        RUNNING = "running", "running"

    package = models.OneToOneField(
        "packages.Package", on_delete=models.CASCADE, primary_key=True, related_name="refresh"
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
        max_length=20, blank=True, help_text="fetched, unchanged, missing, failed or skipped."
    )
    outcome_reason = models.CharField(max_length=100, blank=True)
    outcome_error = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["state"], name="package_refresh_state_idx")]

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


class WorkerHeartbeat(models.Model):
    """A task worker process (`db_worker`, `rqworker`) that is alive: its heartbeat thread keeps
    `beat_at` fresh (packages.heartbeats); `manage.py worker_health` reads it."""

    worker_id = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    backend = models.CharField(max_length=20, help_text="database or rq")
    started_at = models.DateTimeField(default=timezone.now)
    beat_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["hostname", "beat_at"], name="worker_heartbeat_host_idx")]

    def __str__(self) -> str:
        return f"{self.worker_id} ({self.hostname}, pid {self.pid})"
