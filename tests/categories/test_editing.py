"""Category edits: created with the model's defaults, changed field by field, deleted only once
no package uses them."""

import pytest

from categories.editing import (
    CategoryInUseError,
    create_category,
    delete_category,
    update_category,
)
from categories.models import Category
from tests.factories import CategoryFactory, PackageFactory

pytestmark = pytest.mark.django_db


def test_a_new_category_takes_the_models_defaults():
    category = create_category(title="Apps", slug="apps")

    stored = Category.objects.get(pk=category.pk)
    assert (stored.title, stored.slug, stored.description) == ("Apps", "apps", "")
    assert stored.show_pypi is True


def test_an_update_writes_the_fields_it_names():
    category = CategoryFactory(title="Apps", show_pypi=True)

    update_category(category=category, changes={"show_pypi": False})

    stored = Category.objects.get(pk=category.pk)
    assert (stored.title, stored.show_pypi) == ("Apps", False)


def test_a_category_packages_use_is_not_deleted():
    package = PackageFactory()

    with pytest.raises(CategoryInUseError, match="1 package"):
        delete_category(category=package.category)

    assert Category.objects.filter(pk=package.category_id).exists()


def test_an_unused_category_is_deleted():
    category = CategoryFactory()

    delete_category(category=category)

    assert not Category.objects.filter(pk=category.pk).exists()
