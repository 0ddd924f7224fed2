"""One HTTP exchange, bounded: `Transport.send` GETs a URL once and always ends within the deadline.

It owns the pooled keep-alive `requests.Session` per origin (no cookies, no proxies or netrc from
the environment), connect and read timeouts, the cap on body size (read in small pieces, so
memory stays flat) and the total deadline. The deadline covers connect, headers and body: a
timer shuts the request's socket down when it expires, so an upstream that trickles its headers
or body one byte at a time cannot hold a fetch longer than FETCH_DEADLINE. For an untrusted
origin, the address a new connection actually reached must be public too (the guard's own DNS
lookup may differ from the connection's: DNS rebinding). Certificates are verified against the
system's trust store (truststore; on Linux OpenSSL's default paths, which `SSL_CERT_FILE` and
`SSL_CERT_DIR` can name) and certifi's bundle, so a CA an operator adds to the system (a
TLS-intercepting proxy's) is trusted.
"""

import contextlib
import socket
import ssl
import threading
from collections.abc import Mapping
from http.cookiejar import DefaultCookiePolicy
from typing import Any

import certifi
import requests
import truststore
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from packages.fetch.errors import BodyTooLargeError, RefusedURLError, TransportError
from packages.fetch.http.budget import int_header
from packages.fetch.http.config import HttpConfig
from packages.fetch.http.guard import is_public_address
from packages.fetch.http.response import Response

CHUNK = 64 * 1024


def transport_error(
    message: str, reason: str, retryable: bool, unreachable: str = ""
) -> TransportError:
    """`unreachable` says why no connection carried an answer (counted towards stopping a host)."""
    error = TransportError(message, reason=reason)
    error.retryable = retryable
    error.unreachable = unreachable
    return error


_SOCKET_ERRORS: tuple[tuple[type[BaseException], str], ...] = (
    (socket.gaierror, "DNS lookup failed"),
    (ConnectionRefusedError, "connection refused"),
    (ConnectionResetError, "connection reset"),
    (ssl.SSLError, "TLS error"),
    (TimeoutError, "connect timeout"),
)


def unreachable_reason(exc: BaseException) -> str:
    """A short why for a connection that carried no answer (requests nests the socket error)."""
    todo, seen = [exc], set()
    while todo:
        error = todo.pop()
        if id(error) in seen:
            continue
        seen.add(id(error))
        for kind, why in _SOCKET_ERRORS:
            if isinstance(error, kind):
                return why
        nested = [getattr(error, "reason", None), error.__cause__, error.__context__, *error.args]
        todo += [e for e in nested if isinstance(e, BaseException)]
    return "connection failed"


class Deadline:
    """One request's deadline: when it expires, the socket the request is using is shut down
    (from the timer's thread, which wakes the request's blocked read at once). With
    `public_only`, a new connection whose peer is not a public address is refused."""

    def __init__(self, seconds: float, *, public_only: bool = False) -> None:
        self.seconds = seconds
        self.public_only = public_only
        self.expired = False
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> "Deadline":
        _current.deadline = self
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._timer.cancel()
        _current.deadline = None

    def attach(self, sock: socket.socket | None) -> None:
        with self._lock:
            self._sock = sock
            if self.expired:
                _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            _shut(self._sock)


_current = threading.local()


def _shut(sock: socket.socket | None) -> None:
    if sock is None:
        return
    with contextlib.suppress(OSError):
        # The plain socket's shutdown, even for TLS: it only touches the file descriptor, so it
        # is safe while another thread reads from the same socket.
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _current_deadline() -> Deadline | None:
    return getattr(_current, "deadline", None)


def _attach_to_deadline(sock: socket.socket | None) -> None:
    deadline = _current_deadline()
    if deadline is not None:
        deadline.attach(sock)


class _WatchedHTTPConnection(HTTPConnection):
    """Hands its socket to the current request's Deadline, new or reused from the pool, and
    refuses a new connection to a non-public peer when the request asks for public only."""

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        deadline = _current_deadline()
        if deadline is not None and deadline.public_only:
            address = str(sock.getpeername()[0])
            if not is_public_address(address):
                sock.close()
                raise RefusedURLError(f"refused {self.host}: connected to non-public {address}")
        _attach_to_deadline(sock)
        return sock

    def connect(self) -> None:
        super().connect()
        _attach_to_deadline(self.sock)  # for TLS, the wrapped socket replaces the plain one

    def request(self, *args: Any, **kwargs: Any) -> None:
        if self.sock is not None:
            _attach_to_deadline(self.sock)
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(_WatchedHTTPConnection, HTTPSConnection):
    pass


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


def tls_context() -> ssl.SSLContext:
    """The authorities a fetch trusts: the system's and certifi's (see the module docstring)."""
    context = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(cafile=certifi.where())
    return context


class _WatchedAdapter(HTTPAdapter):
    def __init__(self, ssl_context: ssl.SSLContext, **kwargs: Any) -> None:
        self.ssl_context = ssl_context  # before super(), which builds the pool manager
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs, ssl_context=self.ssl_context)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _WatchedHTTPPool,
            "https": _WatchedHTTPSPool,
        }


class _NoCookies(DefaultCookiePolicy):
    def set_ok(self, cookie: Any, request: Any) -> bool:
        return False


class Transport:
    """Sessions per origin, and one bounded GET (see the module docstring)."""

    def __init__(self, config: HttpConfig) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._sessions: dict[str, requests.Session] = {}
        self._tls = tls_context()

    def send(
        self, origin: str, url: str, headers: Mapping[str, str], *, public_only: bool = False
    ) -> Response:
        """GET `url` once, no redirects followed. TransportError (timeouts, the deadline,
        connection trouble), BodyTooLargeError, or RefusedURLError (`public_only` and a
        non-public peer); every path closes what it opened."""
        config = self.config
        with Deadline(config.deadline, public_only=public_only) as deadline:
            try:
                raw = self._session(origin).get(
                    url,
                    headers=dict(headers),
                    timeout=(min(config.connect_timeout, config.deadline), config.read_timeout),
                    stream=True,
                    allow_redirects=False,
                )
            except requests.exceptions.RequestException as exc:
                raise self._request_error(url, exc, deadline) from exc
            try:
                body = self._read_body(raw, url, deadline)
            finally:
                # An answer read to the end has already gone back to the pool (keep-alive);
                # anything else closes its connection here.
                raw.close()
        return Response(raw.status_code, {k.lower(): v for k, v in raw.headers.items()}, body, url)

    def close(self) -> None:
        with self._lock:
            for session in self._sessions.values():
                session.close()
            self._sessions.clear()

    def _session(self, origin: str) -> requests.Session:
        with self._lock:
            session = self._sessions.get(origin)
            if session is None:
                session = requests.Session()
                session.cookies.set_policy(_NoCookies())
                session.trust_env = False  # no proxies or .netrc credentials from the env
                adapter = _WatchedAdapter(
                    self._tls, pool_connections=1, pool_maxsize=self.config.pool_size, max_retries=0
                )
                session.mount("http://", adapter)
                session.mount("https://", adapter)
                session.headers.update(
                    {"User-Agent": self.config.user_agent, "Accept": "application/json"}
                )
                self._sessions[origin] = session
            return session

    def _request_error(
        self, url: str, exc: requests.exceptions.RequestException, deadline: Deadline
    ) -> TransportError:
        if deadline.expired:
            return self._deadline_error(url)
        if isinstance(exc, requests.exceptions.ConnectTimeout):
            return transport_error(f"{url}: connect timeout", "timeout", True, "connect timeout")
        if isinstance(exc, requests.exceptions.ReadTimeout):
            return transport_error(f"{url}: read timeout", "timeout", False)
        if isinstance(exc, requests.exceptions.ConnectionError):
            why = unreachable_reason(exc)
            return transport_error(f"{url}: {why}", "connection", True, why)
        return transport_error(f"{url}: {type(exc).__name__}", "connection", True)

    def _deadline_error(self, url: str) -> TransportError:
        seconds = self.config.deadline
        return transport_error(f"{url}: no complete answer within {seconds:g}s", "deadline", False)

    def _read_body(self, raw: requests.Response, url: str, deadline: Deadline) -> bytes:
        cap = self.config.max_bytes
        declared = int_header(raw.headers, "Content-Length")
        if declared is not None and declared > cap:
            raise BodyTooLargeError(f"{url}: body of {declared} bytes > cap {cap}")
        pieces: list[bytes] = []
        size = 0
        try:
            while True:
                piece = raw.raw.read1(CHUNK, decode_content=True)
                if deadline.expired:  # a shut-down socket may read as a clean end
                    raise self._deadline_error(url)
                if not piece:
                    return b"".join(pieces)
                size += len(piece)
                if size > cap:
                    raise BodyTooLargeError(f"{url}: body over the cap of {cap} bytes")
                pieces.append(piece)
        except urllib3.exceptions.ReadTimeoutError as exc:
            if deadline.expired:
                raise self._deadline_error(url) from exc
            raise transport_error(f"{url}: read timeout", "timeout", False) from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            if deadline.expired:
                raise self._deadline_error(url) from exc
            message = f"{url}: body cut off ({type(exc).__name__})"
            raise transport_error(message, "connection", True) from exc
