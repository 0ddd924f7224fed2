"""Edits people make to packages (the API and the admin): who made them, which columns they
write, and what must be refetched."""

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.db.models import Model
from django.utils.text import slugify

from categories.models import Category
from packages.models import Package

SLUG_MAX_LENGTH = 100


def unique_slug(
    model: type[Model], title: str, *, max_length: int = SLUG_MAX_LENGTH, fallback: str = "item"
) -> str:
    """A free slug for `model` made from `title`: `name`, then `name-2`, `name-3`..."""
    base = slugify(title)[:max_length].strip("-_") or fallback
    similar = model._default_manager.filter(slug__startswith=base[: max_length - 4])
    taken = set(similar.values_list("slug", flat=True))
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        suffix = f"-{n}"
        candidate = f"{base[: max_length - len(suffix)]}{suffix}"
    return candidate


def changed_columns(instance: Model, changes: Mapping[str, Any], *, stored: Model) -> list[str]:
    """Set on `instance` the `changes` that differ from `stored` (the row as it is now).

    Returns their names.

    Edits write these columns and no others, so a fetch (or another edit) that committed
    since `instance` was loaded keeps what it wrote.
    """
    changed = [name for name, value in changes.items() if getattr(stored, name) != value]
    for name in changed:
        setattr(instance, name, changes[name])
    return changed


def save_new_package(package: Package, *, user: Any) -> Package:
    """Save a package made by a person (the API or the admin): never fetched, so fetched first."""
    package.slug = package.slug or unique_slug(Package, package.title, fallback="package")
    package.created_by = package.last_modified_by = user
    package.last_fetched = None
    package.save()
    return package


@transaction.atomic
def create_package(
    *,
    user: Any,
    category: Category,
    title: str,
    slug: str = "",
    repo_url: str = "",
    pypi_url: str = "",
    documentation_url: str = "",
    repo_description: str = "",
) -> Package:
    """A new package, never fetched, so the next `fetch_stats` run fetches it first."""
    package = Package(
        category=category,
        title=title,
        slug=slug,
        repo_url=repo_url,
        pypi_url=pypi_url,
        documentation_url=documentation_url,
        repo_description=repo_description,
    )
    return save_new_package(package, user=user)


@transaction.atomic
def update_package(*, package: Package, user: Any, changes: Mapping[str, Any]) -> Package:
    """Write the columns `changes` changes, and only those; a new repository or PyPI name queues
    the package for a fetch (the next run takes it first).

    The row is locked for the edit (PostgreSQL), so an edit made while the package is being
    fetched waits for that fetch's write and then keeps both.
    """
    stored = Package.objects.select_for_update().get(pk=package.pk)
    changed = changed_columns(package, changes, stored=stored)
    if {"repo_url", "pypi_url"} & set(changed):
        package.last_fetched = None
        changed.append("last_fetched")
    package.last_modified_by = user
    package.save(update_fields=[*changed, "last_modified_by"])
    package.refresh_from_db()
    return package


@transaction.atomic
def delete_package(*, package: Package, user: Any) -> None:
    package.delete()
