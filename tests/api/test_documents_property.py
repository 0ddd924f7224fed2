"""Property: whatever sequence of catalogue writes runs, `check_documents` finds nothing."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api import documents
from categories.models import Category
from grids.models import Grid, GridPackage
from packages.models import Package
from tests.factories import CategoryFactory, GridFactory, PackageFactory

pytestmark = pytest.mark.django_db

WRITES = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "new_package",
                "rename_package",
                "bulk_update_package",
                "delete_package",
                "new_grid",
                "rename_grid",
                "delete_grid",
                "add_member",
                "remove_member",
                "clear_grid",
                "delete_membership",
                "recategorise",
                "rename_category",
            ]
        ),
        st.integers(min_value=0, max_value=50),
        st.text(alphabet="abcé\u2028 ", min_size=1, max_size=8),
    ),
    max_size=12,
)


def _pick(queryset, n):
    rows = list(queryset.order_by("pk"))
    return rows[n % len(rows)] if rows else None


def _apply(write: str, n: int, text: str) -> None:
    package, grid = _pick(Package.objects.all(), n), _pick(Grid.objects.all(), n // 3)
    category = _pick(Category.objects.all(), n)
    if write == "new_package" or package is None:
        PackageFactory(category=category or CategoryFactory())
    elif write == "rename_package":
        package.title = text
        package.save()
    elif write == "bulk_update_package":
        Package.objects.filter(pk__lte=package.pk).update(repo_description=text, repo_forks=n)
    elif write == "delete_package":
        package.delete()
    elif write == "new_grid" or grid is None:
        GridFactory(description=text)
    elif write == "rename_grid":
        grid.title = text
        grid.save()
    elif write == "delete_grid":
        grid.delete()
    elif write == "add_member":
        grid.packages.add(package)
    elif write == "remove_member":
        package.grids.remove(grid)
    elif write == "clear_grid":
        grid.packages.clear()
    elif write == "delete_membership":
        GridPackage.objects.filter(package=package).delete()
    elif write == "recategorise":
        package.category = CategoryFactory()
        package.save()
    elif write == "rename_category" and category is not None:
        Category.objects.filter(pk=category.pk).update(title=text)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(writes=WRITES)
def test_any_sequence_of_writes_leaves_every_document_as_its_rows_build_it(writes):
    for write, n, text in writes:
        _apply(write, n, text)
    assert list(documents.differences()) == []
