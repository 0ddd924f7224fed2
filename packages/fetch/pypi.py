"""The PyPI JSON API client: `/pypi/{name}/json` -> PyPIProject (metadata plus every release).

The version shown is the newest release by PEP 440 that is neither yanked nor a pre-release,
falling back to the newest non-yanked pre-release when only those exist. The documentation URL
is kept only when it passes the same rules as a documentation URL given to the API.
"""

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from packages.fetch.errors import NotFoundError, UpstreamDataError
from packages.fetch.forges.base import expect_ok, parse_datetime, require
from packages.identifiers import IdentifierError, validate_public_url

if TYPE_CHECKING:
    from packages.fetch.http import HttpClient, Validators

DOCS_KEYS = re.compile(r"^(documentation|docs|doc)\b", re.IGNORECASE)
PYTHON3_CLASSIFIER = "Programming Language :: Python :: 3"
PYTHON3_PREFIXES = (PYTHON3_CLASSIFIER + " ", PYTHON3_CLASSIFIER + ".")
STATUS_PREFIX = "Development Status :: "
LICENSE_PREFIX = "License :: "
DOCUMENTATION_URL_MAX = 255  # Package.documentation_url's max_length


@dataclass(frozen=True)
class PyPIRelease:
    number: str
    upload_time: datetime | None  # None for a release without files
    is_yanked: bool
    is_prerelease: bool
    requires_python: str


@dataclass(frozen=True)
class PyPIProject:
    name: str
    version: str | None
    license: str
    requires_python: str
    development_status: str
    classifiers: tuple[str, ...]
    supports_python3: bool | None
    documentation_url: str
    releases: tuple[PyPIRelease, ...]
    # The release `classifiers` and `requires_python` describe (PyPI's `info.version`).
    metadata_version: str = ""


class PyPIClient:
    label = "pypi"

    def __init__(self, http: "HttpClient", *, base_url: str) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")

    def fetch(self, name: str, *, validators: "Validators | None" = None) -> PyPIProject:
        response = self.http.get(f"{self.base_url}/pypi/{quote(name)}/json", validators=validators)
        if response.status == 404:
            raise NotFoundError(f"pypi: project {name!r} not found")
        expect_ok(response, "pypi")
        return parse_project(name, response.json())


def parse_project(name: str, document: Any) -> PyPIProject:
    require(isinstance(document, dict), "pypi: not an object")
    info = document.get("info")
    require(isinstance(info, dict), "pypi: no 'info' object")
    releases_doc = document.get("releases")
    require(isinstance(releases_doc, dict), "pypi: no 'releases' object")
    classifiers = info.get("classifiers") or []
    require(
        isinstance(classifiers, list) and all(isinstance(c, str) for c in classifiers),
        "pypi: classifiers is not a list of strings",
    )
    requires_python = _text(info.get("requires_python"))[:100]
    releases = tuple(_release(number, files) for number, files in releases_doc.items())
    return PyPIProject(
        name=name,
        version=_pick_version(releases),
        license=_license(info, classifiers)[:255],
        requires_python=requires_python,
        development_status=_development_status(classifiers)[:100],
        classifiers=tuple(classifiers),
        supports_python3=_supports_python3(classifiers, requires_python),
        documentation_url=_documentation_url(info),
        releases=tuple(r for r in releases if r is not None),
        metadata_version=_text(info.get("version"))[:100],
    )


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _release(number: str, files: object) -> PyPIRelease | None:
    if not isinstance(files, list):
        raise UpstreamDataError(f"pypi: release {number!r} files is not a list")
    try:
        parsed = Version(number)
    except InvalidVersion:
        return None
    if len(number) > 100:
        return None
    uploads = [f for f in files if isinstance(f, dict)]
    parsed_times = [
        parse_datetime(f.get("upload_time_iso_8601") or f.get("upload_time")) for f in uploads
    ]
    times = [t for t in parsed_times if t is not None]
    requires = next((_text(f["requires_python"]) for f in uploads if f.get("requires_python")), "")
    return PyPIRelease(
        number=number,
        upload_time=min(times, default=None),
        # A release is yanked when every file of it is; a release without files is not.
        is_yanked=bool(uploads) and all(f.get("yanked") is True for f in uploads),
        is_prerelease=parsed.is_prerelease,
        requires_python=requires[:100],
    )


def _pick_version(releases: tuple[PyPIRelease | None, ...]) -> str | None:
    live = [(Version(r.number), r) for r in releases if r is not None and not r.is_yanked]
    finals = [item for item in live if not item[1].is_prerelease]
    pool = finals or live
    return max(pool, key=lambda item: item[0])[1].number if pool else None


def _license(info: dict[str, Any], classifiers: list[str]) -> str:
    for key in ("license_expression", "license"):
        value = _text(info.get(key))
        if value:
            # Some projects paste the whole license text: keep its first line.
            return value.splitlines()[0].strip()
    for classifier in classifiers:
        if classifier.startswith(LICENSE_PREFIX):
            return classifier.split(" :: ")[-1]
    return ""


def _development_status(classifiers: list[str]) -> str:
    for classifier in classifiers:
        if classifier.startswith(STATUS_PREFIX):
            return classifier[len(STATUS_PREFIX) :]
    return ""


def _supports_python3(classifiers: list[str], requires_python: str) -> bool | None:
    if any(c == PYTHON3_CLASSIFIER or c.startswith(PYTHON3_PREFIXES) for c in classifiers):
        return True
    if requires_python:
        try:
            spec = SpecifierSet(requires_python)
        except InvalidSpecifier:
            return None
        return any(spec.contains(f"3.{minor}") for minor in range(0, 20))
    if any(c.startswith("Programming Language :: Python :: 2") for c in classifiers):
        return False
    return None


def _documentation_url(info: dict[str, Any]) -> str:
    """The first documentation link that the API itself would accept, or ""."""
    urls = info.get("project_urls")
    candidates = []
    if isinstance(urls, dict):
        candidates += [v for k, v in urls.items() if isinstance(k, str) and DOCS_KEYS.match(k)]
    candidates.append(info.get("docs_url"))
    for url in candidates:
        if isinstance(url, str) and 0 < len(url) <= DOCUMENTATION_URL_MAX:
            try:
                accepted = validate_public_url(url)
            except IdentifierError:
                continue
            if accepted:
                return accepted
    return ""
