"""`manage.py rqworker`: django-rq's worker (TASKS_BACKEND=rq), with a heartbeat.

As `db_worker`: the worker process writes its WorkerHeartbeat row every TASK_HEARTBEAT_SECONDS
(`manage.py worker_health`) and recovers refreshes whose work horse or worker died. RQ itself
moves the job of a killed work horse to its failed registry.
"""

import os
import socket
from importlib.util import find_spec
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from packages.heartbeats import worker_heartbeat
from packages.tasks import recover_lost_refreshes

HELP = (
    "Run an RQ worker (TASKS_BACKEND=rq); it writes a heartbeat (see worker_health) and "
    "recovers refreshes whose worker died."
)

if find_spec("django_rq") is None:  # the `rq` extra is not installed

    class Command(BaseCommand):
        help = HELP

        def handle(self, *args: Any, **options: Any) -> None:
            raise CommandError("rqworker needs the rq extra: pip install '.[rq]'")

else:
    from django_rq.management.commands import rqworker

    class Command(rqworker.Command):  # type: ignore[no-redef]
        help = HELP

        def handle(self, *args: Any, **options: Any) -> None:
            worker_id = options.get("name") or f"rq-{socket.gethostname()}-{os.getpid()}"
            with worker_heartbeat(worker_id, backend="rq", also=recover_lost_refreshes):
                super().handle(*args, **options)
