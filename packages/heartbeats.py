"""Signs of life of background work: the heartbeat each task worker process writes (read by
`manage.py worker_health`) and the one a running refresh keeps on its PackageFetchState rows
(read by `packages.tasks.recover_lost_refreshes`).

Each beats from a daemon thread of its own, with its own database connection, every
TASK_HEARTBEAT_SECONDS; what has not beaten for TASK_LOST_AFTER_SECONDS is dead (killed with
SIGKILL, out of memory, its machine gone), whatever the task backend.
"""

import logging
import os
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

from packages.models import WorkerHeartbeat

logger = logging.getLogger(__name__)


def heartbeat_seconds() -> float:
    return max(1, settings.TASK_HEARTBEAT_SECONDS)


def lost_after() -> timedelta:
    """Silence after which a worker or a running refresh counts as dead."""
    return timedelta(seconds=max(settings.TASK_LOST_AFTER_SECONDS, 2 * heartbeat_seconds()))


@contextmanager
def beating(beat: Callable[[], None], *, name: str, at_once: bool = False) -> Iterator[None]:
    """Call `beat` every TASK_HEARTBEAT_SECONDS (and at once if `at_once`) from a daemon thread
    while the block runs. A beat that fails (database down) is logged and tried again."""
    if _in_memory_database():
        if at_once:
            beat()
        yield
        return
    stop = threading.Event()
    every = heartbeat_seconds()

    def loop() -> None:
        try:
            if not at_once and stop.wait(every):
                return
            while True:
                try:
                    beat()
                except Exception:
                    logger.warning("%s: heartbeat failed", name, exc_info=True)
                if stop.wait(every):
                    return
        finally:
            connections.close_all()  # this thread's own connections

    thread = threading.Thread(target=loop, name=name, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(every + 5)


def _in_memory_database() -> bool:
    """An in-memory SQLite database (the tests') lives in this one process: no other process
    reads a heartbeat, and threads sharing it cannot wait for each other's locks."""
    is_in_memory = getattr(connection, "is_in_memory_db", None)
    return connection.vendor == "sqlite" and callable(is_in_memory) and bool(is_in_memory())


@contextmanager
def worker_heartbeat(
    worker_id: str, *, backend: str, also: Callable[[], object] | None = None
) -> Iterator[None]:
    """Keep this worker process's WorkerHeartbeat row fresh while the block runs (and call
    `also` after each beat); the row is deleted when the worker stops."""
    hostname, pid, started = socket.gethostname(), os.getpid(), timezone.now()

    def beat() -> None:
        row = {"hostname": hostname[:255], "pid": pid, "backend": backend}
        WorkerHeartbeat.objects.update_or_create(
            worker_id=worker_id[:64],
            defaults={**row, "beat_at": timezone.now()},
            create_defaults={**row, "beat_at": timezone.now(), "started_at": started},
        )
        if also is not None:
            also()

    try:
        with beating(beat, name=f"worker-heartbeat-{worker_id[:8]}", at_once=True):
            yield
    finally:
        try:
            WorkerHeartbeat.objects.filter(worker_id=worker_id[:64], pid=pid).delete()
        except Exception:
            logger.warning("could not remove the heartbeat of worker %s", worker_id, exc_info=True)


def live_worker_ids(now: datetime | None = None) -> set[str]:
    """The workers that have beaten recently."""
    cutoff = (now or timezone.now()) - lost_after()
    return set(
        WorkerHeartbeat.objects.filter(beat_at__gte=cutoff).values_list("worker_id", flat=True)
    )


def forget_dead_workers(now: datetime | None = None) -> int:
    """Drop the rows of workers silent for a day (a restarted container has a new one)."""
    cutoff = (now or timezone.now()) - timedelta(days=1)
    deleted, _ = WorkerHeartbeat.objects.filter(beat_at__lt=cutoff).delete()
    return deleted


def worker_health(*, hostname: str, now: datetime | None = None) -> tuple[bool, str]:
    """Whether a task worker on `hostname` beat within TASK_LOST_AFTER_SECONDS, in one line."""
    now = now or timezone.now()
    limit = lost_after()
    latest = WorkerHeartbeat.objects.filter(hostname=hostname).order_by("-beat_at").first()
    if latest is None:
        return False, f"unhealthy: no task worker on {hostname} has written a heartbeat"
    age = max(0, round((now - latest.beat_at).total_seconds()))
    if now - latest.beat_at > limit:
        return False, (
            f"unhealthy: no task worker on {hostname} has beaten in the last "
            f"{round(limit.total_seconds())}s (last: pid {latest.pid}, {age}s ago)"
        )
    return True, f"healthy: task worker pid {latest.pid} on {hostname} beat {age}s ago"
