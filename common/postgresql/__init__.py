"""Django's PostgreSQL backend with a bound on every wait for the server (see `base`), and the
libpq options its connections carry (built here, from the values settings.py reads)."""

from collections.abc import Mapping
from typing import Any


def connection_options(
    configured: Mapping[str, Any], session_settings: Mapping[str, str], **libpq: Any
) -> dict[str, Any]:
    """libpq connection options: `libpq` (connect_timeout, keepalives...), then `session_settings`
    as `options` (`-c name=value`); what DATABASE_URL's query string configured wins over both."""
    session = " ".join(f"-c {name}={value}" for name, value in session_settings.items())
    options = {**libpq, **configured}
    options["options"] = f"{session} {configured.get('options', '')}".strip()
    return options
