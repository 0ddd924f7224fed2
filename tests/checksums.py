"""Row counts and a checksum of the catalogue tables, to prove a fault changed nothing else; and
the packages' fetch state (packages.fetch.models.PackageFetchState), kept apart from them."""

import hashlib

from categories.models import Category
from grids.models import Element, Feature, Grid, GridPackage
from packages.fetch.models import PackageFetchState
from packages.models import Package, Version

CATALOGUE = [Category, Package, Version, Grid, GridPackage, Feature, Element]
FETCH_STATE = ("package_id", "failures", "failing_since", "error", "error_at", "lease_until")


def catalogue_snapshot(*, ignore=()):
    """({model name: row count}, sha256 of every row of every catalogue table).

    Fields named in `ignore` are left out of the checksum: the updates a test intends.
    """
    digest = hashlib.sha256()
    counts = {}
    for model in CATALOGUE:
        rows = model.objects.order_by("pk").values()
        counts[model.__name__] = 0
        for row in rows:
            counts[model.__name__] += 1
            kept = sorted((k, v) for k, v in row.items() if k not in ignore)
            digest.update(repr(kept).encode())
    return counts, digest.hexdigest()


def fetch_state_snapshot():
    """Every package's failure streak, last error and lease, by package id."""
    return list(PackageFetchState.objects.order_by("pk").values_list(*FETCH_STATE))


def fetch_state_of(package):
    """The package's fetch state as stored now (all defaults when it has none yet)."""
    return PackageFetchState.objects.filter(package=package).first() or PackageFetchState()
