"""Abstract model bases shared by every app (no tables of its own)."""

from django.db import models
from django.utils import timezone


class TimeStampedModel(models.Model):
    """Keeps `created` and `modified` without hiding them from importers.

    `created` defaults to now and `modified` is bumped on every save, unless the caller
    passes `touch=False` (the catalogue importer does, so imported timestamps survive).
    """

    created = models.DateTimeField(default=timezone.now, db_index=True)
    modified = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True

    def save(self, *args, touch=True, **kwargs):
        if touch:
            self.modified = timezone.now()
            update_fields = kwargs.get("update_fields")
            if update_fields is not None and "modified" not in update_fields:
                kwargs["update_fields"] = [*update_fields, "modified"]
        super().save(*args, **kwargs)
