"""Whose address a request comes from, and whether the proxy set-up lets us tell clients apart.

The client is the socket peer unless `TRUSTED_PROXY_COUNT` (DRF's `NUM_PROXIES`) says how many
proxies in front append to `X-Forwarded-For`; then it is the address that many entries from the
end (what the outermost proxy appended), which no client can forge.

Two set-ups make every visitor look alike, or let them pick their own address; both are said at
start-up (the log, and `check --deploy`) and on /healthz:
- behind a proxy with `TRUSTED_PROXY_COUNT=0`: `TRUST_X_FORWARDED_PROTO=1` says a proxy is in
  front; at run time, the first requests all came from one private address carrying
  `X-Forwarded-For`. Every client then shares that address's throttle budget.
- `TRUSTED_PROXY_COUNT` larger than the entries a request carries: the address read is one the
  client wrote.
"""

import functools
import ipaddress
import logging
import threading
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, register
from django.core.checks import Warning as CheckWarning
from rest_framework.settings import api_settings

logger = logging.getLogger(__name__)

# Requests seen, all from one private peer with X-Forwarded-For, before the set-up is reported.
SUSPECT_AFTER = 20
_BEHIND_PROXY = (
    "Every request came from {peer} with X-Forwarded-For while TRUSTED_PROXY_COUNT=0: every "
    "client shares that proxy's throttle budget. Set TRUSTED_PROXY_COUNT to the number of "
    "proxies in front (README, Deployment)."
)
_TOO_MANY = (
    "TRUSTED_PROXY_COUNT={count}, but a request from {peer} carried {entries} X-Forwarded-For "
    "address(es): the address used is one the client wrote. Set it to the number of proxies "
    "in front."
)
_TLS_PROXY = (
    "TRUST_X_FORWARDED_PROTO=1 (a TLS proxy in front) with TRUSTED_PROXY_COUNT=0: every client "
    "looks like the proxy and shares one throttle budget. Set TRUSTED_PROXY_COUNT=1 (README, "
    "Deployment)."
)


def client_address(request: Any) -> str:
    """The client's address (DRF's rule, read from META: `request.headers` would build a dict
    of every header); what it sees feeds `proxy_watch`."""
    meta = request.META
    forwarded = meta.get("HTTP_X_FORWARDED_FOR")
    peer = meta.get("REMOTE_ADDR") or ""
    count = api_settings.NUM_PROXIES
    proxy_watch().observe(peer, forwarded, count)
    if count is None:
        return "".join(forwarded.split()) if forwarded else peer
    if count == 0 or forwarded is None:
        return peer
    entries = forwarded.split(",")
    return entries[-min(count, len(entries))].strip()


def _is_private(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_private
    except ValueError:
        return False


class ProxyWatch:
    """What this process has seen of its peers: enough to tell a misconfigured proxy set-up."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.peer: str | None = None  # the one private peer seen so far, forwarding
        self.suspect = 0  # requests from it with X-Forwarded-For while TRUSTED_PROXY_COUNT=0
        self.mixed = False  # another peer, or a request without the header, was seen
        self.short: str | None = None  # a warning about too few forwarded entries
        self.logged: set[str] = set()

    def observe(self, peer: str, forwarded: str | None, count: int | None) -> None:
        if count == 0 and not self.mixed:
            if forwarded is not None and _is_private(peer) and self.peer in (None, peer):
                self.peer, self.suspect = peer, self.suspect + 1
                if self.suspect == SUSPECT_AFTER:
                    self._log(_BEHIND_PROXY.format(peer=peer))
            else:
                self.mixed = True
        elif count and forwarded is not None and self.short is None:
            entries = len(forwarded.split(","))
            if entries < count:
                self.short = _TOO_MANY.format(count=count, peer=peer, entries=entries)
                self._log(self.short)

    def warnings(self) -> list[str]:
        found = []
        if self.suspect >= SUSPECT_AFTER and not self.mixed:
            found.append(_BEHIND_PROXY.format(peer=self.peer))
        if self.short is not None:
            found.append(self.short)
        return found

    def _log(self, message: str) -> None:
        with self.lock:
            if message in self.logged:
                return
            self.logged.add(message)
        logger.warning(message)


@functools.cache
def proxy_watch() -> ProxyWatch:
    """What this process saw of its peers: made on first use, again by `forget_process_state`."""
    return ProxyWatch()


def forget_process_state(*, setting: str, **kwargs: Any) -> None:
    """`setting_changed` receiver (connected in `ApiConfig.ready`): what was seen of the peers
    is judged against the proxy set-up (REST_FRAMEWORK's NUM_PROXIES, SECURE_PROXY_SSL_HEADER),
    so it is forgotten when that changes."""
    if setting in {"REST_FRAMEWORK", "SECURE_PROXY_SSL_HEADER"}:
        proxy_watch.cache_clear()


def configuration_warnings() -> list[str]:
    """What the settings alone say is wrong: a TLS proxy in front, no proxy trusted."""
    behind_tls_proxy = getattr(settings, "SECURE_PROXY_SSL_HEADER", None) is not None
    return [_TLS_PROXY] if behind_tls_proxy and api_settings.NUM_PROXIES == 0 else []


def proxy_warnings() -> list[str]:
    """Everything known to be wrong with the proxy set-up, for /healthz."""
    return configuration_warnings() + proxy_watch().warnings()


def log_configuration_warnings() -> None:
    """Say at start-up (djangopackages.wsgi) what the settings alone show."""
    for message in configuration_warnings():
        logger.warning(message)


@register(Tags.security, deploy=True)
def check_proxy_settings(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """`manage.py check --deploy`: api.W001 behind a TLS proxy with no proxy trusted."""
    return [CheckWarning(message, id="api.W001") for message in configuration_warnings()]
