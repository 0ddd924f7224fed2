"""The OpenAPI generator: drf-spectacular's, plus the `format` parameter every view accepts."""

from typing import Any

from drf_spectacular import openapi
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.serializers import Serializer

FORMAT = OpenApiParameter(
    "format",
    OpenApiTypes.STR,
    enum=["json", "api"],
    description="Response format: `json`, or `api` for the browsable HTML page "
    "(links in it keep `?format=api`).",
)


class AutoSchema(openapi.AutoSchema):
    def get_override_parameters(
        self,
    ) -> list[OpenApiParameter | Serializer[Any] | type[Serializer[Any]]]:
        return [*super().get_override_parameters(), FORMAT]
