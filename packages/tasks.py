"""Background refreshes on Django's Tasks framework: queue a package once, fetch it in a worker.

`enqueue_refresh` is what the admin action, `fetch_stats --enqueue` and the webhooks call. It
marks each package's fetch state (packages.fetch.models.PackageFetchState) queued (a package
already queued is not queued again) and enqueues `refresh_package` / `refresh_packages` tasks
of at most FETCH_TASK_BATCH_SIZE packages, so several workers share a large selection. The task
runs the fetcher's own FetchRun (its clients, claims, rate budgets and write path: two workers
never fetch one package at once) and records each package's outcome on its row; a task that
fails records its reason on every package it held, and the backend keeps the traceback (the
"Task results" admin).

A running refresh beats (packages.heartbeats). One whose worker died (SIGKILL, out of memory, a
second SIGTERM, its machine gone) is not lost: `recover_lost_refreshes`, run by every worker
after each of its own beats, records it failed, frees its package and queues it again once
(TASK_MAX_RETRIES), and fails the database backend's task row of a worker that stopped beating.

With the django-tasks backport the imports below come from `django_tasks`; on Django 6.0 they
become `django.tasks`, with no other change.
"""

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django_tasks import task, task_backends
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from packages.fetch.models import PackageFetchState
from packages.fetch.run import FetcherConfig, FetchRun, build_clients
from packages.fetch.store import Outcome
from packages.heartbeats import beating, forget_dead_workers, live_worker_ids, lost_after
from packages.models import Package

logger = logging.getLogger(__name__)

State = PackageFetchState.State
RETRY = "retry"  # `by` of a refresh queued again after its worker died
# Why a running refresh was given up: (outcome_reason, outcome_error).
WORKER_LOST = ("worker_lost", "the worker running it stopped without finishing (killed?)")
INTERRUPTED = ("interrupted", "its worker was stopped before it finished")
# A queued refresh whose task never started by then (a lost Redis queue, a deleted task row)
# no longer blocks queueing the package again.
QUEUED_EXPIRES = timedelta(hours=6)


class RefreshQueueError(Exception):
    """The task backend refused the work (Redis down, a misconfiguration); nothing is queued."""


class WorkerLostError(Exception):
    """What a database task row says when the worker running it stopped beating."""


@dataclass
class Enqueued:
    """What one call of `enqueue_refresh` did, by package id."""

    queued: list[int] = field(default_factory=list)
    already_queued: list[int] = field(default_factory=list)
    too_soon: list[int] = field(default_factory=list)
    task_ids: list[str] = field(default_factory=list)

    def message(self) -> str:
        """The admin's and the command's one-line answer."""
        count = len(self.queued)
        text = (
            f"Queued {count} package{'' if count == 1 else 's'}; a worker fetches them."
            if count
            else "Queued nothing."
        )
        if self.already_queued:
            text += f" {len(self.already_queued)} already queued."
        if self.too_soon:
            text += f" {len(self.too_soon)} refreshed too recently."
        return text


def enqueue_refresh(
    package_ids: Iterable[int],
    *,
    by: str,
    min_interval: timedelta | None = None,
    now: datetime | None = None,
) -> Enqueued:
    """Queue a background refresh of these packages, each at most once while one is pending.

    `min_interval` (webhooks) also skips packages a webhook queued less than that long ago.
    """
    now = now or timezone.now()
    result = Enqueued()
    ids = sorted(set(Package.objects.filter(pk__in=list(package_ids)).values_list("pk", flat=True)))
    if not ids:
        return result
    token = uuid.uuid4().hex
    with transaction.atomic():
        PackageFetchState.objects.bulk_create(
            [PackageFetchState(package_id=pk) for pk in ids], ignore_conflicts=True
        )
        # Row locks on PostgreSQL (SQLite's write lock is taken at BEGIN): two concurrent
        # enqueues of one package see each other, and only the first queues it.
        rows = (
            PackageFetchState.objects.select_for_update()
            .filter(package_id__in=ids)
            .values_list("package_id", "state", "queued_at", "webhook_queued_at")
        )
        stamps: dict[int, datetime | None] = {}
        for pk, state, queued_at, webhook_queued_at in rows:
            stamps[pk] = webhook_queued_at
            if state == State.QUEUED and queued_at and queued_at > now - QUEUED_EXPIRES:
                result.already_queued.append(pk)
            elif min_interval and webhook_queued_at and webhook_queued_at > now - min_interval:
                result.too_soon.append(pk)
            else:
                result.queued.append(pk)
        result.queued.sort()
        changes = {"state": State.QUEUED, "token": token, "task_id": "", "queued_at": now}
        changes.update(queued_by=by, started_at=None, heartbeat_at=None)
        changes["retries"] = F("retries") + 1 if by == RETRY else 0
        if by == "webhook":
            changes["webhook_queued_at"] = now
        PackageFetchState.objects.filter(package_id__in=result.queued).update(**changes)
    # Enqueued after the commit: a worker on another backend (RQ) must find the rows queued.
    size = max(1, settings.FETCH_TASK_BATCH_SIZE)
    try:
        for start in range(0, len(result.queued), size):
            chunk = result.queued[start : start + size]
            if len(chunk) == 1:
                task_result = refresh_package.enqueue(chunk[0], token)
            else:
                task_result = refresh_packages.enqueue(chunk, token)
            PackageFetchState.objects.filter(package_id__in=chunk, token=token).update(
                task_id=str(task_result.id)[:64]
            )
            result.task_ids.append(str(task_result.id))
    except Exception as exc:
        logger.warning("could not queue refreshes: %r", exc)
        unsent = PackageFetchState.objects.filter(token=token, state=State.QUEUED, task_id="")
        if by == "webhook":  # nothing queued, so no interval either: the forge's retry goes through
            for pk in unsent.values_list("package_id", flat=True):
                unsent.filter(package_id=pk).update(webhook_queued_at=stamps[pk])
        _finish(unsent, "failed", "enqueue", f"could not queue: {exc}", state_of=token)
        raise RefreshQueueError(f"the task queue refused the work ({exc})") from exc
    return result


@task()
def refresh_package(package_id: int, token: str) -> dict:
    """Fetch one package's stats (webhooks, a one-package selection)."""
    return run_refresh([package_id], token)


@task()
def refresh_packages(package_ids: list[int], token: str) -> dict:
    """Fetch a batch of packages with the fetcher's worker pool."""
    return run_refresh(package_ids, token)


def run_refresh(package_ids: list[int], token: str) -> dict:
    """The tasks' body: fetch the packages this enqueue still owns, record each outcome.

    While it runs, a heartbeat keeps its rows' `heartbeat_at` fresh: rows whose heartbeat stops
    (the worker killed) are recovered by `recover_lost_refreshes`.
    """
    mine = PackageFetchState.objects.filter(package_id__in=package_ids, token=token)
    now = timezone.now()
    mine.filter(state=State.QUEUED).update(state=State.RUNNING, started_at=now, heartbeat_at=now)
    running = mine.filter(state=State.RUNNING)
    held = sorted(running.values_list("package_id", flat=True))
    if not held:
        return {"selected": 0}
    outcomes: dict[int, Outcome] = {}

    def beat() -> None:
        running.update(heartbeat_at=timezone.now())

    try:
        with beating(beat, name=f"refresh-heartbeat-{token[:8]}"):
            config = FetcherConfig.from_settings()
            clients = build_clients(config)
            try:

                def on_done(package_id: int, outcome: Outcome) -> None:
                    if outcome.is_claimed:
                        outcomes[package_id] = outcome

                run = FetchRun(clients, config, explicit=True, on_done=on_done)
                summary = run.run(run.select(ids=held))
            finally:
                clients.close()
    except Exception as exc:
        _record(outcomes, token)
        unfinished = mine.filter(package_id__in=held).exclude(package_id__in=list(outcomes))
        _finish(unfinished, "failed", "task_error", f"{type(exc).__name__}: {exc}", token)
        raise
    except BaseException:  # SystemExit (db_worker's second SIGTERM), KeyboardInterrupt
        try:
            if not connection.is_usable():  # the signal landed mid-query
                connection.close()
            _record(outcomes, token)
            left = running.exclude(package_id__in=list(outcomes))
            _give_up(list(left.values_list("package_id", "token", "retries")), INTERRUPTED)
        except Exception:  # the heartbeats' recovery will find what is left
            logger.warning("could not record the interrupted refreshes", exc_info=True)
        raise
    _record(outcomes, token)
    if summary.stopped_hosts:
        # A rate limit spent beyond the wait allowed, or a host that could not be reached.
        why = "host stopped: " + "; ".join(summary.stopped_hosts.values())
    else:
        why = "another fetch held it, or it was deleted"
    unfinished = mine.filter(package_id__in=held).exclude(package_id__in=list(outcomes))
    _finish(unfinished, "skipped", "not_fetched", why, token)
    return summary.as_dict()


def _record(outcomes: dict[int, Outcome], token: str) -> None:
    for pk, outcome in outcomes.items():
        rows = PackageFetchState.objects.filter(package_id=pk)
        _finish(rows, outcome.status, outcome.reason, outcome.error, token)


def _finish(
    rows: QuerySet[PackageFetchState], outcome: str, reason: str, error: str, state_of: str
) -> None:
    """Store how a refresh ended; free the rows still owned by the enqueue `state_of`."""
    rows.update(
        outcome=outcome,
        outcome_reason=reason[:100],
        outcome_error=error[:2000],
        finished_at=timezone.now(),
    )
    rows.filter(token=state_of).exclude(state=State.IDLE).update(state=State.IDLE)


def recover_lost_refreshes(*, now: datetime | None = None) -> list[int]:
    """Give up refreshes whose task stopped beating (its worker killed, its machine gone) and
    database task rows whose worker did; returns the ids of the packages given up.

    Each such refresh is recorded failed (`worker_lost`), its package's lease freed, and it
    is queued again unless it was already retried TASK_MAX_RETRIES times. Safe to call from
    every worker at once: each lost row is taken by one caller.
    """
    now = now or timezone.now()
    cutoff = now - lost_after()
    silent = Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
    with transaction.atomic():
        lost = list(
            PackageFetchState.objects.select_for_update(skip_locked=True)
            .filter(silent, state=State.RUNNING)
            .values_list("package_id", "token", "retries")
        )
        if lost:
            logger.warning("%d refreshes lost their worker: recovering them", len(lost))
            _record_given_up(lost, WORKER_LOST)
    _retry(lost)
    _fail_orphaned_task_rows(now)
    forget_dead_workers(now)
    return [row[0] for row in lost]


def _give_up(rows: list[tuple[int, str, int]], why: tuple[str, str]) -> None:
    """Record these running refreshes (package id, token, retries) failed, and retry them."""
    with transaction.atomic():
        _record_given_up(rows, why)
    _retry(rows)


def _record_given_up(rows: list[tuple[int, str, int]], why: tuple[str, str]) -> None:
    reason, error = why
    for package_id, token, retries in rows:
        again = retries < settings.TASK_MAX_RETRIES
        text = f"{error}; {'queued again' if again else f'given up after {retries} retries'}"
        row = PackageFetchState.objects.filter(package_id=package_id, token=token)
        _finish(row, "failed", reason, text, token)
    # SQLite's leases (PostgreSQL's advisory locks went with the dead worker's connection).
    PackageFetchState.objects.filter(pk__in=[row[0] for row in rows]).update(lease_until=None)


def _retry(rows: list[tuple[int, str, int]]) -> None:
    again = [package_id for package_id, _token, n in rows if n < settings.TASK_MAX_RETRIES]
    if not again:
        return
    try:
        enqueue_refresh(again, by=RETRY)
    except RefreshQueueError as exc:
        logger.warning("could not queue the lost refreshes again: %s", exc)


def _fail_orphaned_task_rows(now: datetime) -> None:
    """The database backend's RUNNING task rows whose worker stopped beating: failed."""
    if not isinstance(task_backends["default"], DatabaseBackend):
        return
    cutoff = now - lost_after()
    alive = live_worker_ids(now)
    for row in DBTaskResult.objects.filter(status="RUNNING", started_at__lt=cutoff):
        if row.worker_ids and row.worker_ids[-1] not in alive:
            logger.warning("task %s lost its worker %s", row.id, row.worker_ids[-1])
            row.set_failed(WorkerLostError(f"worker {row.worker_ids[-1]} stopped beating"))
