"""The SSRF guard: which URLs the fetcher may ever contact.

Only http(s) URLs under a configured API base URL pass, never with credentials in them; an
untrusted origin (a self-hosted instance named by an operator) must also resolve to public
addresses only, every one of them, so a name with one public and one private answer is refused.
"""

import ipaddress
import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from packages.fetch.errors import RefusedURLError, TransportError

Resolver = Callable[..., Sequence[tuple[Any, ...]]]


@dataclass(frozen=True)
class Origin:
    """A host we may talk to: its label in the summary, and whether it is trusted by name.

    Configured API base URLs are trusted even when they resolve to loopback (tests, a local
    stub); self-hosted instances must resolve to public addresses.
    """

    label: str
    trusted: bool = True


def origin_of(url: str) -> str:
    """`https://API.github.com:443/x` -> `https://api.github.com`; "" for a malformed port."""
    parts = urlsplit(url)
    scheme = (parts.scheme or "").lower()
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        return ""
    if port is None or (scheme, port) in {("http", 80), ("https", 443)}:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def base_of(url: str) -> str:
    """Origin plus path without a trailing slash: what configured base URLs are compared by."""
    return origin_of(url) + urlsplit(url).path.rstrip("/")


def is_public_address(address: str) -> bool:
    """True for a globally routable IP; loopback, private, link-local, reserved... are not."""
    ip = ipaddress.ip_address(address.split("%")[0])
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
    )


class OriginGuard:
    """The configured API base URLs, longest first, and the check every URL passes."""

    def __init__(self, origins: Mapping[str, Origin], *, resolver: Resolver | None = None) -> None:
        # Longest base first: several APIs may share one origin (a local stub serves them all).
        self.bases = sorted(
            ((base_of(url), origin) for url, origin in origins.items()),
            key=lambda item: len(item[0]),
            reverse=True,
        )
        self.resolver: Resolver = resolver or socket.getaddrinfo

    def check(self, url: str) -> Origin:
        """Refuse anything but http(s) to a configured origin (and, if untrusted, public IPs)."""
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise RefusedURLError(f"refused non-http(s) URL {url!r}")
        if parts.username or parts.password:
            raise RefusedURLError(f"refused URL with credentials {url!r}")
        here = base_of(url)
        origin = next(
            (o for base, o in self.bases if here == base or here.startswith(base + "/")), None
        )
        if origin is None:
            raise RefusedURLError(f"refused {origin_of(url)}{parts.path}: not a configured API")
        if not origin.trusted:
            self.check_resolves_public(parts.hostname, parts.port or 443)
        return origin

    def check_resolves_public(self, host: str, port: int) -> None:
        """Every address `host` resolves to must be public: one private answer refuses it."""
        try:
            infos = self.resolver(host, port, proto=socket.IPPROTO_TCP)
        except OSError as exc:
            error = TransportError(f"{host}: cannot resolve ({exc})")
            error.unreachable = "DNS lookup failed"
            raise error from exc
        if not infos:
            error = TransportError(f"{host}: resolves to no address")
            error.unreachable = "DNS lookup failed"
            raise error
        for info in infos:
            address = str(info[4][0])
            if not is_public_address(address):
                raise RefusedURLError(f"refused {host}: resolves to non-public {address}")
