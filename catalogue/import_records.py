"""Reading one API v4 record for the importer: its id, its values, dates, category and links.

Each function raises ValueError with the message the import report shows for the record.
"""

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from categories.models import Category
from common.text import strip_control_characters

_LINK = re.compile(r"/(categories|grids|packages)/(\d+)/?$")


def record_id(record: Any) -> int:
    """The record's id: a positive integer."""
    if not isinstance(record, dict):
        raise ValueError("not a JSON object")
    pk = record.get("id")
    if not isinstance(pk, int) or isinstance(pk, bool) or pk < 1:
        raise ValueError(f"missing or invalid id: {pk!r}")
    return pk


def assigned(model_field: models.Field, value: Any, current: Any) -> Any:
    """What a record's value sets: a null is None, "" or (for a count) the current value; text
    without control characters (`common.text`: another site's text is an upstream's)."""
    if isinstance(value, str):
        return strip_control_characters(value, multiline=isinstance(model_field, models.TextField))
    if value is None:
        if model_field.null:
            return None
        if isinstance(model_field, models.CharField | models.TextField):
            return ""
        return current  # keep the current value (or the default) rather than fail on a null count
    return value


def record_datetime(value: Any, name: str) -> datetime | None:
    """An ISO 8601 date-time (UTC when it names no offset), or None for a null."""
    if value is None:
        return None
    parsed = parse_datetime(value) if isinstance(value, str) else None
    if parsed is None:
        raise ValueError(f"{name}: not an ISO 8601 date-time: {value!r}")
    return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=UTC)


def category_id(value: Any, known: set[int] | None = None) -> int:
    """The id of an existing category, from an id or API URL; `known` spares the query."""
    ids = link_ids([value], "categories")
    if not ids:
        raise ValueError(f"category: not a category id or API URL: {value!r}")
    exists = ids[0] in known if known is not None else Category.objects.filter(pk=ids[0]).exists()
    if not exists:
        raise ValueError(f"category {ids[0]} does not exist (import it first or in the same file)")
    return ids[0]


def link_ids(values: Any, kind: str) -> list[int]:
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
