"""The id-or-slug lookup every `/{id or slug}/` URL and filter shares."""

import re

_SLUG = re.compile(r"^[-\w]+$")
_MAX_ID = 2**63 - 1


def id_or_slug(value: str | None) -> dict[str, int | str] | None:
    """`{"pk": n}` for a numeric value, `{"slug": s}` for a slug, None for anything else."""
    value = (value or "").strip()
    if value.isascii() and value.isdigit():
        number = int(value)
        return {"pk": number} if number <= _MAX_ID else None
    if _SLUG.match(value) and len(value) <= 100:
        return {"slug": value}
    return None
