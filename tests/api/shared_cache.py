"""A stand-in for Redis in tests: process memory that api.caching treats as a shared cache."""

from django.core.cache.backends.locmem import LocMemCache


class SharedMemoryCache(LocMemCache):
    """LocMemCache under another class: the response cache keeps its version and entries in
    it, as it does in Redis."""
