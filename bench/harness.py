"""What the HTTP benches share: start and stop a server, run wrk and read its report, medians.

    from bench.harness import start_server, run_wrk, median_run, wrk_script, stop_server

Import it as `bench.harness` with the repository root on `sys.path` (bench/api.py puts it
there; `bench` is a namespace package). bench/api.py re-exports these names, so older
imports from it keep working.

Figures are parsed from `wrk --latency` output: req/s, p50 and p99 latency in milliseconds,
non-2xx/3xx responses and socket errors. `median_run` takes the median of each figure over
several runs (errors summed): one slow moment on a shared machine must not decide a ratio.
"""

import json
import os
import re
import signal
import statistics
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def fetch(url, timeout=30):
    """The body of a GET of `url` (raises on a non-2xx answer)."""
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read()


def gunicorn_command(port, workers, *, threads=1, access_log=True):
    """gunicorn as `make run` and the Docker image start it: `djangopackages.wsgi`, sync
    workers (gthread when `threads` > 1), the rest from ./gunicorn.conf.py, access log on
    stdout."""
    command = [
        str(BIN / "gunicorn"),
        "djangopackages.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
    ]
    if threads > 1:
        command += ["--worker-class", "gthread", "--threads", str(threads)]
    if access_log:
        command += ["--access-logfile", "-"]
    return command


def start_server(command, env, port, *, log=None, timeout=60):
    """Start `command` (in its own session, from the repository root) and wait until
    `/healthz` on `port` answers; its output goes to `log` (a path) or nowhere."""
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115  (the child keeps it)
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT if log else None,
        start_new_session=True,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{command[0]} exited with status {process.returncode}")
        try:
            fetch(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return process
        except OSError:
            time.sleep(0.3)
    stop_server(process)
    raise SystemExit(f"the server did not answer /healthz within {timeout} s")


def stop_server(process, grace=30):
    """SIGTERM to the server (`manage.py serve` passes it on to its children), then wait."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def start_gunicorn(args, env):
    """gunicorn on `args.port` with `args.workers` (and `args.threads`, if any): the older
    bench/api.py entry point."""
    command = gunicorn_command(args.port, args.workers, threads=getattr(args, "threads", 1))
    return start_server(command, env, args.port)


def wrk_script(directory, name, paths, cold):
    """A wrk Lua script that rotates over `paths`; `cold` adds a query string no other request
    of any run has (this call's token, wrk's thread number, a counter) to each request."""
    quoted = ",\n".join(json.dumps(p) for p in paths)
    script = Path(directory) / f"{name}-{'cold' if cold else 'warm'}.lua"
    script.write_text(
        f"local paths = {{\n{quoted}\n}}\n"
        f'local token = "{time.time_ns():x}"\n'
        "local threads = 0\n"
        "setup = function(thread)\n"
        "  threads = threads + 1\n"
        '  thread:set("number", threads)\n'
        "end\n"
        "local i, n = 0, 0\n"
        "init = function(args)\n"
        "  i = (number or 1) * 7919 % #paths\n"
        "end\n"
        "request = function()\n"
        "  i = i % #paths + 1\n"
        "  n = n + 1\n"
        "  local p = paths[i]\n"
        + (
            '  local sep = string.find(p, "?", 1, true) and "&" or "?"\n'
            '  p = p .. sep .. "nonce=" .. token .. "-" .. (number or 0) .. "-" .. n\n'
            if cold
            else ""
        )
        + '  return wrk.format("GET", p)\n'
        "end\n"
    )
    return script


def parse_wrk(output):
    """The figures of one `wrk --latency` report: rps, p50, p99 (ms), errors, socket."""
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if rate is None:
        raise ValueError(f"no Requests/sec in wrk's output:\n{output}")
    latency = {
        int(p): float(v) * _UNITS[u]
        for p, v, u in re.findall(r"^\s+(\d+)%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.M)
    }
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    return {
        "rps": float(rate.group(1)),
        "p50": latency.get(50),
        "p99": latency.get(99),
        "errors": int(errors.group(1)) if errors else 0,
        "socket": socket_errors.group(1).strip() if socket_errors else "",
    }


def run_wrk(args, base, script=None, path="/"):
    """One wrk run of `args.duration` s with `args.connections` connections on 2 threads."""
    command = ["wrk", "--latency", "-t2", f"-c{args.connections}", f"-d{args.duration}s"]
    command += ["--timeout", "5s"]
    if script:
        command += ["-s", str(script)]
    output = subprocess.run(
        [*command, base + path], capture_output=True, text=True, check=True
    ).stdout
    return parse_wrk(output)


def median_run(results):
    """The median of each figure over several wrk runs (errors are summed)."""
    return {
        "rps": statistics.median(r["rps"] for r in results),
        "p50": statistics.median(r["p50"] for r in results),
        "p99": statistics.median(r["p99"] for r in results),
        "errors": sum(r["errors"] for r in results),
        "socket": "; ".join(r["socket"] for r in results if r["socket"]),
    }


def load_average():
    """The 1, 5 and 15 minute load averages, as text."""
    return " ".join(f"{value:.2f}" for value in os.getloadavg())
