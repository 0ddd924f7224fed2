"""HttpConfig: the HTTP layer's timeouts, caps and retry policy, read from settings.

Settings are the one home of every default (FETCH_CONNECT_TIMEOUT, FETCH_DEADLINE, ...); this
dataclass only carries them, so it has no defaults of its own.
"""

import dataclasses
from dataclasses import dataclass
from typing import Any

from django.conf import settings


@dataclass(frozen=True)
class HttpConfig:
    connect_timeout: float
    read_timeout: float
    deadline: float  # seconds for a whole request: connect, headers and body
    max_bytes: int
    retries: int
    backoff: float  # seconds before the first retry; doubled (with jitter) for each next one
    max_wait: float  # longest wait for a rate-limit reset before the host is stopped
    unreachable_after: int  # connection-level failures in a row that stop a host
    pool_size: int
    user_agent: str

    @classmethod
    def from_settings(cls, **overrides: Any) -> "HttpConfig":
        """The configured values, with `overrides` (e.g. `max_wait` from a command option)."""
        config = cls(
            connect_timeout=settings.FETCH_CONNECT_TIMEOUT,
            read_timeout=settings.FETCH_READ_TIMEOUT,
            deadline=settings.FETCH_DEADLINE,
            max_bytes=settings.FETCH_MAX_BYTES,
            retries=settings.FETCH_RETRIES,
            backoff=settings.FETCH_RETRY_BACKOFF_MS / 1000,
            max_wait=settings.FETCH_MAX_WAIT,
            unreachable_after=settings.FETCH_UNREACHABLE_AFTER,
            pool_size=settings.FETCH_WORKERS,
            user_agent=settings.FETCH_USER_AGENT,
        )
        present = {key: value for key, value in overrides.items() if value is not None}
        return dataclasses.replace(config, **present)
