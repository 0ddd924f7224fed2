"""`manage.py serve -- WEB COMMAND...`: the web server and one task worker as one command.

What `make run` uses. The worker is the one the configured task backend needs (`db_worker` for
the database queue, `rqworker` for RQ, none for `immediate`). Both run in sessions of their own,
so a terminal's Ctrl-C reaches this process only: it sends each child one SIGTERM (gunicorn
and the worker finish what they are doing), waits, and kills what is left; a second Ctrl-C is
passed on, which makes the worker drop its task. When either child exits by itself the other is
stopped too, and the command fails with its exit code. The worker's output lines are prefixed.
"""

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from types import FrameType
from typing import IO, Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, OutputWrapper

WORKER_PREFIX = "worker | "


def worker_command() -> list[str] | None:
    """The command that works off the configured task queue, or None when tasks run inline."""
    manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
    backend = settings.TASKS["default"]["BACKEND"]
    if backend == "django_tasks_db.DatabaseBackend":
        return [*manage, "db_worker", "--no-reload"]
    if backend == "django_tasks_rq.RQBackend":
        return [*manage, "rqworker", "default", "--job-class", "django_tasks_rq.Job"]
    return None


class Command(BaseCommand):
    help = "Run the web server command given after -- together with one task worker."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--grace", type=float, default=15.0, help="Seconds to wait for a clean stop (15)."
        )
        parser.add_argument("web", nargs=argparse.REMAINDER, help="-- then the web server command")

    def handle(self, *args: Any, grace: float, web: list[str], **options: Any) -> None:
        if web and web[0] == "--":
            web = web[1:]
        if not web:
            raise CommandError("give the web server command after --, e.g. -- gunicorn ...")
        commands = {"web": web}
        worker = worker_command()
        if worker is not None:
            commands["worker"] = worker
        code, name = _Supervisor(commands, self.stdout, grace=grace).run()
        if name is not None and code != 0:
            raise CommandError(f"{name} exited with status {code}: stopped the others")


class _Supervisor:
    def __init__(
        self, commands: dict[str, list[str]], stdout: OutputWrapper, *, grace: float
    ) -> None:
        self.commands = commands
        self.stdout = stdout
        self.grace = grace
        self.signals = 0
        self.children: dict[str, subprocess.Popen[str]] = {}
        self.lock = threading.Lock()

    def run(self) -> tuple[int, str | None]:
        """Start everything, wait for a signal or a child's exit; (exit code, who) of the first
        child that exited by itself, or (0, None) after a signal."""
        previous = {
            sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            for name, command in self.commands.items():
                self._start(name, command)
            first = None
            while first is None and not self.signals:
                first = next(
                    ((n, p.returncode) for n, p in self.children.items() if p.poll() is not None),
                    None,
                )
                time.sleep(0.1)
            self._stop_all()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if first is None:
            return 0, None
        return first[1], first[0]

    def _start(self, name: str, command: list[str]) -> None:
        prefixed = name == "worker"
        child = subprocess.Popen(
            command,
            stdout=subprocess.PIPE if prefixed else None,
            stderr=subprocess.STDOUT if prefixed else None,
            start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            text=True,
            errors="replace",
        )
        self.children[name] = child
        self._say(f"serve: {name} started (pid {child.pid}): {' '.join(command)}")
        if prefixed:
            threading.Thread(target=self._relay, args=(child.stdout,), daemon=True).start()

    def _relay(self, stream: IO[str]) -> None:
        for line in stream:
            self._say(WORKER_PREFIX + line.rstrip("\n"))

    def _say(self, line: str) -> None:
        with self.lock:
            self.stdout.write(line)
            self.stdout.flush()

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.signals += 1
        if self.signals > 1:  # impatient: pass it on, the worker drops its task
            self._send(signal.SIGTERM)

    def _send(self, sig: signal.Signals) -> None:
        for child in self.children.values():
            if child.poll() is None:
                with contextlib.suppress(ProcessLookupError):  # it just exited
                    child.send_signal(sig)

    def _stop_all(self) -> None:
        self._send(signal.SIGTERM)
        deadline = time.monotonic() + self.grace
        for name, child in self.children.items():
            try:
                child.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self._say(f"serve: {name} did not stop within {self.grace:g}s: killed")
                child.kill()
                child.wait()
        self._say("serve: stopped")
