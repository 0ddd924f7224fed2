"""The stored public documents: each package's, grid's and category's API v4 JSON, kept up to
date by `api.documents` in the transaction of every write that alters it; and the lists' row
counts, kept by the database."""

from django.db import models


class Document(models.Model):
    """One resource's JSON (`kind` and `object_id` name it), its links relative to a marker
    (`api.documents.LINK_MARK`) that a read completes with its scheme and host.

    `changed_at` moves only when the bytes change; `modified` is the resource's own (the
    detail's `Last-Modified`)."""

    kind = models.CharField(max_length=16)
    object_id = models.BigIntegerField()
    body = models.TextField()
    # The time zone its date-times are written in (TIME_ZONE); a read in another zone is
    # answered by DRF, and `check_documents --fix` rewrites them for the new one.
    zone = models.CharField(max_length=64)
    modified = models.DateTimeField(null=True)
    changed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="api_document_unique")
        ]
        indexes = [
            models.Index(fields=["kind", "changed_at", "object_id"], name="api_document_changed")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id}"


class ListCount(models.Model):
    """How many rows an unfiltered list of `kind` has (package, grid, category), kept on
    PostgreSQL by statement triggers on the rows' table (api/migrations/0004): a list page then
    reads its count instead of counting the table (api/list_pages.py). No row: not kept (SQLite,
    where counting costs less than keeping), so the page counts."""

    kind = models.CharField(max_length=16, primary_key=True)
    count = models.BigIntegerField()

    def __str__(self) -> str:
        return f"{self.kind}: {self.count}"
