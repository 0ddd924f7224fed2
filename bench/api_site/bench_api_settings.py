"""Bench-only settings: production settings plus a URLconf that adds the floor view."""

from djangopackages.settings import *  # noqa: F403

ROOT_URLCONF = "bench_api_urls"
