"""Abstract model bases shared by every app (no tables of its own)."""

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone


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
