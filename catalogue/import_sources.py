"""Reading API v4 JSON for the importer: a file in any accepted form, or every page of a running
API (retries, timeouts, clear one-line errors)."""

import contextlib
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from packages.fetch.http.transport import unreachable_reason

KINDS = ("categories", "packages", "grids")
PAGE_SIZE = 100
TIMEOUT = (5, 30)  # connect, read (seconds)
# {"categories": [...], "grids": [...], "packages": [...]}: API v4 records by kind.
Bundle = dict[str, list[Any]]
# on_page(kind, records fetched so far, total the API reports)
OnPage = Callable[[str, int, Any], None]


class ImporterError(Exception):
    """A source that cannot be read as API v4 JSON at all."""


def as_bundle(data: Any) -> Bundle:
    """Any accepted file form as `{"categories": [...], "grids": [...], "packages": [...]}`.

    Accepted: one package object, a list of them, a paginated page (`results`), or the bundle.
    """
    if isinstance(data, dict) and any(kind in data for kind in KINDS) and "id" not in data:
        bundle = {kind: data.get(kind) or [] for kind in KINDS}
        for kind, records in bundle.items():
            if isinstance(records, dict) and isinstance(records.get("results"), list):
                bundle[kind] = records["results"]
            elif not isinstance(records, list):
                raise ImporterError(f'"{kind}" must be a list of records')
        return bundle
    if isinstance(data, dict) and isinstance(data.get("results"), list):
        data = data["results"]
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise ImporterError("expected a package object, a list, a paginated page or a bundle")
    return {"categories": [], "grids": [], "packages": data}


def load_file(path: str) -> Bundle:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except OSError as exc:
        raise ImporterError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ImporterError(f"{path} is not JSON: {exc}") from exc
    return as_bundle(data)


def build_session(retries: int = 3) -> requests.Session:
    """An HTTP session that retries GETs on connection errors, 429 and 5xx with backoff."""
    session = requests.Session()
    retry = Retry(
        total=retries,
        backoff_factor=0.5,
        status_forcelist=[429, 500, 502, 503, 504],
        allowed_methods=["GET"],
        respect_retry_after_header=True,
    )
    session.mount("http://", HTTPAdapter(max_retries=retry))
    session.mount("https://", HTTPAdapter(max_retries=retry))
    session.headers["Accept"] = "application/json"
    return session


def load_url(
    base_url: str,
    *,
    session: requests.Session | None = None,
    timeout: tuple[float, float] = TIMEOUT,
    on_page: OnPage | None = None,
) -> Bundle:
    """Walk every page of categories, packages and grids of the API v4 at `base_url`.

    `on_page(kind, fetched, total)` is called after each page (for a progress bar).
    """
    session = session or build_session()
    with _quiet_retry_warnings():
        return _load_pages(session, base_url, timeout, on_page)


@contextlib.contextmanager
def _quiet_retry_warnings() -> Iterator[None]:
    """urllib3 logs a multi-line warning per retry; the final error names the reason once."""
    pool_logger = logging.getLogger("urllib3.connectionpool")
    level = pool_logger.level
    pool_logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        pool_logger.setLevel(level)


def _load_pages(
    session: requests.Session,
    base_url: str,
    timeout: tuple[float, float],
    on_page: OnPage | None,
) -> Bundle:
    root = _get_json(session, base_url, timeout)
    if not isinstance(root, dict) or not all(isinstance(root.get(kind), str) for kind in KINDS):
        raise ImporterError(
            f"{base_url} is not an API v4 root (expected JSON linking categories, grids and "
            "packages, e.g. https://djangopackages.org/api/v4/)"
        )
    bundle: Bundle = {}
    for kind in KINDS:
        records: list[Any] = []
        url: str | None = _with_limit(root[kind])
        while url:
            page = _get_json(session, url, timeout)
            if isinstance(page, list):
                records.extend(page)
                url = None
            elif isinstance(page, dict) and isinstance(page.get("results"), list):
                records.extend(page["results"])
                url = page.get("next")
            else:
                raise ImporterError(f"{url} is not an API v4 list page")
            if on_page:
                total = page.get("count") if isinstance(page, dict) else len(records)
                on_page(kind, len(records), total)
        bundle[kind] = records
    return bundle


def _with_limit(url: str) -> str:
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}limit={PAGE_SIZE}" if "limit=" not in url else url


def _get_json(session: requests.Session, url: str, timeout: tuple[float, float]) -> Any:
    try:
        response = session.get(url, timeout=timeout)
    except requests.RequestException as exc:
        timed_out = isinstance(exc, requests.Timeout) or "timed out" in str(exc).lower()
        reason = "timed out" if timed_out else unreachable_reason(exc)
        raise ImporterError(f"cannot fetch {url}: {reason}") from exc
    if response.status_code != 200:
        raise ImporterError(f"{url} answered HTTP {response.status_code}")
    try:
        return response.json()
    except ValueError as exc:
        raise ImporterError(f"{url} did not answer JSON (is it an API v4 URL?)") from exc
