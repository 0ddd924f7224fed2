"""`manage.py worker_health`: the task worker's health check (a container's HEALTHCHECK).

Exit 0 when a task worker on this host (`db_worker` or `rqworker`) wrote its heartbeat within
TASK_LOST_AFTER_SECONDS, 1 otherwise (none, a silent one, or the database unreachable), with
one line on stdout either way.
"""

import socket
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError

from packages.heartbeats import worker_health


class Command(BaseCommand):
    help = (
        "Exit 0 if a task worker on this host beat within TASK_LOST_AFTER_SECONDS, else 1; "
        "one line either way."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--host",
            default=socket.gethostname(),
            help="The worker's host name (default: this host, the container's own).",
        )

    def handle(self, *args: Any, host: str, **options: Any) -> None:
        try:
            healthy, line = worker_health(hostname=host)
        except DatabaseError as exc:
            healthy, line = False, f"unhealthy: database unavailable ({' '.join(str(exc).split())})"
        self.stdout.write(f"worker_health: {line}")
        if not healthy:
            self.stdout.flush()
            sys.exit(1)
