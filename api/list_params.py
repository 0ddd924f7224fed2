"""Which query parameters a list's rows depend on: its FilterSet's, nothing else.

`FilterBackend` skips django-filter when no parameter names a filter (a FilterSet given none
of its parameters leaves the queryset as it is, and building one, a deep copy of every filter
plus a bound form, costs more than the rest of a list page); api/reads.py asks the same.
"""

import functools
from typing import Any

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.request import Request
from rest_framework.views import APIView


def names_a_filter(filterset_class: Any, parameter: str) -> bool:
    """May `parameter` be read by `filterset_class`? Its filters' names, and their suffixed
    forms (`<name>_min`, `<name>_after`: the parameters of a multi-value widget)."""
    names, prefixes = _filter_names(filterset_class)
    return parameter in names or parameter.startswith(prefixes)


@functools.cache
def _filter_names(filterset_class: Any) -> tuple[frozenset[str], tuple[str, ...]]:
    """A FilterSet's filter names and their suffixed forms' prefixes (its filters are declared
    in its class body: each class is read once; asked on every list read)."""
    names = tuple(filterset_class.base_filters)
    return frozenset(names), tuple(f"{name}_" for name in names)


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, not run when no query parameter names one of the filters."""

    def filter_queryset(
        self, request: Request, queryset: QuerySet[Any], view: APIView
    ) -> QuerySet[Any]:
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None and not any(
            names_a_filter(filterset_class, parameter) for parameter in request.query_params
        ):
            return queryset
        return super().filter_queryset(request, queryset, view)
