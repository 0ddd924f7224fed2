"""Which query parameters a list's rows depend on: its FilterSet's, nothing else.

`FilterBackend` skips django-filter when no parameter names a filter (a FilterSet given none
of its parameters leaves the queryset as it is, and building one, a deep copy of every filter
plus a bound form, costs more than the rest of an uncached list page); the pagination keys its
cached counts by the same parameters, so a cache-busting `?nonce=` does not recount.
"""

from typing import Any

from django_filters.rest_framework import DjangoFilterBackend


def names_a_filter(filterset_class: Any, parameter: str) -> bool:
    """May `parameter` be read by `filterset_class`? Its filters' names, and their suffixed
    forms (`<name>_min`, `<name>_after`: the parameters of a multi-value widget)."""
    return any(
        parameter == name or parameter.startswith(f"{name}_")
        for name in filterset_class.base_filters
    )


def may_change_rows(view: Any, parameter: str) -> bool:
    """May the query parameter `parameter` change which rows `view` lists? Not when it has no
    filter backend, nor when django-filter is its only one and no filter reads `parameter`;
    yes whenever this cannot tell."""
    backends = getattr(view, "filter_backends", None)
    if backends is None:
        return True
    if not backends:
        return False
    filterset_class = getattr(view, "filterset_class", None)
    if filterset_class is None or not all(
        issubclass(backend, DjangoFilterBackend) for backend in backends
    ):
        return True
    return names_a_filter(filterset_class, parameter)


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, not run when no query parameter names one of the filters."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None and not any(
            names_a_filter(filterset_class, parameter) for parameter in request.query_params
        ):
            return queryset
        return super().filter_queryset(request, queryset, view)
