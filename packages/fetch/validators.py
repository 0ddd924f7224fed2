"""The HTTP validators (ETag / Last-Modified and body per URL) of one package's fetch, kept in
memory until the fetch is recorded (packages.fetch.store.record_fetch saves them with it)."""

from dataclasses import dataclass
from datetime import datetime

from django.db import OperationalError
from django.utils import timezone

from packages.models import HttpValidator


@dataclass(frozen=True)
class StoredValidator:
    etag: str
    last_modified: str
    body: bytes


class StoredValidators:
    """ETag / Last-Modified and body per URL for one package's fetch, backed by HttpValidator.

    Reads hit the table; new validators wait in memory until `record_fetch` saves them with the
    package, so a failed or interrupted fetch stores nothing.
    """

    def __init__(self) -> None:
        self.pending: dict[str, StoredValidator] = {}

    def lookup(self, url: str) -> StoredValidator | None:
        if url in self.pending:
            return self.pending[url]
        try:
            row = (
                HttpValidator.objects.filter(url=url)
                .values_list("etag", "last_modified", "body")
                .first()
            )
        except OperationalError:
            # A validator only saves a download: one the database cannot read now (SQLite's
            # table lock while another thread records a fetch) means an unconditional request.
            return None
        if row is None:
            return None
        return StoredValidator(row[0], row[1], row[2].encode("utf-8"))

    def remember(self, url: str, etag: str, last_modified: str, body: bytes) -> None:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return
        if "\x00" in text or len(url) > 1000 or len(etag) > 255 or len(last_modified) > 64:
            return
        self.pending[url] = StoredValidator(etag, last_modified, body)

    def save(self, now: datetime | None = None) -> None:
        if not self.pending:
            return
        now = now or timezone.now()
        HttpValidator.objects.bulk_create(
            [
                HttpValidator(
                    url=url,
                    etag=v.etag,
                    last_modified=v.last_modified,
                    body=v.body.decode("utf-8"),
                    stored_at=now,
                )
                for url, v in self.pending.items()
            ],
            update_conflicts=True,
            unique_fields=["url"],
            update_fields=["etag", "last_modified", "body", "stored_at"],
        )
        self.pending = {}
