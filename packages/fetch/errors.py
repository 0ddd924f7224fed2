"""The fetcher's errors: what can go wrong talking to an upstream, as the summary counts it.

The HTTP layer raises them; forge and PyPI clients raise them (always `from` the transport error
that caused them); the run records each by its `reason`.
"""


class FetchError(Exception):
    """Fetching from an upstream failed; `reason` is a short code the summary groups by."""

    reason = "error"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        if reason:
            self.reason = reason


class TransportError(FetchError):
    """Connection refused or reset, timeouts, deadlines, 5xx after retries."""

    reason = "connection"
    retryable = True
    unreachable = ""  # why no connection carried an answer (DNS, refused, reset, TLS, timeout)


class BodyTooLargeError(FetchError):
    reason = "too_large"


class RefusedURLError(FetchError):
    """A URL or redirect outside the configured hosts, or to a private address."""

    reason = "refused"


class UpstreamDataError(FetchError):
    """The upstream answered, but not with the JSON shape we need (HTML, truncated, wrong types)."""

    reason = "bad_data"


class NotFoundError(FetchError):
    """The upstream says the repository or project does not exist (404)."""

    reason = "not_found"


class HostStoppedError(Exception):
    """A host's rate limit is spent and resets later than --max-wait: leave it for the next run.

    Not a FetchError on purpose: it is no fault of the package and must never be recorded as one.
    """
