"""Abstract model bases shared by every app (no tables of its own)."""

from typing import Any, TypeVar

from django.conf import settings
from django.db import models, transaction
from django.dispatch import Signal
from django.utils import timezone

# `QuerySet.update()` sends no model signals. A receiver of `rows_updating(sender, fields)`
# returns True when it needs to know which rows an update of these fields changes; the
# queryset then sends `rows_updated(sender, pks, fields)` after it, in the same transaction
# (api/documents.py rebuilds the stored documents that show them).
_M = TypeVar("_M", bound=models.Model)
rows_updating = Signal()
rows_updated = Signal()


class SignalledQuerySet(models.QuerySet[_M]):
    """A QuerySet whose `update()` says which rows it changed, to whoever asks."""

    def update(self, **kwargs: Any) -> int:
        fields = frozenset(kwargs)
        wanted = rows_updating.send(sender=self.model, fields=fields)
        if not any(answer for _receiver, answer in wanted):
            return super().update(**kwargs)
        with transaction.atomic(using=self.db):
            pks = list(self.values_list("pk", flat=True))
            count = super().update(**kwargs)
            rows_updated.send(sender=self.model, pks=pks, fields=fields)
        return count


def person_field() -> "models.ForeignKey[Any, Any]":
    """Who made or last changed a row (`created_by`, `last_modified_by`): the row stays when the
    account goes, and users get no reverse accessor."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )


class TimeStampedModel(models.Model):
    """Keeps `created` and `modified` without hiding them from importers.

    `created` defaults to now and `modified` is bumped on every save, unless the caller
    passes `touch=False` (the catalogue importer does, so imported timestamps survive).
    """

    created = models.DateTimeField(default=timezone.now, db_index=True)
    modified = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True

    def save(self, *args: Any, touch: bool = True, **kwargs: Any) -> None:
        if touch:
            self.modified = timezone.now()
            update_fields = kwargs.get("update_fields")
            if update_fields is not None and "modified" not in update_fields:
                kwargs["update_fields"] = [*update_fields, "modified"]
        super().save(*args, **kwargs)
