"""Canonical forms of what identifies a package upstream: repository URLs and PyPI names.

`https://GitHub.com/o/r.git/`, `http://www.github.com/o/r` and `https://github.com/o/r` are one
repository; `Django_REST.framework` and `django-rest-framework` are one PyPI project (PEP 503).
"""

import re
from urllib.parse import urlsplit, urlunsplit

PYPI_HOSTS = {"pypi.org", "pypi.python.org", "www.pypi.org"}
_PEP503_SEPARATORS = re.compile(r"[-_.]+")
_PYPI_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)


class IdentifierError(ValueError):
    """A repository URL or PyPI name that cannot be normalized."""


def normalize_repo_url(url):
    """Return the canonical form of a repository URL ("" stays "").

    https scheme, lower-case host without `www.`, no credentials, no query or fragment,
    no trailing slash and no `.git` suffix.
    """
    url = (url or "").strip()
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
        raise IdentifierError(f"not an http(s) URL: {url!r}")
    host = parts.hostname.lower()
    if host.startswith("www."):
        host = host[4:]
    netloc = host if parts.port in (None, 80, 443) else f"{host}:{parts.port}"
    path = re.sub(r"/+", "/", parts.path).rstrip("/")
    if path.lower().endswith(".git"):
        path = path[:-4].rstrip("/")
    return urlunsplit(("https", netloc, path, "", ""))


def normalize_pypi_name(value):
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
