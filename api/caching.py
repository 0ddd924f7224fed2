"""Conditional GET and a cache of rendered JSON responses, dropped whenever the catalogue changes.

Every JSON 200 carries an `ETag` (a hash of its body). The rendered body is kept in the Django
cache for `API_CACHE_SECONDS`, tagged with the catalogue version; any save or delete of a
category, package, version, grid, membership, feature or cell draws a new version, so the
next request renders afresh. A cached entry answers a matching `If-None-Match` with a 304,
and any other request with its body, without touching the database or the serializers.

Each process also keeps its recent entries in memory and re-reads the shared version at most
once per `LOCAL_VERSION_SECONDS`, so a warm request makes no network round trip at all: a write
is seen at once by the process that made it and within that second by the others.

Writes that bypass model signals (`QuerySet.update()`, `bulk_create()`) are seen once the
entries expire; callers doing bulk writes can call `bump_catalogue_version()`.
"""

import hashlib
import threading
import time
import uuid
from collections import OrderedDict

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse, HttpResponseNotModified
from django.utils.http import http_date, parse_etags

from api.mixin_base import ViewSetMixinBase

VERSION_KEY = "api:catalogue-version"
LOCAL_VERSION_SECONDS = 1.0
LOCAL_ENTRIES = 2000


class _LocalEntries:
    """This process's most recently used entries, all of one catalogue version."""

    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self, version=None):
        with self.lock:
            self.entries = OrderedDict()
            self.version = version
            self.checked_at = time.monotonic()

    def current_version(self):
        if self.version is None or time.monotonic() - self.checked_at > LOCAL_VERSION_SECONDS:
            version = cache.get(VERSION_KEY) or _new_version()
            if version != self.version:
                self.reset(version)
            else:
                self.checked_at = time.monotonic()
        return self.version

    def get(self, key):
        with self.lock:
            entry = self.entries.get(key)
            if entry is None or entry["expires_at"] < time.time():
                return None
            self.entries.move_to_end(key)
            return entry

    def put(self, key, entry):
        with self.lock:
            if entry["version"] != self.version:
                return
            self.entries[key] = entry
            while len(self.entries) > LOCAL_ENTRIES:
                self.entries.popitem(last=False)


_local = _LocalEntries()


def reset_local_entries():
    """Forget this process's entries and version (tests do, between cases)."""
    _local.reset()


def bump_catalogue_version(**_signal_kwargs):
    """Make every cached API response stale: now, and again when the transaction commits.

    The second bump covers a reader that cached the old rows between the write and the commit.
    """
    _new_version()
    transaction.on_commit(_new_version)


def _new_version():
    version = uuid.uuid4().hex
    cache.set(VERSION_KEY, version, None)
    _local.reset(version)
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


class ConditionalCacheMixin(ViewSetMixinBase):
    """For viewsets: `cached_response(request, produce)` wraps an action's JSON response.

    A response with a `last_modified` attribute also sends `Last-Modified`; 304s are decided
    by `If-None-Match` only, since a membership change alters a body without touching
    `modified`.
    """

    def cached_response(self, request, produce):
        """Serve `produce()`'s JSON response through the cache and the ETag check."""
        if request.accepted_renderer.format != "json":
            return produce()
        timeout = settings.API_CACHE_SECONDS
        path_hash = hashlib.blake2b(request.get_full_path().encode(), digest_size=16).hexdigest()
        key = f"api:response:{request.accepted_media_type}:{path_hash}"
        entry, version = None, None
        if timeout:
            version = _local.current_version()
            entry = _local.get(key)
            if entry is None:
                entry = cache.get(key)
                if entry is not None and entry["version"] == version:
                    _local.put(key, entry)
                else:
                    entry = None
        if entry is None:
            response = produce()
            if response.status_code != 200:
                return response
            entry = self._render(request, response, version)
            if timeout:
                entry["expires_at"] = time.time() + timeout
                cache.set(key, entry, timeout)
                _local.put(key, entry)
        replay: HttpResponse
        if _matches(request, entry["etag"]):
            replay = HttpResponseNotModified()
        else:
            replay = HttpResponse(entry["body"], content_type=entry["content_type"])
        replay["ETag"] = entry["etag"]
        if entry["last_modified"]:
            replay["Last-Modified"] = entry["last_modified"]
        return replay

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
        }
