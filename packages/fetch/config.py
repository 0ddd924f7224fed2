"""What a fetch run reads from settings (API roots, tokens, hosts, the FETCH_* knobs), once per run.

Every default lives in djangopackages/settings.py; this module only reads and checks them, when a
run starts (never at import), so tests can override settings per test. It is the one place that
turns the hosts we fetch from (`packages.repositories`) into forge sites: which API speaks at a
host, where, and with which token.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from packages.fetch.http import HttpConfig
from packages.repositories import self_hosted_forgejo_hosts, self_hosted_gitlab_hosts

# The download counts (pypistats) are a source of their own: its own pass, staleness and order.
DOWNLOADS = "downloads"
SOURCES = ("github", "gitlab", "bitbucket", "codeberg", "pypi", DOWNLOADS)
# --source name -> the forge kind that serves it (PyPI is not a forge).
SOURCE_KIND = {
    "github": "github",
    "gitlab": "gitlab",
    "bitbucket": "bitbucket",
    "codeberg": "forgejo",
}
API_URL_SETTINGS = (
    "GITHUB_API_URL",
    "GITLAB_API_URL",
    "BITBUCKET_API_URL",
    "CODEBERG_API_URL",
    "PYPI_URL",
)
# The public forges: web host, API kind, label, the setting naming its API root, its token's.
PUBLIC_SITES = (
    ("github.com", "github", "github", "GITHUB_API_URL", "GITHUB_TOKEN"),
    ("gitlab.com", "gitlab", "gitlab", "GITLAB_API_URL", "GITLAB_TOKEN"),
    ("bitbucket.org", "bitbucket", "bitbucket", "BITBUCKET_API_URL", ""),
    ("codeberg.org", "forgejo", "codeberg", "CODEBERG_API_URL", ""),
)


@dataclass(frozen=True)
class ForgeSite:
    """A code host: the web host repo URLs name, which API speaks there, and where it lives.

    `trusted` sites are our configured API base URLs; self-hosted ones must resolve to public
    addresses before we talk to them.
    """

    host: str
    kind: str
    api_url: str
    label: str
    token: str = ""
    trusted: bool = True


def forge_sites(api_urls: dict[str, str]) -> list[ForgeSite]:
    """Every host we fetch from, as a site: the public forges at the API roots `api_urls` names
    (by setting), then the self-hosted instances (GITLAB_HOSTS, FORGEJO_HOSTS)."""
    sites = [
        ForgeSite(host, kind, api_urls[url], label, getattr(settings, token) if token else "")
        for host, kind, label, url, token in PUBLIC_SITES
    ]
    for host in self_hosted_gitlab_hosts():
        sites.append(ForgeSite(host, "gitlab", f"https://{host}/api/v4", host, trusted=False))
    for host in self_hosted_forgejo_hosts():
        sites.append(ForgeSite(host, "forgejo", f"https://{host}/api/v1", host, trusted=False))
    return sites


@dataclass(frozen=True)
class FetcherConfig:
    """Everything the fetcher reads from settings, read when a run starts."""

    sites: tuple[ForgeSite, ...]
    pypi_url: str
    http: HttpConfig
    workers: int
    stale_after_hours: float
    max_pages: int
    lease_seconds: int
    max_failures: int
    failure_backoff_hours: float
    computing_delay: float
    pypistats_url: str = ""  # empty: the downloads source is off
    pypistats_rate: float = 2.0
    downloads_stale_after_hours: float = 24.0

    @classmethod
    def from_settings(
        cls, *, workers: int | None = None, max_wait: float | None = None
    ) -> "FetcherConfig":
        """The run's configuration; `workers` and `max_wait` override their settings."""
        urls = {name: getattr(settings, name) for name in API_URL_SETTINGS}
        for name, url in urls.items():
            if not isinstance(url, str) or not url.startswith(("http://", "https://")):
                raise ImproperlyConfigured(f"{name} must be an http(s) URL, not {url!r}")
        sites = forge_sites(urls)
        pypistats_url = settings.PYPISTATS_URL
        if pypistats_url and not pypistats_url.startswith(("http://", "https://")):
            raise ImproperlyConfigured(
                f"PYPISTATS_URL must be an http(s) URL, not {pypistats_url!r}"
            )
        workers = workers or settings.FETCH_WORKERS
        if workers < 1:
            raise ImproperlyConfigured("--workers must be at least 1")
        http = HttpConfig.from_settings(max_wait=max_wait, pool_size=workers)
        return cls(
            sites=tuple(sites),
            pypi_url=urls["PYPI_URL"],
            http=http,
            workers=workers,
            stale_after_hours=settings.FETCH_STALE_AFTER_HOURS,
            max_pages=settings.FETCH_MAX_PAGES,
            lease_seconds=settings.FETCH_LEASE_SECONDS,
            max_failures=settings.FETCH_MAX_FAILURES,
            failure_backoff_hours=settings.FETCH_FAILURE_BACKOFF_HOURS,
            computing_delay=settings.FETCH_COMPUTING_DELAY_MS / 1000,
            pypistats_url=pypistats_url,
            pypistats_rate=settings.PYPISTATS_REQUESTS_PER_SECOND,
            downloads_stale_after_hours=settings.PYPISTATS_STALE_AFTER_HOURS,
        )
