"""A project database of a migration test's own, migrated step by step in a subprocess.

A data migration is tested where it runs: the database is migrated (MigrationExecutor) to the
state before it, filled with that state's models (the historical ones, as a migration sees
them), migrated on, and read at the new state. The database is a SQLite file, or a PostgreSQL
database of its own when the tests run on PostgreSQL: never the test database, whose tables stay
at the newest state (going back on SQLite would rebuild the package table and drop its search
triggers).
"""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.db import connection

ROOT = Path(__file__).resolve().parents[1]
MARK = "scratch-project-result: "
PRELUDE = """
import json
from django.apps import apps as current_apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
targets = {targets!r}
apps = MigrationExecutor(connection).loader.project_state(targets).apps if targets else current_apps
result = None
"""


class ScratchProject:
    """`migrate()` it, `run()` code against it at a migration state; `close()` drops it."""

    def __init__(self, tmp_path: Path) -> None:
        self.postgres_name = ""
        if connection.vendor == "postgresql":
            base = connection.settings_dict
            self.postgres_name = f"{base['NAME']}_scratch_{os.getpid()}"[:63]
            self._admin(f'DROP DATABASE IF EXISTS "{self.postgres_name}"')
            self._admin(f'CREATE DATABASE "{self.postgres_name}"')
            url = _postgres_url(base, self.postgres_name)
        else:
            url = f"sqlite:///{tmp_path / 'scratch.sqlite3'}"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("DATABASE_URL")},
            "DJANGO_SETTINGS_MODULE": "djangopackages.settings",
            "DJANGOPACKAGES_DOTENV": "0",
            "DEBUG": "0",
            "SECRET_KEY": "scratch-project-only-not-secret-0123456789abcdefghijklmnopqrstuvwxyz",
            "DATABASE_URL": url,
            "REDIS_URL": "",
            "LOG_LEVEL": "ERROR",
        }

    def migrate(self, targets: list[tuple[str, str]] | None = None) -> str:
        """Forwards or backwards to the migrations `targets` (None: `manage.py migrate`, every
        app to its newest); what the migrations printed. Only the full migrate sends
        post_migrate: its handlers expect every table at its newest state."""
        if targets is None:
            return self._manage("migrate", "--noinput").stdout
        script = PRELUDE.format(targets=targets) + "MigrationExecutor(connection).migrate(targets)"
        return self._manage("shell", "-c", script).stdout

    def manage(self, *args: str) -> str:
        """`manage.py` with `args` against it; what it printed (a failure raises)."""
        return self._manage(*args).stdout

    def run(self, code: str, *, at: list[tuple[str, str]] | None = None) -> Any:
        """Run `code` with `apps` holding the models as they were at the migrations `at` (None:
        as they are now); returns what it left in `result`, through JSON."""
        script = PRELUDE.format(targets=at) + code + f"\nprint({MARK!r} + json.dumps(result))\n"
        output = self._manage("shell", "-c", script).stdout
        line = next(line for line in output.splitlines() if line.startswith(MARK))
        return json.loads(line.removeprefix(MARK))

    def close(self) -> None:
        if self.postgres_name:
            self._admin(f'DROP DATABASE IF EXISTS "{self.postgres_name}" WITH (FORCE)')

    def _manage(self, *args: str) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *args],
            env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        if done.returncode:
            raise AssertionError(f"manage.py {args[0]} failed:\n{done.stdout}\n{done.stderr}")
        return done

    def _admin(self, statement: str) -> None:
        import psycopg

        base = connection.settings_dict
        with psycopg.connect(_postgres_url(base, "postgres"), autocommit=True) as admin:
            admin.execute(statement)


def _postgres_url(base: dict[str, Any], name: str) -> str:
    user = base.get("USER") or "postgres"
    password = f":{base['PASSWORD']}" if base.get("PASSWORD") else ""
    host, port = base.get("HOST") or "127.0.0.1", base.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{name}"
