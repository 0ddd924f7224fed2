"""Edits people make to categories (the API): create, change, and delete one no package uses."""

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from categories.models import Category


class CategoryInUseError(Exception):
    """A category still holds packages: they must move before it can go."""

    def __init__(self, count: int) -> None:
        super().__init__(f"{count} package(s) use this category: move them first.")
        self.count = count


def create_category(
    *,
    title: str,
    slug: str,
    description: str = "",
    title_plural: str = "",
    show_pypi: bool = True,
) -> Category:
    return Category.objects.create(
        title=title,
        slug=slug,
        description=description,
        title_plural=title_plural,
        show_pypi=show_pypi,
    )


def update_category(*, category: Category, changes: Mapping[str, Any]) -> Category:
    """Set the fields `changes` names and save the category."""
    for name, value in changes.items():
        setattr(category, name, value)
    category.save()
    return category


@transaction.atomic
def delete_category(*, category: Category) -> None:
    """Delete a category; CategoryInUseError while packages use it."""
    in_use = category.packages.count()
    if in_use:
        raise CategoryInUseError(in_use)
    category.delete()
