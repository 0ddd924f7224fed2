"""`python -m djangopackages.healthcheck`: the image's HEALTHCHECK, for whichever role the
container runs. Exit 0 when healthy, 1 otherwise.

- web (gunicorn, the default command): /healthz answers 200. It asks the local gunicorn with a
  Host from ALLOWED_HOSTS, so the host check passes.
- worker (`db_worker` or `rqworker` as the container's command): `manage.py worker_health`, the
  worker's heartbeat is recent (docs/tasks.md).
The role is read from the container's main process (PID 1), so one HEALTHCHECK serves both.
"""

import os
import subprocess
import sys
import urllib.request
from pathlib import Path

WORKER_COMMANDS = {b"db_worker", b"rqworker"}
MANAGE_PY = Path(__file__).resolve().parent.parent / "manage.py"


def role(cmdline: Path = Path("/proc/1/cmdline")) -> str:
    """ "worker" when the process at `cmdline` runs a task worker, else "web"."""
    try:
        words = cmdline.read_bytes().split(b"\0")
    except OSError:
        return "web"
    return "worker" if WORKER_COMMANDS.intersection(words) else "web"


def web_is_healthy() -> bool:
    hosts = [h.strip().lstrip(".") for h in os.environ.get("ALLOWED_HOSTS", "").split(",")]
    host = next((h for h in hosts if h and h != "*"), "localhost")
    request = urllib.request.Request(
        f"http://127.0.0.1:{os.environ.get('PORT', '8000')}/healthz",
        headers={"Host": host, "X-Forwarded-Proto": "https"},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return bool(response.status == 200)
    except OSError as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return False


def worker_is_healthy() -> bool:
    done = subprocess.run([sys.executable, str(MANAGE_PY), "worker_health"], timeout=20)
    return done.returncode == 0


def main() -> int:
    healthy = worker_is_healthy() if role() == "worker" else web_is_healthy()
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
