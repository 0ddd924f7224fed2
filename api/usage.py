"""`POST`/`DELETE /api/v4/packages/{id or slug}/usage/`: a signed-in user marks or unmarks a
package they use. Both are idempotent; the answer is the package's usage count and whether the
caller uses it. Counted in search hits (`usage`) and API v3 (`usage_count`)."""

from typing import Any, cast

from django.contrib.auth.models import User
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from api.editing import REFUSED
from api.mixin_base import ViewSetMixinBase
from api.throttling import UsageThrottle, UserThrottle
from packages.usage import mark_used, unmark_used, usage_count


class UsageSerializer(serializers.Serializer):
    usage_count = serializers.IntegerField(help_text="Signed-in users who use the package.")
    used = serializers.BooleanField(help_text="Whether you use it, after this request.")


class PackageUsageMixin(ViewSetMixinBase):
    """The `usage` action of the package viewset."""

    @extend_schema(
        summary="Mark (POST) or unmark (DELETE) a package as one you use",
        request=None,
        responses={
            200: UsageSerializer,
            201: OpenApiResponse(UsageSerializer, description="Newly marked."),
            **REFUSED,
        },
    )
    @action(
        detail=True,
        methods=["post", "delete"],
        permission_classes=[IsAuthenticated],
        throttle_classes=[UserThrottle, UsageThrottle],
        filter_backends=[],
        pagination_class=None,
    )
    def usage(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        package = self.get_object()
        user = cast(User, request.user)  # IsAuthenticated: never the anonymous user
        if request.method == "POST":
            changed = mark_used(package=package, user=user)
        else:
            changed = unmark_used(package=package, user=user)
        body = {"usage_count": usage_count(package), "used": request.method == "POST"}
        code = (
            status.HTTP_201_CREATED if changed and request.method == "POST" else status.HTTP_200_OK
        )
        return Response(UsageSerializer(body).data, status=code)
