"""Row counts and a checksum of the catalogue tables, to prove a fault changed nothing else."""

import hashlib

from categories.models import Category
from grids.models import Element, Feature, Grid, GridPackage
from packages.models import Package, Version

CATALOGUE = [Category, Package, Version, Grid, GridPackage, Feature, Element]
FETCH_BOOKKEEPING = (
    "fetch_error",
    "fetch_error_at",
    "fetch_failures",
    "fetch_failing_since",
    "fetch_lease_until",
)


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
