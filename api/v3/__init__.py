"""API v3: djangopackages.org's read-only v3 JSON (lists by title, `meta`/`objects`), by slug."""
