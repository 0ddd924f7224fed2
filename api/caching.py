"""Conditional GET and a cache of rendered JSON responses, dropped whenever the catalogue changes.

Every JSON 200 carries an `ETag` (a hash of its body). The rendered body is kept for
`API_CACHE_SECONDS`, tagged with the catalogue version, under a key made of the scheme, host,
path with query string and media type (the bodies hold absolute links to the request's host).
A cached entry answers a matching `If-None-Match` with a 304, and any other request with its
body, without touching the database or the serializers. An anonymous JSON request is answered
from the cache by `CachedResponseMiddleware`, before its URL is resolved or a viewset is
built (the view's throttles are still counted, in one round trip).

Where the version lives depends on the default cache:
- a shared cache (Redis): a version key any save or delete of a catalogue row redraws (model
  signals, api/signals.py); entries are kept in Redis and in each process's memory;
- process memory (no Redis, the embedded default): entries only in this process, tagged with
  this process's own version (redrawn by its writes) and the database's generation (SQLite's
  `PRAGMA data_version`, read on a connection of the process's own that Django's
  `CONN_MAX_AGE` never recycles; PostgreSQL's current snapshot), which changes with any
  other process's commit.
Each process re-reads the version at most once per `LOCAL_VERSION_SECONDS`: a write is seen at
once by the process that made it and within that second by the others. While Redis is
unreachable responses are rendered uncached, and a new version is drawn when it answers again
(writes made meanwhile could not redraw it).

Writes that bypass model signals (`QuerySet.update()`, `bulk_create()`) in a web process are
seen by the others at once on the embedded default, elsewhere once the entries expire; callers
doing bulk writes call `bump_catalogue_version()`.
"""

import hashlib
import threading
import time
import uuid
from collections import OrderedDict

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import transaction
from django.http import HttpResponse, HttpResponseNotModified
from django.utils.http import http_date, parse_etags

from api.generation import database_generation
from api.mixin_base import ViewSetMixinBase
from api.throttling import count_all
from djangopackages.redis_cache import outage

VERSION_KEY = "api:catalogue-version"
LOCAL_VERSION_SECONDS = 1.0
LOCAL_ENTRIES = 2000
PROBATION_ENTRIES = 400  # of LOCAL_ENTRIES: entries stored but not asked for again yet
LOCAL_BYTES = 64 * 1024 * 1024
JSON = "application/json"
API_PREFIX = "/api/"
# Accept headers DRF answers with its JSON renderer, so the cache can be read before it runs.
_JSON_ACCEPTS = {None, "", "*/*", JSON}


def _is_shared_cache():
    """Is the default cache seen by every process (Redis), not this process's memory only?"""
    return type(caches["default"]) is not LocMemCache


class _LocalEntries:
    """This process's most recently used entries, all of one catalogue version: a segmented
    LRU (new entries on probation, those asked for again protected), so a scan of one-off
    URLs cannot evict the entries that are read."""

    def __init__(self):
        self.lock = threading.Lock()
        self.own_version = uuid.uuid4().hex
        self.generation = None
        self.checked_at = time.monotonic()
        self.reset()

    def reset(self, version=None, *, checked=True):
        with self.lock:
            self.entries = OrderedDict()  # asked for at least twice, least recent first
            self.probation = OrderedDict()  # stored, not asked for since
            self.counts = {}
            self.bytes = 0
            self.version = version
            if checked:
                self.checked_at = time.monotonic()
            self.outages_seen = outage.episodes

    def current_version(self):
        """The catalogue version entries must carry now, or None to serve uncached."""
        if self.version is None or time.monotonic() - self.checked_at > LOCAL_VERSION_SECONDS:
            version = self._read_version()
            if version != self.version:
                self.reset(version)
            else:
                self.checked_at = time.monotonic()
        return self.version

    def _read_version(self):
        if not _is_shared_cache():
            self.generation = database_generation()
            return f"{self.own_version}:{self.generation}"
        version = cache.get(VERSION_KEY)
        if outage.is_down():
            return None
        if version is None or outage.episodes != self.outages_seen:
            version = _new_version()
        return version

    def get(self, key):
        with self.lock:
            entry = self.entries.get(key)
            if entry is None:
                entry = self.probation.pop(key, None)
                if entry is not None:  # asked for again: protected from scans from now on
                    self.entries[key] = entry
                    while len(self.entries) > LOCAL_ENTRIES - PROBATION_ENTRIES:
                        self._drop(self.entries)
            if entry is None:
                return None
            if entry["expires_at"] < time.time():  # let a fresh one take its place
                self.bytes -= len(self.entries.pop(key)["body"])
                return None
            self.entries.move_to_end(key)
            return entry

    def put(self, key, entry):
        """Keep `entry` on probation: only an entry asked for again joins the protected ones,
        so a client sending a new query string each time evicts only other such entries."""
        with self.lock:
            if entry["version"] != self.version or key in self.entries or key in self.probation:
                return
            self.probation[key] = entry
            self.bytes += len(entry["body"])
            while len(self.probation) > PROBATION_ENTRIES:
                self._drop(self.probation)
            while self.bytes > LOCAL_BYTES:
                self._drop(self.probation or self.entries)

    def _drop(self, entries):
        _, dropped = entries.popitem(last=False)
        self.bytes -= len(dropped["body"])


_local = _LocalEntries()
MAX_COUNTS = 10_000


def cached_count(key, count):
    """`count()` of a list query (`key` names its filters), remembered by this process until
    the catalogue version changes: paging through a list counts its rows once."""
    version = _local.current_version() if settings.API_CACHE_SECONDS else None
    if version is None:
        return count()
    counts = _local.counts
    value = counts.get(key)
    if value is None:
        value = count()
        if _local.version == version and len(counts) < MAX_COUNTS:
            counts[key] = value
    return value


def reset_local_entries():
    """Forget this process's entries (tests do, between cases). The version counts as just
    checked, so a test's first request is not charged the once-a-second version read."""
    _local.reset(uuid.uuid4().hex)


def bump_catalogue_version(**_signal_kwargs):
    """Make every cached API response stale: now, and again when the transaction commits.

    The second bump covers a reader that cached the old rows between the write and the commit.
    """
    _new_version()
    transaction.on_commit(_new_version)


def _new_version():
    version = uuid.uuid4().hex
    if _is_shared_cache():
        cache.set(VERSION_KEY, version, None)
        _local.reset(version)
    else:
        # This process's part of the version; the database's part keeps its own schedule.
        _local.own_version = version
        known = _local.version is not None
        _local.reset(f"{version}:{_local.generation}" if known else None, checked=False)
    return version


def _etag(body):
    return f'"{hashlib.blake2b(body, digest_size=16).hexdigest()}"'


def _matches(request, etag):
    header = request.META.get("HTTP_IF_NONE_MATCH")
    if not header:
        return False
    candidates = parse_etags(header)
    return "*" in candidates or etag.removeprefix("W/") in {
        tag.removeprefix("W/") for tag in candidates
    }


def response_key(request, media_type):
    """The cache key of a response: scheme, host, path and query string, media type.

    The host and path as received, unescaped and unvalidated: cheap enough for the middleware,
    and an entry is only stored after `get_host()` accepted the host (`cached_response`)."""
    url = f"{request.scheme}://{request._get_raw_host()}{request.path}"
    text = f"{url}?{request.META.get('QUERY_STRING', '')} {media_type}"
    digest = hashlib.blake2b(text.encode("utf-8", "backslashreplace"), digest_size=16)
    return f"api:response:{digest.hexdigest()}"


def _lookup(key):
    """The live entry under `key` and the current version (entry None when there is none)."""
    version = _local.current_version()
    if version is None:
        return None, None
    entry = _local.get(key)
    if entry is None and _is_shared_cache():
        entry = cache.get(key)
        if entry is not None and entry["version"] == version:
            _local.put(key, entry)
        else:
            entry = None
    return entry, version


def _replay(request, entry):
    replay: HttpResponse
    if _matches(request, entry["etag"]):
        replay = HttpResponseNotModified()
    else:
        replay = HttpResponse(entry["body"], content_type=entry["content_type"])
    replay["ETag"] = entry["etag"]
    if entry["last_modified"]:
        replay["Last-Modified"] = entry["last_modified"]
    return replay


def _is_plain_anonymous_json(request):
    """A GET/HEAD from an anonymous client that DRF answers in JSON if the URL renders JSON.

    Whether it does (no `.api` suffix, no `?format=api`) needs no check here: the response
    cache keys hold the path and query string, and no JSON entry is stored for a URL that
    renders anything else."""
    return (
        request.method in {"GET", "HEAD"}
        and request.path_info.startswith(API_PREFIX)
        and "HTTP_AUTHORIZATION" not in request.META
        and request.META.get("HTTP_ACCEPT") in _JSON_ACCEPTS
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
    )


def _cached_answer(request):
    """The cached response to a plain anonymous JSON read, counted against the throttles of
    the view that rendered it; None when the view must answer (not such a read, nothing
    cached, or a throttle refuses: the view then answers the 429)."""
    if not settings.API_CACHE_SECONDS or not _is_plain_anonymous_json(request):
        return None
    key = response_key(request, JSON)
    entry, version = _lookup(key)
    if entry is None:
        request.api_cache_missed = (key, version)  # the view need not look again
        return None
    if "throttles" not in entry:
        return None
    # What the lazy user resolves to without a session cookie, at a fraction of the cost;
    # resolving it reads the session, so SessionMiddleware sends `Vary: Cookie` as for the view.
    request.user = AnonymousUser()
    if hasattr(request, "session"):
        request.session.accessed = True
    view, throttle_classes = entry["throttles"]
    if not all(count_all(request, view, [throttle() for throttle in throttle_classes])):
        return None
    replay = _replay(request, entry)
    for name, value in entry["headers"].items():
        replay[name] = value
    return replay


class CachedResponseMiddleware:
    """The innermost middleware: a plain anonymous JSON read whose response is cached is
    answered here, before its URL is resolved or a viewset is built, its throttles counted
    as the view would count them. Every other request goes on to the view."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        answer = _cached_answer(request)
        return self.get_response(request) if answer is None else answer


class ConditionalCacheMixin(ViewSetMixinBase):
    """For viewsets: `cached_response(request, produce)` wraps an action's JSON response.

    A response with a `last_modified` attribute also sends `Last-Modified`; 304s are decided
    by `If-None-Match` only, since a membership change alters a body without touching
    `modified`. Every throttle of a request is counted in one cache round trip
    (`check_throttles`); cached entries name the view's throttles, which
    `CachedResponseMiddleware` counts when it answers from the cache.
    """

    def check_throttles(self, request):
        throttles = self.get_throttles()
        allowed = count_all(request, self, throttles)
        waits = [throttle.wait() for throttle, ok in zip(throttles, allowed, strict=True) if not ok]
        if waits:
            durations = [wait for wait in waits if wait is not None]
            self.throttled(request, max(durations) if durations else None)  # type: ignore[arg-type]  # DRF takes None

    def cached_response(self, request, produce):
        """Serve `produce()`'s JSON response through the cache and the ETag check."""
        if request.accepted_renderer.format != "json":
            return produce()
        timeout = settings.API_CACHE_SECONDS
        request.get_host()  # a host ALLOWED_HOSTS refuses is a 400, never a cache key
        key = response_key(request, request.accepted_media_type)
        missed = getattr(request._request, "api_cache_missed", None)
        if not timeout:
            entry, version = None, None
        elif missed is not None and missed[0] == key:  # the middleware just looked
            entry, version = None, missed[1]
        else:
            entry, version = _lookup(key)
        if entry is None:
            response = produce()
            if response.status_code != 200:
                return response
            entry = self._render(request, response, version)
            if version is not None:
                entry["expires_at"] = time.time() + timeout
                if _is_shared_cache():
                    cache.set(key, entry, timeout)
                _local.put(key, entry)
        return _replay(request, entry)

    def _render(self, request, response, version):
        response.accepted_renderer = request.accepted_renderer
        response.accepted_media_type = request.accepted_media_type
        response.renderer_context = self.get_renderer_context()
        body = response.render().content
        modified = getattr(response, "last_modified", None)
        return {
            "version": version,
            "body": body,
            "etag": _etag(body),
            "content_type": response["Content-Type"],
            "last_modified": http_date(modified.timestamp()) if modified else None,
            "headers": dict(self.default_response_headers),
            # What CachedResponseMiddleware counts a replay against: this view's throttles.
            "throttles": (type(self), tuple(self.throttle_classes)),
        }
