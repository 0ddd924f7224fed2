"""Bootstrap the catalogue from API v4 JSON: a file, or every page of a running API.

`load_file` / `load_url` turn a source into a bundle `{"categories", "grids", "packages"}`;
`import_bundle` upserts it by id, keeping ids, slugs, every field and the created / modified /
last_fetched timestamps. A record that cannot be stored is skipped and reported with its
index and reason; everything else still imports. Grids' package lists rebuild memberships;
a package's own `grids` links add memberships to grids the bundle does not describe.
"""

import json
import re
from dataclasses import dataclass, field
from datetime import UTC
from urllib.parse import urlsplit

import requests
from django.core.exceptions import ValidationError
from django.core.management.color import no_style
from django.db import DatabaseError, connection, transaction
from django.db.models import CharField, TextField
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from categories.models import Category
from grids.models import Grid, GridPackage
from packages.models import Package

KINDS = ("categories", "packages", "grids")
PAGE_SIZE = 100
TIMEOUT = (5, 30)  # connect, read (seconds)

CATEGORY_FIELDS = ["title", "slug", "description", "title_plural", "show_pypi"]
PACKAGE_FIELDS = [
    "title",
    "slug",
    "repo_url",
    "repo_description",
    "repo_watchers",
    "repo_forks",
    "participants",
    "commits_over_52",
    "pypi_url",
    "pypi_version",
    "documentation_url",
]
GRID_FIELDS = ["title", "slug", "description", "is_locked", "header"]
TIMESTAMPS = {
    "categories": ["created", "modified"],
    "packages": ["created", "modified", "last_fetched", "last_updated"],
    "grids": ["created", "modified"],
}
_LINK = re.compile(r"/(categories|grids|packages)/(\d+)/?$")


class ImporterError(Exception):
    """A source that cannot be read as API v4 JSON at all."""


@dataclass
class Skipped:
    kind: str
    index: int
    reason: str

    def __str__(self):
        return f"{self.kind}[{self.index}]: {self.reason}"


@dataclass
class ImportReport:
    created: dict = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    updated: dict = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    skipped: list = field(default_factory=list)
    warnings: list = field(default_factory=list)


def as_bundle(data):
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


def load_file(path):
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except OSError as exc:
        raise ImporterError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ImporterError(f"{path} is not JSON: {exc}") from exc
    return as_bundle(data)


def build_session(retries=3):
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


def load_url(base_url, *, session=None, timeout=TIMEOUT, on_page=None):
    """Walk every page of categories, packages and grids of the API v4 at `base_url`.

    `on_page(kind, fetched, total)` is called after each page (for a progress bar).
    """
    session = session or build_session()
    root = _get_json(session, base_url, timeout)
    if not isinstance(root, dict) or not all(isinstance(root.get(kind), str) for kind in KINDS):
        raise ImporterError(
            f"{base_url} is not an API v4 root (expected JSON linking categories, grids and "
            "packages, e.g. https://djangopackages.org/api/v4/)"
        )
    bundle = {}
    for kind in KINDS:
        records, url = [], _with_limit(root[kind])
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


def _with_limit(url):
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}limit={PAGE_SIZE}" if "limit=" not in url else url


def _get_json(session, url, timeout):
    try:
        response = session.get(url, timeout=timeout)
    except requests.RequestException as exc:
        timed_out = isinstance(exc, requests.Timeout) or "timed out" in str(exc).lower()
        reason = "timed out" if timed_out else exc.__class__.__name__
        raise ImporterError(f"cannot fetch {url}: {reason}") from exc
    if response.status_code != 200:
        raise ImporterError(f"{url} answered HTTP {response.status_code}")
    try:
        return response.json()
    except ValueError as exc:
        raise ImporterError(f"{url} did not answer JSON (is it an API v4 URL?)") from exc


def import_bundle(bundle):
    """Upsert a bundle by id; returns what was created, updated, skipped and left unlinked."""
    report = ImportReport()
    grid_links = {}
    for index, record in enumerate(bundle.get("categories", [])):
        _upsert(report, "categories", index, record, Category, CATEGORY_FIELDS)
    for index, record in enumerate(bundle.get("packages", [])):
        package = _upsert(report, "packages", index, record, Package, PACKAGE_FIELDS)
        if package is not None:
            grid_links[package.pk] = _link_ids(record.get("grids"), "grids")
    described = set()
    for index, record in enumerate(bundle.get("grids", [])):
        grid = _upsert(report, "grids", index, record, Grid, GRID_FIELDS)
        if grid is not None:
            described.add(grid.pk)
            _set_members(report, grid, _link_ids(record.get("packages"), "packages"))
    _add_package_links(report, grid_links, described)
    reset_id_sequences()
    return report


def _upsert(report, kind, index, record, model, fields):
    try:
        with transaction.atomic():
            instance, created = _build(kind, record, model, fields)
            instance.full_clean()
            instance.save(touch=False)
    except (ValidationError, ValueError, TypeError, DatabaseError) as exc:
        report.skipped.append(Skipped(kind, index, _reason(exc)))
        return None
    (report.created if created else report.updated)[kind] += 1
    return instance


def _build(kind, record, model, fields):
    if not isinstance(record, dict):
        raise ValueError("not a JSON object")
    pk = record.get("id")
    if not isinstance(pk, int) or isinstance(pk, bool) or pk < 1:
        raise ValueError(f"missing or invalid id: {pk!r}")
    instance = model.objects.filter(pk=pk).first()
    created = instance is None
    if created:
        instance = model(pk=pk)
    for name in fields:
        if name in record:
            _assign(instance, name, record[name])
    for name in TIMESTAMPS[kind]:
        if name in record:
            setattr(instance, name, _datetime(record[name], name))
    if kind == "packages":
        instance.category_id = _category_id(record.get("category"))
    return instance, created


def _assign(instance, name, value):
    if value is None:
        model_field = instance._meta.get_field(name)
        if model_field.null:
            value = None
        elif isinstance(model_field, CharField | TextField):
            value = ""
        else:
            return  # keep the current value (or the default) rather than fail on a null count
    setattr(instance, name, value)


def _datetime(value, name):
    if value is None:
        return None
    parsed = parse_datetime(value) if isinstance(value, str) else None
    if parsed is None:
        raise ValueError(f"{name}: not an ISO 8601 date-time: {value!r}")
    return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=UTC)


def _category_id(value):
    ids = _link_ids([value], "categories")
    if not ids:
        raise ValueError(f"category: not a category id or API URL: {value!r}")
    if not Category.objects.filter(pk=ids[0]).exists():
        raise ValueError(f"category {ids[0]} does not exist (import it first or in the same file)")
    return ids[0]


def _link_ids(values, kind):
    """Ids from API URLs (`.../grids/218/?format=api`) or bare ids; anything else is dropped."""
    ids = []
    for value in values or []:
        if isinstance(value, int) and not isinstance(value, bool):
            ids.append(value)
        elif isinstance(value, str):
            match = _LINK.search(urlsplit(value).path)
            if match and match.group(1) == kind:
                ids.append(int(match.group(2)))
            elif value.isdigit():
                ids.append(int(value))
    return ids


def _set_members(report, grid, package_ids):
    existing = set(Package.objects.filter(pk__in=package_ids).values_list("pk", flat=True))
    for missing in sorted(set(package_ids) - existing):
        report.warnings.append(f"grid {grid.pk}: package {missing} is not in the catalogue")
    GridPackage.objects.filter(grid=grid).exclude(package_id__in=existing).delete()
    present = set(GridPackage.objects.filter(grid=grid).values_list("package_id", flat=True))
    for package_id in sorted(existing - present):
        # One save each, not bulk_create: saves send the signals the API cache listens to.
        GridPackage.objects.create(grid=grid, package_id=package_id)


def _add_package_links(report, grid_links, described):
    wanted = {(grid_id, package_id) for package_id, ids in grid_links.items() for grid_id in ids}
    wanted = {pair for pair in wanted if pair[0] not in described}
    if not wanted:
        return
    grids = set(Grid.objects.filter(pk__in={g for g, _ in wanted}).values_list("pk", flat=True))
    for grid_id, package_id in sorted(wanted):
        if grid_id not in grids:
            report.warnings.append(f"package {package_id}: grid {grid_id} is not in the catalogue")
            continue
        GridPackage.objects.get_or_create(grid_id=grid_id, package_id=package_id)


def reset_id_sequences():
    """Explicit ids do not advance PostgreSQL sequences; without this the next insert collides."""
    statements = connection.ops.sequence_reset_sql(no_style(), [Category, Package, Grid])
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


def _reason(exc):
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            return "; ".join(
                f"{name}: {' '.join(messages)}" for name, messages in exc.message_dict.items()
            )
        return " ".join(exc.messages)
    return str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
