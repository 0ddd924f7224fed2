"""`manage.py db_worker`: django-tasks-db's worker, with a heartbeat (packages.heartbeats).

The worker process writes its WorkerHeartbeat row every TASK_HEARTBEAT_SECONDS (read by
`manage.py worker_health`) and, after each beat, recovers refreshes whose worker died
(`packages.tasks.recover_lost_refreshes`). Everything else is django-tasks-db's own command
(this app is listed before `django_tasks_db`, so this one is found first).
"""

import os
from typing import Any

from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands import db_worker

from packages.heartbeats import worker_heartbeat
from packages.tasks import recover_lost_refreshes


class Command(db_worker.Command):
    help = (
        "Run a database background worker; it writes a heartbeat (see worker_health) and "
        "recovers refreshes whose worker died."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if (
            options["reload"]
            and not options["batch"]
            and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true"
        ):
            # The autoreloader's parent only restarts the child, which runs tasks and beats.
            super().handle(*args, **options)
            return
        with worker_heartbeat(
            options["worker_id"], backend="database", also=recover_lost_refreshes
        ):
            super().handle(*args, **options)
