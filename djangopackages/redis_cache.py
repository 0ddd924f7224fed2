"""Django's Redis cache backend, keeping one client per connection pool.

The stock backend builds a new `redis.Redis` for every cache operation, and redis-py fills a
callbacks table of a few hundred entries each time: about 0.1 ms per operation, on every
request the throttles and the response cache touch. A client is thread-safe and holds no
connection of its own (its pool does), so one per pool is reused.
"""

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class PooledClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)  # type: ignore[attr-defined]
        return client


class PooledRedisCache(RedisCache):
    """`django.core.cache.backends.redis.RedisCache` reusing its clients."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = PooledClientRedisCacheClient
