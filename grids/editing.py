"""Edits people make to grids, their rows (packages), columns (features) and cells.

Every change to a grid's content also records who touched the grid and bumps its `modified`.
A grid holds at most `GRID_MAX_PACKAGES` rows, `GRID_MAX_FEATURES` features and
`GRID_MAX_CELLS` cells; adding beyond a bound is a ValidationError naming it.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from common.text import multi_line
from grids.models import Element, Feature, Grid, GridPackage
from packages.editing import changed_columns, unique_slug


def _check_room(grid, *, setting, what, count):
    """Refuse one more `what` in `grid` once it holds the `setting` bound's worth."""
    # Lock the grid row so concurrent adds cannot both take the last place.
    Grid.objects.select_for_update().filter(pk=grid.pk).first()
    bound = getattr(settings, setting)
    if count() >= bound:
        raise ValidationError(
            {"grid": [f"A grid holds at most {bound} {what} ({setting}); this one is full."]}
        )


def _touch(grid, user):
    grid.last_modified_by = user
    grid.save(update_fields=["last_modified_by"])


def save_new_grid(grid, *, user):
    """Save a grid made by a person (the API or the admin)."""
    grid.slug = grid.slug or unique_slug(Grid, grid.title, fallback="grid")
    grid.created_by = grid.last_modified_by = user
    grid.save()
    return grid


@transaction.atomic
def create_grid(*, user, title, slug="", description="", is_locked=False, header=False):
    grid = Grid(title=title, slug=slug, description=description, is_locked=is_locked, header=header)
    return save_new_grid(grid, user=user)


@transaction.atomic
def update_grid(*, grid, user, changes):
    """Write the columns `changes` changes, and only those."""
    stored = Grid.objects.select_for_update().get(pk=grid.pk)
    changed = changed_columns(grid, changes, stored=stored)
    grid.last_modified_by = user
    grid.save(update_fields=[*changed, "last_modified_by"])
    return grid


@transaction.atomic
def delete_grid(*, grid, user):
    grid.delete()


@transaction.atomic
def add_package(*, grid, package, user):
    _check_room(grid, setting="GRID_MAX_PACKAGES", what="packages", count=grid.grid_packages.count)
    membership = GridPackage.objects.create(grid=grid, package=package, created_by=user)
    _touch(grid, user)
    return membership


@transaction.atomic
def remove_package(*, membership, user):
    grid = membership.grid
    membership.delete()
    _touch(grid, user)


@transaction.atomic
def create_feature(*, grid, user, title, description=""):
    _check_room(grid, setting="GRID_MAX_FEATURES", what="features", count=grid.features.count)
    feature = Feature.objects.create(
        grid=grid, title=title, description=description, created_by=user
    )
    _touch(grid, user)
    return feature


@transaction.atomic
def update_feature(*, feature, user, changes):
    """Write the columns `changes` changes, and only those."""
    stored = Feature.objects.select_for_update().get(pk=feature.pk)
    changed = changed_columns(feature, changes, stored=stored)
    if changed:
        feature.save(update_fields=changed)
    _touch(feature.grid, user)
    return feature


@transaction.atomic
def delete_feature(*, feature, user):
    grid = feature.grid
    feature.delete()
    _touch(grid, user)


@transaction.atomic
def set_cell(*, membership, feature, text, user):
    """Create or overwrite the cell for one package and one feature; return (cell, created)."""
    multi_line(text)
    cell = (
        Element.objects.select_for_update().filter(grid_package=membership, feature=feature).first()
    )
    created = cell is None
    if created:
        grid = membership.grid
        _check_room(
            grid,
            setting="GRID_MAX_CELLS",
            what="cells",
            count=Element.objects.filter(grid_package__grid=grid).count,
        )
        cell = Element.objects.create(
            grid_package=membership, feature=feature, text=text, created_by=user
        )
    elif cell is not None and cell.text != text:
        cell.text = text
        cell.save()
    _touch(membership.grid, user)
    return cell, created


@transaction.atomic
def update_cell(*, cell, user, text):
    multi_line(text)
    cell.text = text
    cell.save()
    _touch(cell.grid_package.grid, user)
    return cell


@transaction.atomic
def delete_cell(*, cell, user):
    grid = cell.grid_package.grid
    cell.delete()
    _touch(grid, user)
