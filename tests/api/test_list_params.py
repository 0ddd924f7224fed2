"""Which query parameters name a list's filter (api/list_params.py): a filter's name, and its
suffixed forms a multi-value widget reads; anything else leaves the list unfiltered."""

import pytest

from api.filters import GridFilter, PackageFilter
from api.list_params import names_a_filter


@pytest.mark.parametrize(
    ("filterset", "parameter"),
    [
        (PackageFilter, "category"),
        (PackageFilter, "updated_after"),
        (PackageFilter, "category_min"),
        (PackageFilter, "q"),
        (GridFilter, "q"),
    ],
)
def test_a_filters_name_or_suffixed_form_names_it(filterset, parameter):
    assert names_a_filter(filterset, parameter)


@pytest.mark.parametrize(
    ("filterset", "parameter"),
    [
        (PackageFilter, "offset"),
        (PackageFilter, "nonce"),
        (PackageFilter, "categoryx"),
        (PackageFilter, "_category"),
        (PackageFilter, ""),
        (GridFilter, "category"),
    ],
)
def test_any_other_parameter_names_none(filterset, parameter):
    assert not names_a_filter(filterset, parameter)
