"""The stats fetcher's HTTP layer; every request to a forge or PyPI goes through HttpClient.get.

client.py     HttpClient: redirects, conditional requests, retries, budgets (the entry point)
transport.py  one bounded exchange: sessions, timeouts, the total deadline, the body cap
budget.py     HostBudget: rate-limit accounting per host
guard.py      the SSRF guard: configured origins only, public addresses for untrusted ones
config.py     HttpConfig, read from settings
response.py   Response
"""

from packages.fetch.http.budget import HostBudget
from packages.fetch.http.client import CallStats, HttpClient, Validators
from packages.fetch.http.config import HttpConfig
from packages.fetch.http.guard import Origin, is_public_address, origin_of
from packages.fetch.http.response import Response

__all__ = [
    "CallStats",
    "HostBudget",
    "HttpClient",
    "HttpConfig",
    "Origin",
    "Response",
    "Validators",
    "is_public_address",
    "origin_of",
]
