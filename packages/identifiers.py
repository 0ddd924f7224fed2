"""Canonical forms of what identifies a package upstream: repository URLs and PyPI names.

`https://GitHub.com/o/r.git/`, `http://www.github.com/o/r` and `https://github.com/o/r` are one
repository; `Django_REST.framework` and `django-rest-framework` are one PyPI project (PEP 503).
`repo_identity` is the key that makes one repository one package (the repository's parts come
from `packages.repositories.parse_repo_url`). `pypi_project_url` is the one place a stored name
becomes its PyPI page's URL.
"""

import re
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from packages.repositories import CASE_INSENSITIVE_FORGES, parse_repo_url

_PRIVATE_SUFFIXES = (".localhost", ".local", ".internal", ".lan", ".home.arpa", ".intranet")
PYPI_HOSTS = {"pypi.org", "pypi.python.org", "www.pypi.org"}
_PEP503_SEPARATORS = re.compile(r"[-_.]+")
_PYPI_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)


class IdentifierError(ValueError):
    """A repository URL or PyPI name that cannot be normalized."""


def pypi_project_url(name: str) -> str:
    """The stored PEP 503 project name as its PyPI page ("" when not on PyPI)."""
    return f"https://pypi.org/project/{name}/" if name else ""


def normalize_repo_url(url: str | None) -> str:
    """Return the canonical form of a repository URL ("" stays ""); raise IdentifierError.

    https scheme; the host as a resolver reads it (percent-decoded, IDNA/NFKC-mapped, lower
    case, without the root's trailing dot) and without `www.`; no credentials, query or
    fragment; the path percent-decoded (`%2F` is a slash, `%72` an `r`) and encoded again one
    way, slashes collapsed, no trailing slash and no `.git` suffix. Refused: control characters
    or lone surrogates (written or percent-encoded), escapes that are not UTF-8, and `.` or
    `..` path segments, none of which names a repository.
    """
    if _UNPRINTABLE.search(url or ""):
        raise IdentifierError(f"URL contains control characters: {_shown(url or '')}")
    url = (url or "").strip()
    if not url:
        return ""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise IdentifierError(f"not a valid URL: {_shown(url)}") from None
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
        raise IdentifierError(f"not an http(s) URL: {_shown(url)}")
    host = _ascii_host(parts.hostname, url).removeprefix("www.")
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    try:
        path = unquote(parts.path, errors="strict")
    except UnicodeDecodeError:
        raise IdentifierError(f"not a valid URL path: {_shown(url)}") from None
    segments = [segment for segment in path.split("/") if segment]
    if _UNPRINTABLE.search(path) or {".", ".."} & set(segments):
        raise IdentifierError(f"not a valid URL path: {_shown(url)}")
    path = "/".join(segments)
    if path.lower().endswith(".git"):
        path = path[:-4].rstrip("/")
    path = quote(f"/{path}" if path else "", safe=_PATH_SAFE)
    return urlunsplit(("https", netloc, path, "", ""))


# Controls (C0, DEL) and lone surrogates: never part of a URL, written or percent-decoded.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")
# What stays unescaped in a normalized path (RFC 3986 unreserved, sub-delims, ":" and "@").
_PATH_SAFE = "/-._~!$&'()*+,;=:@"


def _shown(url: str) -> str:
    """A URL as an error message quotes it: at most 200 characters, escapes visible."""
    return ascii(url[:200])


def repo_identity(url: str) -> str:
    """The key every URL of one repository shares ("" for none); raises IdentifierError.

    On GitHub, GitLab, Bitbucket and Codeberg: `host/owner/name`, lower case, whatever follows
    (`/tree/main`, `.git`, slashes) dropped. Elsewhere the normalized URL without its scheme,
    since an unknown host's paths and their case may matter.
    """
    url = normalize_repo_url(url)
    if not url:
        return ""
    ref = parse_repo_url(url)
    if ref is None or ref.host not in CASE_INSENSITIVE_FORGES:
        return url.removeprefix("https://")
    return f"{ref.host}/{ref.owner.lower()}/{ref.name.lower()}"


def normalize_pypi_name(value: str | None) -> str:
    """Return the PEP 503 name of a PyPI project from its name or project page URL ("" stays "")."""
    value = (value or "").strip()
    if not value:
        return ""
    if "://" in value:
        parts = urlsplit(value)
        if (parts.hostname or "").lower() not in PYPI_HOSTS:
            raise IdentifierError(f"not a PyPI project URL: {value!r}")
        segments = [s for s in parts.path.split("/") if s]
        if len(segments) < 2 or segments[0] not in {"project", "pypi", "simple"}:
            raise IdentifierError(f"not a PyPI project URL: {value!r}")
        value = segments[1]
    if not _PYPI_NAME.match(value):
        raise IdentifierError(f"not a valid PyPI project name: {value!r}")
    return _PEP503_SEPARATORS.sub("-", value).lower()


def validate_public_url(url: str | None) -> str:
    """Check that a URL a user submits points at a public web site; return it stripped.

    Refused: schemes other than http(s), credentials (`user@`), a non-default port, an IP
    literal, and host names that only resolve inside a network (`localhost`, `*.local`,
    `*.internal`, single-label names). DNS is not consulted here; the fetcher checks the
    addresses it actually connects to.
    """
    url = (url or "").strip()
    if not url:
        return ""
    if any(ord(char) < 33 or ord(char) == 127 for char in url):
        raise IdentifierError("URL contains spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise IdentifierError(f"not a valid URL: {url!r}") from None
    if parts.scheme.lower() not in {"http", "https"}:
        raise IdentifierError("only http and https URLs are accepted")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise IdentifierError("URLs with credentials (user@host) are not accepted")
    if port is not None and port not in (80, 443):
        raise IdentifierError("URLs with a non-default port are not accepted")
    host = _ascii_host(parts.hostname or "", url)
    if _is_address(host):
        raise IdentifierError("URLs naming an IP address are not accepted; use a host name")
    if host == "localhost" or host.endswith(_PRIVATE_SUFFIXES) or "." not in host:
        raise IdentifierError(f"{host!r} is not a public host name")
    return url


def _ascii_host(host: str, url: str) -> str:
    """The host as a resolver sees it: percent-decoded, NFKC/IDNA-mapped (full-width digits and
    dots become ASCII), lower case, without the root's trailing dot."""
    try:
        ascii_host = unquote(host, errors="strict").encode("idna").decode("ascii")
    except UnicodeError:
        raise IdentifierError(f"not a valid host name: {url!r}") from None
    ascii_host = ascii_host.lower().rstrip(".")
    if not ascii_host:
        raise IdentifierError(f"not a valid URL: {url!r}")
    return ascii_host


_NUMBER = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")


def _is_address(host: str) -> bool:
    """True for any spelling a resolver reads as an IP address.

    IPv4 per inet_aton and the URL standard: one to four dotted parts, each decimal, octal
    (leading 0) or hex (0x), the last filling the remaining bytes (`127.1`, `0177.0.0.1`,
    `0x7f.1`, `2130706433`). A host whose last label is a number is read as an address (and
    refused even when out of range): no public top-level domain is numeric.
    """
    if ":" in host:
        return True  # IPv6 (a host name never holds a colon)
    return bool(_NUMBER.match(host.rsplit(".", 1)[-1]))
