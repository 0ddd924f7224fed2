"""Pieces every app builds on: abstract model bases (no tables, no app of its own)."""
