"""A local fake upstream (threading http.server on 127.0.0.1) and the fetcher settings for it."""

import email.utils
import hashlib
import json
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2024, 6, 1, tzinfo=UTC)


def fixture(name):
    return json.loads((FIXTURES / name).read_text())


class Reply:
    """One canned answer; `body` is JSON-encoded unless it is bytes or str."""

    def __init__(self, body=None, status=200, headers=None, etag=True):
        if isinstance(body, bytes):
            self.body = body
        elif isinstance(body, str):
            self.body = body.encode()
        else:
            self.body = json.dumps(body).encode() if body is not None else b""
        self.status = status
        self.headers = dict(headers or {})
        if etag and status == 200 and self.body:
            self.headers.setdefault("ETag", '"' + hashlib.sha1(self.body).hexdigest() + '"')
        self.headers.setdefault("Content-Type", "application/json")


class FakeUpstream:
    """Routes `path[?query]` to a Reply, a list of Replies (played in order, the last repeats)
    or a callable(handler) that writes the answer itself (hangs, trickles, huge bodies)."""

    def __init__(self):
        self.routes = {}
        self.requests = []
        self.delay = 0.0
        self.lock = threading.Lock()
        self.active = 0
        self.most_active = 0  # the most requests this server was answering at one moment
        self.connections = set()  # client (host, port) pairs: one per TCP connection
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                upstream.handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.handle_error = lambda request, address: None  # clients hang up on purpose
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def add(self, path, reply):
        self.routes[path] = list(reply) if isinstance(reply, list) else [reply]

    def json(self, path, name_or_body, **kwargs):
        body = fixture(name_or_body) if isinstance(name_or_body, str) else name_or_body
        self.add(path, Reply(body, **kwargs))

    def paths(self):
        return [p for p, _h in self.requests]

    def handle(self, handler):
        with self.lock:
            self.connections.add(handler.client_address)
            self.active += 1
            self.most_active = max(self.most_active, self.active)
        try:
            self._answer(handler)
        finally:
            with self.lock:
                self.active -= 1

    def _answer(self, handler):
        if self.delay:
            time.sleep(self.delay)
        parts = urlsplit(handler.path)
        with self.lock:
            self.requests.append((handler.path, dict(handler.headers)))
            key = handler.path if handler.path in self.routes else parts.path
            queue = self.routes.get(key)
            reply = None
            if queue:
                reply = queue.pop(0) if len(queue) > 1 else queue[0]
        if reply is None:
            reply = Reply({"message": "Not Found"}, status=404)
        if callable(reply) and not isinstance(reply, Reply):
            reply(handler)
            return
        etag = reply.headers.get("ETag")
        if etag and handler.headers.get("If-None-Match") == etag:
            handler.send_response(304)
            handler.send_header("ETag", etag)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        handler.send_response(reply.status)
        for key, value in reply.headers.items():
            handler.send_header(key, value.replace("{base}", self.url))
        handler.send_header("Content-Length", str(len(reply.body)))
        handler.end_headers()
        handler.wfile.write(reply.body)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def trickle(handler, every=0.3, total=100):
    """Headers at once, then one byte every `every` seconds."""
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(total))
    handler.end_headers()
    try:
        for _ in range(total):
            handler.wfile.write(b" ")
            handler.wfile.flush()
            time.sleep(every)
    except OSError:
        pass


def trickle_headers(handler, every=0.5, total=120):
    """The status line and headers one byte every `every` seconds: a slowloris upstream."""
    head = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Padding: "
        + b"a" * total
        + b"\r\nContent-Length: 2\r\n\r\n{}"
    )
    try:
        for index in range(len(head)):
            handler.wfile.write(head[index : index + 1])
            handler.wfile.flush()
            time.sleep(every)
    except OSError:
        pass
    handler.close_connection = True


class Meeting:
    """Handlers that answer only once `parties` requests are waiting together (or after
    `timeout`): `met` is proof that requests ran concurrently, without timing thresholds."""

    def __init__(self, parties, timeout=5.0):
        self.barrier = threading.Barrier(parties, timeout=timeout)
        self.met = False

    def answering(self, reply):
        def answer(handler):
            try:
                self.barrier.wait()
                self.met = True
            except threading.BrokenBarrierError:
                self.barrier.reset()  # alone too long: let later requests meet afresh
            handler.send_response(reply.status)
            for key, value in reply.headers.items():
                handler.send_header(key, value)
            handler.send_header("Content-Length", str(len(reply.body)))
            handler.end_headers()
            handler.wfile.write(reply.body)

        return answer


def hang(handler, seconds=5):
    time.sleep(seconds)
    handler.close_connection = True


def huge(handler, megabytes=200):
    """A chunked JSON array of `megabytes` MB, no Content-Length."""
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    block = b'{"login":"bulk","contributions":1},' * 2000
    try:
        handler.wfile.write(b"1\r\n[\r\n")
        for _ in range(megabytes * 1024 * 1024 // len(block)):
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(block), block))
        handler.wfile.write(b"2\r\n{}\r\n1\r\n]\r\n0\r\n\r\n")
    except OSError:
        pass
    handler.close_connection = True


def http_date(moment):
    return email.utils.format_datetime(moment, usegmt=True)


@pytest.fixture
def upstream():
    fake = FakeUpstream()
    yield fake
    fake.close()


@pytest.fixture
def fetch_settings(settings, upstream):
    """Point every API base URL at the fake upstream; fast retries, short timeouts."""
    settings.GITHUB_API_URL = f"{upstream.url}/github"
    settings.GITLAB_API_URL = f"{upstream.url}/gitlab"
    settings.BITBUCKET_API_URL = f"{upstream.url}/bitbucket"
    settings.CODEBERG_API_URL = f"{upstream.url}/codeberg"
    settings.PYPI_URL = f"{upstream.url}/pypi"
    settings.GITHUB_TOKEN = ""
    settings.FETCH_RETRY_BACKOFF_MS = 1
    settings.FETCH_COMPUTING_DELAY_MS = 1
    settings.FETCH_CONNECT_TIMEOUT = 2
    settings.FETCH_READ_TIMEOUT = 2
    settings.FETCH_DEADLINE = 3
    settings.FETCH_MAX_WAIT = 0
    settings.FETCH_WORKERS = 1
    return settings


def serve_github_repo(upstream, path="octo/widgets", *, repo=None, contributors=None):
    """The four GitHub endpoints of a first fetch, from the fixtures, and /rate_limit."""
    reset = str(int(time.time()) + 3600)
    limits = {"X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": "4999"}
    upstream.json(
        "/github/rate_limit", {"rate": {}}, headers={**limits, "X-RateLimit-Reset": reset}
    )
    base = f"/github/repos/{path}"
    if repo is None:
        repo = dict(fixture("github_repo.json"), full_name=path)
        repo["html_url"] = f"https://github.com/{path}"
    upstream.json(base, repo)
    upstream.json(f"{base}/contributors", contributors or "github_contributors_1.json")
    upstream.json(f"{base}/stats/participation", "github_participation.json")
    upstream.json(f"{base}/commits", "github_commits.json")


def serve_renamed_github_repo(upstream, html_url, old="octo/widgets", new="octo/gadgets"):
    """`old` answers 301 to the repository's id; its JSON names `new` and `html_url`."""
    upstream.add(
        f"/github/repos/{old}",
        Reply(status=301, headers={"Location": "{base}/github/repositories/4242"}),
    )
    renamed = dict(fixture("github_repo.json"), full_name=new, html_url=html_url)
    upstream.json("/github/repositories/4242", renamed)
    serve_github_repo(upstream, new, repo=renamed)


def serve_pypi(upstream, name="django-widgets", body="pypi_project.json"):
    upstream.json(f"/pypi/pypi/{name}/json", body)


def admin_package_form(package, **edited):
    """The package admin's change form for `package` as a browser posts it, with `edited`."""
    return {
        "title": package.title,
        "slug": package.slug,
        "category": package.category_id,
        "repo_url": package.repo_url,
        "pypi_url": package.pypi_url,
        "documentation_url": package.documentation_url,
        "repo_description": package.repo_description,
        "deprecated_at_0": "",
        "deprecated_at_1": "",
        "replacement": "",
        "versions-TOTAL_FORMS": "0",
        "versions-INITIAL_FORMS": "0",
        "versions-MIN_NUM_FORMS": "0",
        "versions-MAX_NUM_FORMS": "1000",
        **edited,
    }
