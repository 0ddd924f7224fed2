"""Bootstrap the catalogue from API v4 JSON: a file, or every page of a running API.

`load_file` / `load_url` turn a source into a bundle `{"categories", "grids", "packages"}`;
`import_bundle` upserts it by id, keeping ids, slugs, every field and the created / modified /
last_fetched timestamps. A record that cannot be stored is skipped and reported with its
index and reason; everything else still imports. Grids' package lists rebuild memberships;
a package's own `grids` links add memberships to grids the bundle does not describe.

Records are written in batches of BATCH_SIZE. Each record becomes a row (the stored one, read
once per batch, or the model's defaults, with the record's fields set), checked as the model
checks it: `clean_fields()` (by the checks `catalogue.import_checks` compiles once per model, or by
the model itself for any row they cannot vouch for, whose messages then stand) and
`Package.clean_identifiers()`, with foreign keys and uniqueness checked against dictionaries of
what the database and the batch hold. The batch's new rows and changed rows are then written in
bulk in one transaction (`catalogue.import_writes`; an unchanged row is not rewritten). Should the
database still refuse the batch, it is rolled back and replayed one record at a time through
`full_clean()` and `save()`, so the record at fault is skipped and reported and the others are
stored. Memberships are written in bulk too (`catalogue.import_links`). Bulk writes send no model
signals: `catalogue_imported` is sent once at the end instead.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.color import no_style
from django.db import DatabaseError, connection, transaction
from django.db.models import Model

from catalogue.import_checks import FieldChecks
from catalogue.import_links import add_package_links, set_members
from catalogue.import_records import assigned, category_id, link_ids, record_datetime, record_id
from catalogue.import_sources import (  # noqa: F401  (the importer's public interface)
    KINDS,
    PAGE_SIZE,
    TIMEOUT,
    Bundle,
    ImporterError,
    as_bundle,
    build_session,
    load_file,
    load_url,
)
from catalogue.import_writes import RowWriter
from categories.models import Category
from grids.models import Grid
from grids.signals import catalogue_imported
from packages.models import Package, normalized_identifiers

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


# A record as the database row it makes: values by attname.
Row = dict[str, Any]


@dataclass
class Skipped:
    kind: str
    index: int
    reason: str

    def __str__(self) -> str:
        return f"{self.kind}[{self.index}]: {self.reason}"


@dataclass
class ImportReport:
    created: dict = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    updated: dict = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    skipped: list = field(default_factory=list)
    warnings: list = field(default_factory=list)


def import_bundle(
    bundle: dict[str, list], *, on_progress: Callable[[str, int, int], None] | None = None
) -> ImportReport:
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
        spec = _Kind(kind, model, fields)
        records = bundle.get(kind, [])
        for start in range(0, len(records), BATCH_SIZE):
            batch = list(enumerate(records[start : start + BATCH_SIZE], start))
            for index, pk in _upsert_batch(report, spec, batch, state):
                record = records[index]
                if kind == "categories":
                    state.category_ids.add(pk)
                elif kind == "packages":
                    grid_links[pk] = link_ids(record.get("grids"), "grids")
                else:
                    state.described[pk] = link_ids(record.get("packages"), "packages")
            if on_progress:
                on_progress(kind, min(start + BATCH_SIZE, len(records)), len(records))
    set_members(report.warnings, state.described)
    add_package_links(report.warnings, grid_links, set(state.described))
    reset_id_sequences()
    catalogue_imported.send(sender=import_bundle)
    return report


class _ImportState:
    """What the database holds, read once, and kept up to date as batches are stored."""

    def __init__(self) -> None:
        self.category_ids = set(Category.objects.values_list("pk", flat=True))
        self.unique: dict = {}  # (model, field) -> {value: (pk, slug)}
        self.described: dict[int, list[int]] = {}  # grid id -> its package ids

    def taken(self, model: Any, field: str) -> dict[Any, tuple[int, str]]:
        key = (model, field)
        if key not in self.unique:
            rows = model.objects.exclude(**{field: ""}).values_list(field, "pk", "slug")
            self.unique[key] = {value: (pk, slug) for value, pk, slug in rows.iterator(5000)}
        return self.unique[key]


class _Kind:
    """One kind of record, compiled once per import: its model, checks, fields and writer."""

    def __init__(self, kind: str, model: type[Model], fields: list[str]) -> None:
        self.kind, self.model = kind, model
        self.checks = FieldChecks(model, _checked_by_dictionary(model))
        # Only Package.clean() queries (for a shared repository): the importer checks that by
        # dictionary and runs the rest of it (clean_identifiers); other models' clean() is
        # Model.clean(), which does nothing, or the checks leave them to the model.
        self.is_checked = model is Package or model.clean is Model.clean
        self.assigned: list[tuple[str, Any]] = [(n, model._meta.get_field(n)) for n in fields]
        self.concrete = list(model._meta.concrete_fields)
        self.writer = RowWriter(model)
        # Field.get_default() returns a default that is not callable as it is, each time.
        self.defaults = {
            f.attname: f.get_default()
            for f in self.concrete
            if not (f.has_default() and callable(f.default))
        }
        self.made_defaults = [
            (f.attname, f.default) for f in self.concrete if f.has_default() and callable(f.default)
        ]

    def new_row(self, pk: int) -> dict[str, Any]:
        """The values `model(pk=pk)` starts with: every field's default."""
        row = dict(self.defaults)
        for attname, make in self.made_defaults:
            row[attname] = make()
        row["id"] = pk
        return row

    def stored_rows(self, ids: list[int]) -> dict[int, dict[str, Any]]:
        """The stored rows of `ids` (one query), values by attname."""
        names = [field.attname for field in self.concrete]
        rows = self.model._default_manager.filter(pk__in=ids).order_by().values_list(*names)
        return {row[0]: dict(zip(names, row, strict=True)) for row in rows} if ids else {}


def _checked_by_dictionary(model: type[Model]) -> list[str]:
    """The foreign keys the importer checks against what it holds, not by a query per row."""
    return ["category"] if model is Package else []


def _unique_fields(model: type[Model]) -> list[str]:
    return ["slug", "repo_key"] if model is Package else ["slug"]


def _upsert_batch(
    report: ImportReport, spec: "_Kind", batch: list[tuple[int, Any]], state: _ImportState
) -> Iterator[tuple[int, int]]:
    """Validate and store one batch; yields (index, pk) for each record stored."""
    ids = [
        record["id"]
        for _, record in batch
        if isinstance(record, dict) and isinstance(record.get("id"), int)
    ]
    stored = spec.stored_rows(ids)
    valid = []
    for index, record in batch:
        try:
            row, before = _row(spec, record, stored, state)
            row = _validated(spec, row, state)
        except (ValidationError, ValueError, TypeError) as exc:
            report.skipped.append(Skipped(spec.kind, index, _reason(exc)))
            continue
        for name in _unique_fields(spec.model):
            if row[name]:
                state.taken(spec.model, name)[row[name]] = (row["id"], row["slug"])
        stored[row["id"]] = row
        valid.append((index, row, before))
    try:
        with transaction.atomic():
            spec.writer.insert([row for _, row, before in valid if before is None])
            # An unchanged row is not rewritten: the database would hold the same values.
            spec.writer.update([row for _, row, before in valid if before not in (None, row)])
    except DatabaseError:
        # The database refused something the checks let through: one record at a time, so only
        # the one at fault is skipped.
        state.unique.clear()
        for index, *_ in valid:
            record = batch[index - batch[0][0]][1]
            instance = _upsert(
                report, spec.kind, index, record, spec.model, [n for n, _ in spec.assigned]
            )
            if instance is not None:
                yield index, instance.pk
        return
    for index, row, before in valid:
        (report.created if before is None else report.updated)[spec.kind] += 1
        yield index, row["id"]


def _row(
    spec: "_Kind", record: Any, stored: dict[int, Row], state: _ImportState
) -> tuple[Row, Row | None]:
    """The row a record makes (the stored one, or defaults, with the record's fields set), and
    the stored row it replaces (None for a new one); raises ValueError as `_build` does."""
    pk = record_id(record)
    before = stored.get(pk)
    row = spec.new_row(pk) if before is None else dict(before)
    for name, model_field in spec.assigned:
        if name in record:
            row[name] = assigned(model_field, record[name], row[name])
    for name in TIMESTAMPS[spec.kind]:
        if name in record:
            row[name] = record_datetime(record[name], name)
    if spec.kind == "packages":
        row["category_id"] = category_id(record.get("category"), state.category_ids)
    return row, before


def _validated(spec: "_Kind", row: Row, state: _ImportState) -> Row:
    """The row checked and normalized as `full_clean()` would leave it (foreign keys and
    uniqueness by dictionary), or its ValidationError.

    Rows the compiled checks vouch for skip the model instance; any other row gets one and the
    model's own checks, so their outcome and messages are the model's.
    """
    model = spec.model
    if spec.is_checked and spec.checks.accepts(row) and not _replaces_itself(row):
        if model is Package:
            urls = normalized_identifiers(
                row["repo_url"], row["documentation_url"], row["pypi_url"]
            )
            row["repo_url"], row["repo_key"], row["documentation_url"], row["pypi_url"] = urls
    else:
        instance = model(**row)
        _validate_fields(instance, model)
        row = {field.attname: getattr(instance, field.attname) for field in spec.concrete}
    _check_unique(model, row, state)
    return row


def _replaces_itself(row: Row) -> bool:
    return bool(row.get("replacement_id")) and row["replacement_id"] == row["id"]


def _validate_fields(instance: Any, model: type[Model]) -> None:
    """The model's own checks, but those the importer makes by dictionary."""
    instance.clean_fields(exclude=_checked_by_dictionary(model))
    if model is Package:
        instance.clean_identifiers()
    else:
        instance.clean()


def _check_unique(model: Any, values: Row, state: _ImportState) -> None:
    """Refuse a slug (or a package's repository) another row holds, as `validate_unique` and
    `Package.clean` word it."""
    for name in _unique_fields(model):
        value = values[name]
        owner, owner_slug = (
            state.taken(model, name).get(value, (None, None)) if value else (None, None)
        )
        if owner is not None and owner != values["id"]:
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


def _upsert(
    report: ImportReport,
    kind: str,
    index: int,
    record: Any,
    model: type[Model],
    fields: list[str],
) -> Any:
    try:
        with transaction.atomic():
            instance, created = _build(kind, record, model, fields)
            _validate_fields(instance, model)  # as in a batch: field errors first, alone
            instance.full_clean()
            instance.save(touch=False)
    except (ValidationError, ValueError, TypeError, DatabaseError) as exc:
        report.skipped.append(Skipped(kind, index, _reason(exc)))
        return None
    (report.created if created else report.updated)[kind] += 1
    return instance


def _build(kind: str, record: Any, model: Any, fields: list[str]) -> tuple[Any, bool]:
    """The record as a model instance (the stored one, or a new one): one query per record,
    for replaying a batch the database refused."""
    pk = record_id(record)
    instance = model.objects.filter(pk=pk).first()
    created = instance is None
    if created:
        instance = model(pk=pk)
    for name in fields:
        if name in record:
            model_field = instance._meta.get_field(name)
            setattr(instance, name, assigned(model_field, record[name], getattr(instance, name)))
    for name in TIMESTAMPS[kind]:
        if name in record:
            setattr(instance, name, record_datetime(record[name], name))
    if kind == "packages":
        instance.category_id = category_id(record.get("category"))
    return instance, created


def reset_id_sequences() -> None:
    """Explicit ids do not advance PostgreSQL sequences; without this the next insert collides."""
    statements = connection.ops.sequence_reset_sql(no_style(), [Category, Package, Grid])
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            return "; ".join(
                f"{name}: {' '.join(messages)}" for name, messages in exc.message_dict.items()
            )
        return " ".join(exc.messages)
    return str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
