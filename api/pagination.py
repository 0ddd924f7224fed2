"""Limit/offset pagination that refuses bad numbers instead of quietly serving page one."""

from rest_framework import pagination
from rest_framework.exceptions import ValidationError

# Far past any catalogue, and well inside the databases' 64-bit integers.
MAX_COUNT = 1_000_000_000


def parse_count(request, name, *, default, minimum, maximum=None):
    """The integer query parameter `name`: `default` when absent, clamped to `maximum`.

    Anything that is not an integer >= `minimum` is a 400 naming the parameter.
    """
    raw = request.query_params.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        value = None
    if value is None or value < minimum:
        kind = "a positive integer" if minimum > 0 else "a non-negative integer"
        raise ValidationError({name: [f"Must be {kind}, not {raw[:40]!r}."]})
    if value > MAX_COUNT:
        raise ValidationError({name: [f"Must be at most {MAX_COUNT}."]})
    return value if maximum is None else min(value, maximum)


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    """`limit` (default 20, above 100 read as 100) and `offset`; junk or negatives are 400s."""

    default_limit = 20
    max_limit = 100
    limit_query_description = "Results per page: 20 by default, values above 100 read as 100."
    offset_query_description = "How many results to skip before the page starts (default 0)."

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1 if parameter["name"] == self.limit_query_param else 0
        return parameters

    def get_limit(self, request):
        return parse_count(
            request,
            self.limit_query_param,
            default=self.default_limit,
            minimum=1,
            maximum=self.max_limit,
        )

    def get_offset(self, request):
        return parse_count(request, self.offset_query_param, default=0, minimum=0)
