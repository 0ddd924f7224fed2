"""The clients of one run (one HTTP client shared by every forge, PyPI and pypistats) and fetching
one package from them, without touching the database: its repository and PyPI data, or (a pass
of their own) its download counts. The run parses a package's repository URL once and passes the
reference (`RepoRef`) to everything here."""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from packages.fetch.config import DOWNLOADS, SOURCE_KIND, FetcherConfig, ForgeSite
from packages.fetch.forges import CLIENTS, Forge
from packages.fetch.forges.base import FetchError, HostStoppedError, NotFoundError
from packages.fetch.http import HttpClient, Origin
from packages.fetch.models import Source
from packages.fetch.pypi import PyPIClient
from packages.fetch.pypistats import PyPIStatsClient, fetch_downloads
from packages.fetch.state import FORGE_SOURCES
from packages.fetch.store import FetchResult
from packages.fetch.validators import StoredValidators
from packages.identifiers import IdentifierError, normalize_pypi_name
from packages.models import Package
from packages.repositories import RepoRef

logger = logging.getLogger(__name__)


@dataclass
class Clients:
    http: HttpClient
    forges: dict[str, Forge]
    pypi: PyPIClient
    pypistats: PyPIStatsClient | None = None

    def forge_for(self, repo: RepoRef | None) -> Forge | None:
        """The client of the repository's host; None when it is no configured forge."""
        return self.forges.get(repo.host) if repo is not None else None

    def hosts_of(
        self, repo: RepoRef | None, pypi_url: str, *, source: str | None = None
    ) -> set[str]:
        """The labels of the hosts a package with these identifiers is fetched from."""
        if source == DOWNLOADS:
            return {PyPIStatsClient.label} if pypi_url else set()
        forge = self.forge_for(repo)
        labels = {forge.label} if forge is not None else set()
        if pypi_url:
            labels.add(self.pypi.label)
        return labels

    def close(self) -> None:
        self.http.close()


def build_clients(config: FetcherConfig, *, http: HttpClient | None = None) -> Clients:
    """The HTTP client and one client per configured site, sharing pools and rate budgets."""
    if http is None:
        origins = {s.api_url: Origin(s.label, trusted=s.trusted) for s in config.sites}
        origins[config.pypi_url] = Origin("pypi")
        if config.pypistats_url:
            origins[config.pypistats_url] = Origin(PyPIStatsClient.label)
        probes = {s.label: f"{s.api_url.rstrip('/')}/rate_limit" for s in config.sites}
        probes = {label: url for label, url in probes.items() if label == "github"}
        http = HttpClient(origins, config=config.http, probes=probes)
    forges = build_forges(http, config.sites, max_pages=config.max_pages)
    for forge in forges.values():
        if hasattr(forge, "computing_delay"):
            forge.computing_delay = config.computing_delay
    pypistats = None
    if config.pypistats_url:
        pypistats = PyPIStatsClient(
            http, base_url=config.pypistats_url, requests_per_second=config.pypistats_rate
        )
    pypi = PyPIClient(http, base_url=config.pypi_url)
    return Clients(http=http, forges=forges, pypi=pypi, pypistats=pypistats)


def build_forges(
    http: HttpClient, sites: Iterable[ForgeSite], *, max_pages: int = 20
) -> dict[str, Forge]:
    """{web host: client} for every configured site."""
    return {
        site.host: CLIENTS[site.kind](
            http, api_url=site.api_url, label=site.label, token=site.token, max_pages=max_pages
        )
        for site in sites
    }


def fetch_package(
    package: Package,
    repo: RepoRef | None,
    clients: Clients,
    *,
    source: str | None = None,
    validators: StoredValidators | None = None,
    now: datetime | None = None,
) -> FetchResult:
    """Fetch one package's repository (`repo`, parsed from its repo_url) and PyPI data (or only
    `source`); no database writes.

    Download counts are not asked here: they have a pass of their own (`fetch_package_downloads`).

    HostStoppedError (a rate limit spent, or the host unreachable) propagates: the package is
    no fault of its own and must be left untouched for the next run.
    """
    result = FetchResult()
    if package.repo_url:
        forge = clients.forge_for(repo)
        if forge is None or repo is None:
            result.notes.append("repository host is not a configured forge: not fetched")
        elif source is not None and SOURCE_KIND.get(source) != forge.kind:
            result.complete = False
        else:
            errors_before = len(result.errors)
            try:
                stats = forge.fetch(repo, validators=validators, now=now)
            except NotFoundError as exc:
                result.repo_missing = True
                missing = FetchError(f"{forge.label}: {exc}", reason="not_found")
                result.attempted[FORGE_SOURCES[forge.kind]] = missing
            except HostStoppedError:
                raise
            except FetchError as exc:
                result.errors.append(_named(forge.label, exc))
            except Exception as exc:  # a bug must cost one package, never the run
                logger.exception("fetching %s from %s", package.repo_url, forge.label)
                result.errors.append(FetchError(f"{forge.label}: {exc!r}", reason="error"))
            else:
                result.repo = stats
                result.errors += [_named(forge.label, e) for e in stats.errors]
                result.notes += [f"{forge.label}: {n}" for n in stats.notes]
            if not result.repo_missing:
                failed = result.errors[errors_before:]
                result.attempted[FORGE_SOURCES[forge.kind]] = failed[0] if failed else None
    if package.pypi_url:
        if source not in (None, "pypi"):
            result.complete = False
        else:
            errors_before = len(result.errors)
            try:
                name = normalize_pypi_name(package.pypi_url)
                result.project = clients.pypi.fetch(name, validators=validators)
            except IdentifierError as exc:
                result.errors.append(FetchError(f"pypi: {exc}", reason="bad_name"))
            except HostStoppedError:
                raise
            except FetchError as exc:
                result.errors.append(_named(clients.pypi.label, exc))
            except Exception as exc:
                logger.exception("fetching %s from PyPI", package.pypi_url)
                result.errors.append(FetchError(f"pypi: {exc!r}", reason="error"))
            failed = result.errors[errors_before:]
            result.attempted[Source.PYPI] = failed[0] if failed else None
    return result


def fetch_package_downloads(
    package: Package, clients: Clients, *, validators: StoredValidators | None = None
) -> FetchResult:
    """Ask pypistats for one package's downloads (`--source downloads`); no database writes."""
    result = FetchResult(complete=False, downloads_only=True)
    if clients.pypistats is None:
        result.notes.append("pypistats: PYPISTATS_URL is empty: not asked")
        return result
    try:
        name = normalize_pypi_name(package.pypi_url)
    except IdentifierError as exc:
        result.downloads_error = FetchError(f"pypistats: {exc}", reason="bad_name")
        result.attempted[Source.PYPISTATS] = result.downloads_error
        return result
    result.downloads, result.downloads_error = fetch_downloads(
        clients.pypistats, name, validators=validators
    )
    if result.downloads is not None or result.downloads_error is not None:
        result.attempted[Source.PYPISTATS] = result.downloads_error
    return result


def _named(label: str, error: FetchError) -> FetchError:
    """The error with its host's label in front, once (clients often name themselves already)."""
    text = str(error)
    if not text.startswith(f"{label}:"):
        text = f"{label}: {text}"
    return FetchError(text, reason=error.reason)
