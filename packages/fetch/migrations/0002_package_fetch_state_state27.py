"""PackageFetchState: one home for a package's fetch state (issue 27 item 2).

Creates the table and moves into it what was kept in two places: the failure streak, last error
and lease from Package's fetch_* columns, and the refresh queue state from PackageRefresh.
`packages.0016` then drops those columns and that table. Reversible: the way back copies the
values home again.
"""

from typing import Any

import django.db.models.deletion
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps
from django.db.models import Q

BATCH = 1000
STREAK = {
    "fetch_failures": "failures",
    "fetch_failing_since": "failing_since",
    "fetch_error": "error",
    "fetch_error_at": "error_at",
    "fetch_lease_until": "lease_until",
}
QUEUE = (
    "state",
    "token",
    "task_id",
    "queued_at",
    "queued_by",
    "started_at",
    "heartbeat_at",
    "retries",
    "webhook_queued_at",
    "outcome",
    "outcome_reason",
    "outcome_error",
    "finished_at",
)

STREAK_DEFAULTS = {**dict.fromkeys(STREAK), "fetch_failures": 0, "fetch_error": ""}
QUEUE_DEFAULTS = {
    **dict.fromkeys(QUEUE),
    **dict.fromkeys(("token", "task_id", "queued_by", "outcome", "outcome_reason"), ""),
    "outcome_error": "",
    "state": "idle",
    "retries": 0,
}


def move_into_fetch_state(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    """One PackageFetchState per package with a refresh row or any fetch bookkeeping set."""
    Package = apps.get_model("packages", "Package")
    PackageRefresh = apps.get_model("packages", "PackageRefresh")
    PackageFetchState = apps.get_model("fetch", "PackageFetchState")
    values: dict[int, dict[str, Any]] = {}
    for row in PackageRefresh.objects.values("package_id", *QUEUE).iterator(chunk_size=BATCH):
        values[row.pop("package_id")] = row
    with_streak = Package.objects.filter(
        ~Q(fetch_failures=0)
        | ~Q(fetch_error="")
        | Q(fetch_error_at__isnull=False)
        | Q(fetch_failing_since__isnull=False)
        | Q(fetch_lease_until__isnull=False)
    )
    for row in with_streak.values("id", *STREAK).iterator(chunk_size=BATCH):
        mine = values.setdefault(row.pop("id"), {})
        mine.update({new: row[old] for old, new in STREAK.items()})
    rows = [PackageFetchState(package_id=pk, **fields) for pk, fields in sorted(values.items())]
    PackageFetchState.objects.bulk_create(rows, batch_size=BATCH)


def move_back(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Package = apps.get_model("packages", "Package")
    PackageRefresh = apps.get_model("packages", "PackageRefresh")
    PackageFetchState = apps.get_model("fetch", "PackageFetchState")
    refreshes = []
    for row in PackageFetchState.objects.values().iterator(chunk_size=BATCH):
        pk = row["package_id"]
        streak = {old: row[new] for old, new in STREAK.items()}
        if streak != STREAK_DEFAULTS:
            Package.objects.filter(pk=pk).update(**streak)
        queue = {name: row[name] for name in QUEUE}
        if queue != QUEUE_DEFAULTS:
            refreshes.append(PackageRefresh(package_id=pk, **queue))
    PackageRefresh.objects.bulk_create(refreshes, batch_size=BATCH)


class Migration(migrations.Migration):
    dependencies = [
        ("fetch", "0001_fetch_state_fresh25"),
        ("packages", "0015_merge_readiness_figure_sources"),
    ]

    operations = [
        migrations.CreateModel(
            name="PackageFetchState",
            fields=[
                (
                    "package",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="fetch_state",
                        serialize=False,
                        to="packages.package",
                    ),
                ),
                (
                    "failures",
                    models.PositiveIntegerField(
                        default=0,
                        help_text="Consecutive failed fetches; reset by a successful one.",
                    ),
                ),
                (
                    "failing_since",
                    models.DateTimeField(
                        blank=True,
                        help_text="When the current streak of failed fetches began; cleared by "
                        "a successful one.",
                        null=True,
                    ),
                ),
                (
                    "error",
                    models.TextField(blank=True, help_text="The last failed fetch's errors."),
                ),
                ("error_at", models.DateTimeField(blank=True, null=True)),
                (
                    "lease_until",
                    models.DateTimeField(
                        blank=True,
                        help_text="A running fetcher owns this package until then.",
                        null=True,
                    ),
                ),
                (
                    "state",
                    models.CharField(
                        choices=[("idle", "idle"), ("queued", "queued"), ("running", "running")],
                        default="idle",
                        max_length=10,
                    ),
                ),
                ("token", models.CharField(blank=True, max_length=32)),
                ("task_id", models.CharField(blank=True, max_length=64)),
                ("queued_at", models.DateTimeField(blank=True, null=True)),
                (
                    "queued_by",
                    models.CharField(
                        blank=True, help_text="admin, command, webhook", max_length=20
                    ),
                ),
                ("started_at", models.DateTimeField(blank=True, null=True)),
                (
                    "heartbeat_at",
                    models.DateTimeField(
                        blank=True,
                        help_text="The running task's last sign of life (heartbeat).",
                        null=True,
                    ),
                ),
                (
                    "retries",
                    models.PositiveSmallIntegerField(
                        default=0,
                        help_text="Times queued again because the worker running it died.",
                    ),
                ),
                (
                    "webhook_queued_at",
                    models.DateTimeField(
                        blank=True, help_text="The last refresh a webhook queued.", null=True
                    ),
                ),
                (
                    "outcome",
                    models.CharField(
                        blank=True,
                        help_text="How the last background refresh ended: fetched, unchanged, "
                        "missing, failed or skipped.",
                        max_length=20,
                    ),
                ),
                ("outcome_reason", models.CharField(blank=True, max_length=100)),
                ("outcome_error", models.TextField(blank=True)),
                ("finished_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={
                "indexes": [models.Index(fields=["state"], name="package_fetch_state_queue_idx")],
            },
        ),
        migrations.RunPython(move_into_fetch_state, move_back),
    ]
