"""Stored documents: each package's, grid's and category's public JSON, built when it changes.

`build(kind, ids)` is the one place a stored document is made: the shape itself is
`api.rendering`'s (the serializers and the DRF views use the same builders). Links are stored
as `"\\u0000/api/v4/...`, the marker standing for the request's scheme and host, which
`complete()` puts back with one byte replace (text never holds a NUL: the models refuse
control characters, so a JSON string cannot start with an escaped one otherwise).

`rebuild(kind, ids)` writes what changed (a document's `changed_at` moves only with its
bytes), in batches; the receivers in `connect()` call it from every save, delete and
membership change of the rows a document shows, in the transaction of the write, and the
importer's `catalogue_imported` rebuilds everything in batches. `differences()` is what
`manage.py check_documents` reports.
"""

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

import orjson
from django.db import models
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone

from api import read_cache
from api.rendering import CATEGORY_JSON, GRID_JSON, PACKAGE_JSON, Link, Links, RowJSON
from api.stored import Document
from categories.models import Category
from common.models import rows_updated, rows_updating
from grids.models import Grid, GridPackage
from grids.signals import catalogue_imported
from packages.models import Package

PACKAGE, GRID, CATEGORY = "package", "grid", "category"
SHAPES: dict[str, tuple[type[models.Model], RowJSON]] = {
    PACKAGE: (Package, PACKAGE_JSON),
    GRID: (Grid, GRID_JSON),
    CATEGORY: (Category, CATEGORY_JSON),
}
KIND_OF: dict[type[models.Model], str] = {model: kind for kind, (model, _) in SHAPES.items()}
LINK_MARK = "\x00"
_STORED_MARK = b'"\\u0000'  # how orjson writes a string starting with the marker
BATCH = 500


class _MarkedLinks(Links):
    """Detail links as relative paths behind `LINK_MARK`."""

    def __init__(self) -> None:
        super().__init__(None)

    def __getitem__(self, view_name: str) -> Link:
        relative = super().__getitem__(view_name)

        def link(pk: int | None) -> str | None:
            path = relative(pk)
            return None if path is None else LINK_MARK + path

        return link


def dumps(document: Any) -> str:
    """A document's JSON text as the API writes it (compact, U+2028/U+2029 escaped)."""
    body = orjson.dumps(document)
    return body.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029").decode()


def complete(body: bytes, origin: bytes) -> bytes:
    """Stored bytes with their links made absolute: `origin` is `scheme://host`."""
    return body.replace(_STORED_MARK, b'"' + origin)


def build(kind: str, ids: Iterable[int]) -> dict[int, tuple[str, datetime | None]]:
    """The documents of the rows of `kind` with these ids that exist: id -> (JSON, modified)."""
    model, shape = SHAPES[kind]
    rows = list(shape.rows(model._default_manager.filter(pk__in=list(ids)).order_by("pk")))
    documents = shape.documents(rows, _MarkedLinks())
    return {
        row["id"]: (dumps(document), row["modified"])
        for row, document in zip(rows, documents, strict=True)
    }


def _batches(ids: Iterable[int]) -> Iterator[list[int]]:
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), BATCH):
        yield ordered[start : start + BATCH]


def rebuild(kind: str, ids: Iterable[int]) -> int:
    """Store the documents of these rows of `kind` (dropping those of deleted rows); how many
    changed."""
    changed = 0
    for chunk in _batches(ids):
        built = build(kind, chunk)
        zone = timezone.get_current_timezone_name()
        stored = {
            pk: (body, stored_zone)
            for pk, body, stored_zone in Document.objects.filter(
                kind=kind, object_id__in=chunk
            ).values_list("object_id", "body", "zone")
        }
        gone = [pk for pk in stored if pk not in built]
        if gone:
            Document.objects.filter(kind=kind, object_id__in=gone).delete()
        now = timezone.now()
        new = [
            Document(
                kind=kind, object_id=pk, body=body, zone=zone, modified=modified, changed_at=now
            )
            for pk, (body, modified) in built.items()
            if stored.get(pk) != (body, zone)
        ]
        if new:
            Document.objects.bulk_create(
                new,
                update_conflicts=True,
                unique_fields=["kind", "object_id"],
                update_fields=["body", "zone", "modified", "changed_at"],
            )
        changed += len(new) + len(gone)
    if changed:
        read_cache.forget_all()
    return changed


def _all_ids(kind: str) -> set[int]:
    model, _shape = SHAPES[kind]
    ids = set(model._default_manager.values_list("pk", flat=True))
    return ids | set(Document.objects.filter(kind=kind).values_list("object_id", flat=True))


def rebuild_all(**_signal_kwargs: Any) -> int:
    """Rebuild every document (after a bulk import); how many changed."""
    return sum(rebuild(kind, _all_ids(kind)) for kind in SHAPES)


def rebuild_missing(**_signal_kwargs: Any) -> int:
    """Build the documents rows have none of (after `migrate` made the table, or rows written
    by hand); how many were written."""
    written = 0
    for kind, (model, _shape) in SHAPES.items():
        stored = Document.objects.filter(kind=kind).values("object_id")
        missing = model._default_manager.exclude(pk__in=stored).values_list("pk", flat=True)
        written += rebuild(kind, list(missing))
    return written


def differences() -> Iterator[str]:
    """One line per stored document that differs from what its rows build now (or is missing,
    or names a deleted row)."""
    for kind in SHAPES:
        for chunk in _batches(_all_ids(kind)):
            built = build(kind, chunk)
            zone = timezone.get_current_timezone_name()
            stored = {
                pk: (body, stored_zone)
                for pk, body, stored_zone in Document.objects.filter(
                    kind=kind, object_id__in=chunk
                ).values_list("object_id", "body", "zone")
            }
            for pk in chunk:
                if pk not in built:
                    yield f"{kind} {pk}: stored, but the {kind} no longer exists"
                elif pk not in stored:
                    yield f"{kind} {pk}: missing"
                elif stored[pk][0] != built[pk][0]:
                    yield f"{kind} {pk}: differs from its rows"
                elif stored[pk][1] != zone:
                    yield f"{kind} {pk}: written for time zone {stored[pk][1]}, not {zone}"


# Receivers: every write a document shows.


def _columns(sender: type[models.Model]) -> frozenset[str]:
    for model, shape in SHAPES.values():
        if sender is model:
            return frozenset(shape.columns) | {"pk", "category"}
    return frozenset()


def _wants_updated_rows(sender: type[models.Model], fields: frozenset[str], **_kw: Any) -> bool:
    """Does an `update()` of `fields` of `sender` change a document?"""
    return bool(fields & _columns(sender))


def _rows_updated(sender: type[models.Model], pks: list[int], **_kwargs: Any) -> None:
    kind = KIND_OF.get(sender)
    if kind is not None:
        rebuild(kind, pks)


def _saved_or_deleted(sender: type[models.Model], instance: Any, **_kwargs: Any) -> None:
    if sender is GridPackage:
        rebuild(PACKAGE, [instance.package_id])
        rebuild(GRID, [instance.grid_id])
        return
    rebuild(KIND_OF[sender], [instance.pk])


def _memberships_changed(
    instance: Any, action: str, reverse: bool, pk_set: set[int] | None, **_kwargs: Any
) -> None:
    """`grid.packages.add/remove/clear()` and `package.grids...` (reverse)."""
    own, other = (PACKAGE, GRID) if reverse else (GRID, PACKAGE)
    if action == "pre_clear":
        related = instance.grids if reverse else instance.packages
        instance._documents_cleared = list(related.values_list("pk", flat=True))
        return
    if action == "post_clear":
        pk_set = set(getattr(instance, "_documents_cleared", ()))
    elif action not in {"post_add", "post_remove"}:
        return
    rebuild(own, [instance.pk])
    rebuild(other, pk_set or ())


def connect() -> None:
    """Connect the receivers once (dispatch_uid)."""
    for model in (Package, Grid, Category, GridPackage):
        post_save.connect(_saved_or_deleted, sender=model, dispatch_uid=f"documents-{model}")
        post_delete.connect(
            _saved_or_deleted, sender=model, dispatch_uid=f"documents-delete-{model}"
        )
    m2m_changed.connect(
        _memberships_changed, sender=GridPackage, dispatch_uid="documents-memberships"
    )
    catalogue_imported.connect(rebuild_all, dispatch_uid="documents-imported")
    rows_updating.connect(_wants_updated_rows, dispatch_uid="documents-updating")
    rows_updated.connect(_rows_updated, dispatch_uid="documents-updated")
