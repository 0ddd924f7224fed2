"""Bootstrap the catalogue from API v4 JSON: a file, or every page of a running API.

`load_file` / `load_url` turn a source into a bundle `{"categories", "grids", "packages"}`;
`import_bundle` upserts it by id, keeping ids, slugs, every field and the created / modified /
last_fetched timestamps. A record that cannot be stored is skipped and reported with its
index and reason; everything else still imports. Grids' package lists rebuild memberships;
a package's own `grids` links add memberships to grids the bundle does not describe.

Records are written in batches of BATCH_SIZE: each record is validated as before (the model's
field checks and `clean`, uniqueness checked against dictionaries of what the database and
the batch hold), then the batch's valid records are bulk-inserted and bulk-updated in one
transaction. Should the database still refuse the batch, it is rolled back and replayed one
record at a time, so the record at fault is skipped and reported and the others are stored.
Bulk writes send no model signals: `catalogue_imported` is sent once at the end instead.
"""

import re
from dataclasses import dataclass, field
from datetime import UTC
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.management.color import no_style
from django.db import DatabaseError, connection, transaction
from django.db.models import CharField, TextField
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from categories.models import Category
from grids.import_sources import (  # noqa: F401  (the importer's public interface)
    KINDS,
    PAGE_SIZE,
    TIMEOUT,
    ImporterError,
    as_bundle,
    build_session,
    load_file,
    load_url,
)
from grids.models import Grid, GridPackage
from grids.signals import catalogue_imported
from packages.models import Package, validate_commits_over_52

BATCH_SIZE = 1000

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


def import_bundle(bundle, *, on_progress=None):
    """Upsert a bundle by id; returns what was created, updated, skipped and left unlinked.

    `on_progress(kind, done, total)` is called after each batch.
    """
    report = ImportReport()
    state = _ImportState()
    grid_links = {}
    for kind, model, fields in (
        ("categories", Category, CATEGORY_FIELDS),
        ("packages", Package, PACKAGE_FIELDS),
        ("grids", Grid, GRID_FIELDS),
    ):
        records = bundle.get(kind, [])
        for start in range(0, len(records), BATCH_SIZE):
            batch = list(enumerate(records[start : start + BATCH_SIZE], start))
            for index, instance in _upsert_batch(report, kind, batch, model, fields, state):
                record = records[index]
                if kind == "packages":
                    grid_links[instance.pk] = _link_ids(record.get("grids"), "grids")
                elif kind == "grids":
                    state.described[instance.pk] = _link_ids(record.get("packages"), "packages")
            if on_progress:
                on_progress(kind, min(start + BATCH_SIZE, len(records)), len(records))
    _set_members(report, state.described)
    _add_package_links(report, grid_links, set(state.described))
    reset_id_sequences()
    catalogue_imported.send(sender=import_bundle)
    return report


class _ImportState:
    """What the database holds, read once, and kept up to date as batches are stored."""

    def __init__(self):
        self.category_ids = set(Category.objects.values_list("pk", flat=True))
        self.unique = {}  # (model, field) -> {value: (pk, slug)}
        self.described = {}  # grid id -> its package ids

    def taken(self, model, field):
        key = (model, field)
        if key not in self.unique:
            rows = model.objects.exclude(**{field: ""}).values_list(field, "pk", "slug")
            self.unique[key] = {value: (pk, slug) for value, pk, slug in rows.iterator(5000)}
        return self.unique[key]


def _unique_fields(model):
    return ["slug", "repo_key"] if model is Package else ["slug"]


def _upsert_batch(report, kind, batch, model, fields, state):
    """Validate and store one batch; yields (index, instance) for each record stored."""
    ids = [
        record["id"]
        for _, record in batch
        if isinstance(record, dict) and isinstance(record.get("id"), int)
    ]
    existing = model.objects.in_bulk(ids)
    valid = []
    for index, record in batch:
        try:
            instance, created = _build(kind, record, model, fields, existing, state)
            _validate(instance, model, state)
        except (ValidationError, ValueError, TypeError) as exc:
            report.skipped.append(Skipped(kind, index, _reason(exc)))
            continue
        for name in _unique_fields(model):
            if getattr(instance, name):
                state.taken(model, name)[getattr(instance, name)] = (instance.pk, instance.slug)
        existing[instance.pk] = instance
        valid.append((index, instance, created))
    try:
        with transaction.atomic():
            model.objects.bulk_create([i for _, i, created in valid if created])
            updated = [i for _, i, created in valid if not created]
            if updated:
                model.objects.bulk_update(updated, _stored_fields(model))
    except DatabaseError:
        # The database refused something the checks let through: one record at a time, so only
        # the one at fault is skipped.
        state.unique.clear()
        for index, _instance, _created in valid:
            instance = _upsert(report, kind, index, batch[index - batch[0][0]][1], model, fields)
            if instance is not None:
                yield index, instance
        return
    for index, instance, created in valid:
        (report.created if created else report.updated)[kind] += 1
        yield index, instance


def _stored_fields(model):
    return [f.name for f in model._meta.concrete_fields if not f.primary_key]


def _validate(instance, model, state):
    """`full_clean()` without its per-row queries: foreign keys and uniqueness by dictionary."""
    exclude = ["category"] if model is Package else []
    instance.clean_fields(exclude=exclude)
    if model is Package:
        instance.clean_identifiers()
        validate_commits_over_52(instance.commits_over_52)
    else:
        instance.clean()
    for name in _unique_fields(model):
        value = getattr(instance, name)
        owner, owner_slug = (
            state.taken(model, name).get(value, (None, None)) if value else (None, None)
        )
        if owner is not None and owner != instance.pk:
            if name == "repo_key":
                message = f"Package {owner_slug!r} already has this repository."
                raise ValidationError({"repo_url": message})
            label = model._meta.get_field(name).verbose_name.capitalize()
            raise ValidationError(
                {
                    name: [
                        f"{model._meta.verbose_name.capitalize()} with this {label} already exists."
                    ]
                }
            )


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


def _build(kind, record, model, fields, existing=None, state=None):
    if not isinstance(record, dict):
        raise ValueError("not a JSON object")
    pk = record.get("id")
    if not isinstance(pk, int) or isinstance(pk, bool) or pk < 1:
        raise ValueError(f"missing or invalid id: {pk!r}")
    instance = model.objects.filter(pk=pk).first() if existing is None else existing.get(pk)
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
        known = state.category_ids if state is not None else None
        instance.category_id = _category_id(record.get("category"), known)
    if kind == "categories" and state is not None:
        state.category_ids.add(pk)
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


def _category_id(value, known=None):
    ids = _link_ids([value], "categories")
    if not ids:
        raise ValueError(f"category: not a category id or API URL: {value!r}")
    exists = ids[0] in known if known is not None else Category.objects.filter(pk=ids[0]).exists()
    if not exists:
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


def _set_members(report, described):
    """Each described grid's memberships become exactly its listed packages (bulk writes)."""
    if not described:
        return
    wanted = {pid for ids in described.values() for pid in ids}
    known: set[int] = set()
    for chunk in _chunks(sorted(wanted)):
        known.update(Package.objects.filter(pk__in=chunk).values_list("pk", flat=True))
    present = {}
    for chunk in _chunks(sorted(described)):
        for pk, grid_id, package_id in GridPackage.objects.filter(grid_id__in=chunk).values_list(
            "pk", "grid_id", "package_id"
        ):
            present[(grid_id, package_id)] = pk
    new, gone = [], []
    for grid_id, package_ids in described.items():
        for missing in sorted(set(package_ids) - known):
            report.warnings.append(f"grid {grid_id}: package {missing} is not in the catalogue")
        keep = set(package_ids) & known
        gone += [pk for (g, p), pk in present.items() if g == grid_id and p not in keep]
        new += [
            GridPackage(grid_id=grid_id, package_id=p)
            for p in sorted(keep)
            if (grid_id, p) not in present
        ]
    with transaction.atomic():
        for chunk in _chunks(gone):
            GridPackage.objects.filter(pk__in=chunk).delete()
        GridPackage.objects.bulk_create(new, batch_size=BATCH_SIZE)


def _chunks(values, size=BATCH_SIZE):
    values = list(values)
    return [values[i : i + size] for i in range(0, len(values), size)]


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
