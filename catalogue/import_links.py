"""The importer's grid memberships, written in bulk: a described grid's package list, and a
package's own links to grids the bundle does not describe.

Each reads what is there with one query per BATCH_SIZE ids and writes with bulk statements:
no query per membership.
"""

from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction

from grids.models import Grid, GridPackage
from packages.models import Package

BATCH_SIZE = 1000


def set_members(warnings: list[str], described: dict[int, list[int]]) -> None:
    """Each described grid's memberships become exactly its listed packages; a listed package
    not in the catalogue is a warning."""
    if not described:
        return
    wanted = {pid for ids in described.values() for pid in ids}
    known: set[int] = set()
    for chunk in _chunks(sorted(wanted)):
        known.update(Package.objects.filter(pk__in=chunk).values_list("pk", flat=True))
    present: dict[int, dict[int, int]] = defaultdict(dict)  # grid -> package -> membership pk
    for chunk in _chunks(sorted(described)):
        rows = GridPackage.objects.filter(grid_id__in=chunk).values_list(
            "pk", "grid_id", "package_id"
        )
        for pk, grid_id, package_id in rows:
            present[grid_id][package_id] = pk
    new, gone = [], []
    for grid_id, package_ids in described.items():
        for missing in sorted(set(package_ids) - known):
            warnings.append(f"grid {grid_id}: package {missing} is not in the catalogue")
        keep = set(package_ids) & known
        members = present[grid_id]
        gone += [pk for package_id, pk in members.items() if package_id not in keep]
        new += [
            GridPackage(grid_id=grid_id, package_id=p) for p in sorted(keep) if p not in members
        ]
    with transaction.atomic():
        for chunk in _chunks(gone):
            GridPackage.objects.filter(pk__in=chunk).delete()
        GridPackage.objects.bulk_create(new, batch_size=BATCH_SIZE)


def add_package_links(
    warnings: list[str], grid_links: dict[int, list[int]], described: set[int]
) -> None:
    """Add each package's links (package id -> grid ids) to grids not in `described`; a grid not
    in the catalogue is a warning. Memberships already there stay as they are."""
    wanted = {(grid_id, package_id) for package_id, ids in grid_links.items() for grid_id in ids}
    wanted = {pair for pair in wanted if pair[0] not in described}
    if not wanted:
        return
    grid_ids = sorted({grid_id for grid_id, _ in wanted})
    grids: set[int] = set()
    present: set[tuple[int, int]] = set()
    for chunk in _chunks(grid_ids):
        grids.update(Grid.objects.filter(pk__in=chunk).values_list("pk", flat=True))
        present.update(
            GridPackage.objects.filter(grid_id__in=chunk).values_list("grid_id", "package_id")
        )
    new = []
    for grid_id, package_id in sorted(wanted):
        if grid_id not in grids:
            warnings.append(f"package {package_id}: grid {grid_id} is not in the catalogue")
        elif (grid_id, package_id) not in present:
            new.append(GridPackage(grid_id=grid_id, package_id=package_id))
    GridPackage.objects.bulk_create(new, batch_size=BATCH_SIZE)


def _chunks(values: Iterable[int], size: int = BATCH_SIZE) -> list[list[int]]:
    values = list(values)
    return [values[i : i + size] for i in range(0, len(values), size)]
