"""WorkerHeartbeat: the task worker processes that are alive (a package's refresh queue state is
its PackageFetchState, packages.fetch.models)."""

from django.db import models
from django.utils import timezone


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
