"""Signals the grids app sends: `catalogue_imported` after a bulk import (which sends no model
signals), so caches of the catalogue can be dropped (api/signals.py listens)."""

from django.dispatch import Signal

catalogue_imported = Signal()
