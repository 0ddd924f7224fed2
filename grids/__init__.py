"""Grids: comparison tables of packages (rows) against features (columns), one element per cell."""
