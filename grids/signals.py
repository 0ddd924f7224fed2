"""Signals about the catalogue's rows: `catalogue_imported`, sent by the catalogue importer
(catalogue/importer.py) after a bulk import (which sends no model signals), so what is built from
the catalogue can be rebuilt (api/documents.py listens)."""

from django.dispatch import Signal

catalogue_imported = Signal()
