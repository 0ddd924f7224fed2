"""Reading the environment: the local `.env` (django-environ) and the casts every setting uses,
each failing with a one-line reason (settings.py reads every variable through them)."""

import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured


def read_dotenv(path: Path) -> None:
    """Fill os.environ from a local `.env` (written by `make run`); real variables win."""
    if path.is_file():
        environ.Env.read_env(path, overwrite=False)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    if value.strip().lower() in {"1", "true", "yes", "on"}:
        return True
    if value.strip().lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be 1/0, true/false, yes/no or on/off, not {value!r}.")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}.") from None
