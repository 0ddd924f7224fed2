"""Edits people make to grids, their rows (packages), columns (features) and cells.

Every change to a grid's content also records who touched the grid and bumps its `modified`.
A grid holds at most `GRID_MAX_PACKAGES` rows, `GRID_MAX_FEATURES` features and
`GRID_MAX_CELLS` cells; adding beyond a bound is a ValidationError naming it.

Locks, always in one order: the grid row, then the membership (row) or feature, then the cells.
Every edit of a grid's content takes the grid's lock first, so two edits of one grid run one
after the other instead of deadlocking, and each re-reads what it acts on once it holds the lock:
a cell for a row removed meanwhile is refused, and a row removal finding a cell someone else
wrote meanwhile is refused (`OthersCellsError`) rather than deleting it.
"""

from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet

from common.text import multi_line
from grids.models import Element, Feature, Grid, GridPackage
from packages.editing import changed_columns, unique_slug
from packages.models import Package

# Who makes an edit: the request's user (grids record it in created_by / last_modified_by).
User = Any

NOT_IN_GRID = "This package is not in this grid: add it to the grid first."


class OthersCellsError(Exception):
    """Deleting a row or a feature would delete cells someone else wrote."""

    def __init__(self, count: int) -> None:
        super().__init__(
            f"Deleting it would delete {count} cell(s) someone else wrote; only their creators "
            "or staff may delete those. Delete your own cells first, or ask staff."
        )


def _lock_grid(grid_id: int) -> None:
    """The first lock of every content edit (see the module docstring)."""
    list(Grid.objects.select_for_update().filter(pk=grid_id).values_list("pk", flat=True))


def _refuse_others_cells(cells: QuerySet[Element], only_cells_by: User | None) -> None:
    """Lock `cells`; with `only_cells_by` (a user), refuse when someone else wrote one."""
    writers = list(cells.select_for_update().values_list("created_by_id", flat=True))
    if only_cells_by is not None:
        others = sum(1 for writer in writers if writer is None or writer != only_cells_by.pk)
        if others:
            raise OthersCellsError(others)


def _check_room(grid: Grid, *, setting: str, what: str, count: Callable[[], int]) -> None:
    """Refuse one more `what` in `grid` once it holds the `setting` bound's worth (the caller
    holds the grid's lock, so concurrent adds cannot both take the last place)."""
    bound = getattr(settings, setting)
    if count() >= bound:
        raise ValidationError(
            {"grid": [f"A grid holds at most {bound} {what} ({setting}); this one is full."]}
        )


def _delete_with_cells(
    row: GridPackage | Feature,
    cells: QuerySet[Element],
    *,
    user: User,
    only_cells_by: User | None,
    gone: Exception,
) -> None:
    """Delete a row or a feature of a grid with its `cells`, under the grid's lock; raise `gone`
    when it was deleted meanwhile, OthersCellsError as `_refuse_others_cells` says."""
    grid = row.grid
    _lock_grid(grid.pk)
    if not type(row).objects.select_for_update().filter(pk=row.pk).exists():
        raise gone
    _refuse_others_cells(cells, only_cells_by)
    row.delete()
    _touch(grid, user)


def _touch(grid: Grid, user: User) -> None:
    grid.last_modified_by = user
    grid.save(update_fields=["last_modified_by"])


def save_new_grid(grid: Grid, *, user: User) -> Grid:
    """Save a grid made by a person (the API or the admin)."""
    grid.slug = grid.slug or unique_slug(Grid, grid.title, fallback="grid")
    grid.created_by = grid.last_modified_by = user
    grid.save()
    return grid


@transaction.atomic
def create_grid(
    *,
    user: User,
    title: str,
    slug: str = "",
    description: str = "",
    is_locked: bool = False,
    header: bool = False,
) -> Grid:
    grid = Grid(title=title, slug=slug, description=description, is_locked=is_locked, header=header)
    return save_new_grid(grid, user=user)


@transaction.atomic
def update_grid(*, grid: Grid, user: User, changes: Mapping[str, Any]) -> Grid:
    """Write the columns `changes` changes, and only those."""
    stored = Grid.objects.select_for_update().get(pk=grid.pk)
    changed = changed_columns(grid, changes, stored=stored)
    grid.last_modified_by = user
    grid.save(update_fields=[*changed, "last_modified_by"])
    return grid


@transaction.atomic
def delete_grid(*, grid: Grid, user: User) -> None:
    _lock_grid(grid.pk)
    grid.delete()


@transaction.atomic
def add_package(*, grid: Grid, package: Package, user: User) -> GridPackage:
    _lock_grid(grid.pk)
    _check_room(grid, setting="GRID_MAX_PACKAGES", what="packages", count=grid.grid_packages.count)
    membership = GridPackage.objects.create(grid=grid, package=package, created_by=user)
    _touch(grid, user)
    return membership


@transaction.atomic
def remove_package(
    *, membership: GridPackage, user: User, only_cells_by: User | None = None
) -> None:
    """Remove a row and its cells. `only_cells_by` (a user): refuse (OthersCellsError) when the
    row holds a cell someone else wrote; GridPackage.DoesNotExist when it was removed meanwhile."""
    _delete_with_cells(
        membership,
        Element.objects.filter(grid_package=membership),
        user=user,
        only_cells_by=only_cells_by,
        gone=GridPackage.DoesNotExist("This package was removed from the grid meanwhile."),
    )


@transaction.atomic
def create_feature(*, grid: Grid, user: User, title: str, description: str = "") -> Feature:
    _lock_grid(grid.pk)
    _check_room(grid, setting="GRID_MAX_FEATURES", what="features", count=grid.features.count)
    feature = Feature.objects.create(
        grid=grid, title=title, description=description, created_by=user
    )
    _touch(grid, user)
    return feature


@transaction.atomic
def update_feature(*, feature: Feature, user: User, changes: Mapping[str, Any]) -> Feature:
    """Write the columns `changes` changes, and only those."""
    _lock_grid(feature.grid_id)
    stored = Feature.objects.select_for_update().get(pk=feature.pk)
    changed = changed_columns(feature, changes, stored=stored)
    if changed:
        feature.save(update_fields=changed)
    _touch(feature.grid, user)
    return feature


@transaction.atomic
def delete_feature(*, feature: Feature, user: User, only_cells_by: User | None = None) -> None:
    """Delete a feature and its cells; `only_cells_by` as for `remove_package`."""
    _delete_with_cells(
        feature,
        Element.objects.filter(feature=feature),
        user=user,
        only_cells_by=only_cells_by,
        gone=Feature.DoesNotExist("This feature was deleted meanwhile."),
    )


@transaction.atomic
def set_cell(
    *, membership: GridPackage, feature: Feature, text: str, user: User
) -> tuple[Element, bool]:
    """Create or overwrite the cell for one package and one feature; return (cell, created)."""
    multi_line(text)
    grid = membership.grid
    _lock_grid(grid.pk)
    if not GridPackage.objects.select_for_update().filter(pk=membership.pk).exists():
        raise ValidationError({"package": [NOT_IN_GRID]})  # removed since it was validated
    if not Feature.objects.filter(pk=feature.pk, grid=grid).exists():
        raise ValidationError({"feature": ["This feature was deleted meanwhile."]})
    cell = (
        Element.objects.select_for_update().filter(grid_package=membership, feature=feature).first()
    )
    created = cell is None
    if cell is None:
        _check_room(
            grid,
            setting="GRID_MAX_CELLS",
            what="cells",
            count=Element.objects.filter(grid_package__grid=grid).count,
        )
        cell = Element.objects.create(
            grid_package=membership, feature=feature, text=text, created_by=user
        )
    elif cell.text != text:
        cell.text = text
        cell.save()
    _touch(membership.grid, user)
    return cell, created


@transaction.atomic
def update_cell(*, cell: Element, user: User, text: str) -> Element:
    multi_line(text)
    _lock_grid(cell.grid_package.grid_id)
    if not Element.objects.select_for_update().filter(pk=cell.pk).exists():
        raise Element.DoesNotExist("This cell was deleted meanwhile.")
    cell.text = text
    cell.save()
    _touch(cell.grid_package.grid, user)
    return cell


@transaction.atomic
def delete_cell(*, cell: Element, user: User) -> None:
    grid = cell.grid_package.grid
    _lock_grid(grid.pk)
    cell.delete()
    _touch(grid, user)
