"""Numbers for people in the browsable pages: `12,345` in full, `1.2k` where space is short."""

from django import template

register = template.Library()


@register.filter
def thousands(value: object) -> str:
    """12345 -> "12,345" (whatever the locale: the pages are in English)."""
    try:
        return f"{int(value):,}"  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return str(value)


@register.filter
def short(value: object) -> str:
    """999 -> "999", 1234 -> "1.2k", 12345 -> "12k", 1234567 -> "1.2M"."""
    try:
        number = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return str(value)
    for limit, suffix in ((1_000_000_000, "G"), (1_000_000, "M"), (1_000, "k")):
        if abs(number) >= limit:
            scaled = number / limit
            text = f"{scaled:.1f}" if abs(scaled) < 10 else f"{scaled:.0f}"
            return text.removesuffix(".0") + suffix
    return str(number)
