"""Limit/offset pagination that refuses bad numbers instead of quietly serving page one."""

from typing import Any, cast

from django.conf import settings
from django.http import HttpRequest
from rest_framework import pagination
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.views import APIView

# Far past any catalogue, and well inside the databases' 64-bit integers.
MAX_COUNT = 1_000_000_000


def parse_count(
    request: Request | HttpRequest,
    name: str,
    *,
    default: int,
    minimum: int,
    maximum: int | None = None,
) -> int:
    """The integer query parameter `name`: `default` when absent, clamped to `maximum`.

    Anything that is not an integer >= `minimum` is a 400 naming the parameter.
    """
    params = request.query_params if isinstance(request, Request) else request.GET
    raw = params.get(name)
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
    """`limit` (`PAGE_SIZE` when absent or 0, above `API_MAX_PAGE_SIZE` read as that) and
    `offset`; junk or negatives are 400s. Both bounds are read from settings per request."""

    offset_query_description = "How many results to skip before the page starts (default 0)."

    def get_schema_operation_parameters(self, view: APIView) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.limit_query_param:
                parameter["description"] = (
                    f"Results per page: {api_settings.PAGE_SIZE} when absent or 0, values "
                    f"above {settings.API_MAX_PAGE_SIZE} read as {settings.API_MAX_PAGE_SIZE}."
                )
            parameter["schema"]["minimum"] = 0
        return parameters

    def get_limit(self, request: Request) -> int:
        limit = parse_count(
            request,
            self.limit_query_param,
            default=0,
            minimum=0,
            maximum=settings.API_MAX_PAGE_SIZE,
        )
        return limit or cast(int, api_settings.PAGE_SIZE)  # set in settings.REST_FRAMEWORK

    def get_offset(self, request: Request) -> int:
        return parse_count(request, self.offset_query_param, default=0, minimum=0)
