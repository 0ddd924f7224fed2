"""The whole catalogue at once (categories, packages and grids together): the import from API v4
JSON (`importer.py`, `manage.py import_catalogue`)."""
