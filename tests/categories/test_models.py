"""Category model: unique slug, ordering, protection while packages use it."""

import pytest
from django.db import IntegrityError, transaction

from categories.models import Category
from tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db


def test_slug_is_unique():
    CategoryFactory(slug="apps")
    with pytest.raises(IntegrityError), transaction.atomic():
        CategoryFactory(slug="apps")


def test_ordered_by_title():
    CategoryFactory(title="Other")
    CategoryFactory(title="App")
    assert [c.title for c in Category.objects.all()] == ["App", "Other"]
