"""Packages of the catalogue, their PyPI releases and everything about their fetched stats."""
