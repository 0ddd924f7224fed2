"""Refuse, before anything else runs, API requests no view could accept: oversized bodies
(413) and methods the resource does not have (405)."""

import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase, JsonResponse

from common.errors import API_PREFIX, error_document

V4_PREFIX = "/api/v4/"


class RequestBodyLimitMiddleware:
    """A declared body over `MAX_REQUEST_BODY_BYTES` under /api/ is a JSON 413.

    Django reads no more than `Content-Length` bytes, so the header is the whole check.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.path.startswith(API_PREFIX):
            limit = settings.MAX_REQUEST_BODY_BYTES
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                message = "Invalid Content-Length header."
                return JsonResponse(error_document(request.path, 400, message), status=400)
            if length > limit:
                message = f"Request body too large: at most {limit} bytes are accepted."
                return JsonResponse(error_document(request.path, 413, message), status=413)
        return self.get_response(request)


class MethodNotAllowedMiddleware:
    """Under /api/v4/, a method the resolved view has no handler for is a JSON 405 with `Allow`,
    before authentication and permissions: whoever asks, TRACE or PUT on a read-only
    resource is 405, never 401 or 403."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponseBase],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> JsonResponse | None:
        # API v3 keeps its own error shape ({"error", "message"}) and answers 405 itself.
        if not request.path.startswith(V4_PREFIX):
            return None
        allowed = _handled_methods(view_func)
        if allowed is None or (request.method or "").lower() in allowed:
            return None
        response = JsonResponse({"detail": f'Method "{request.method}" not allowed.'}, status=405)
        response["Allow"] = ", ".join(method.upper() for method in sorted(allowed))
        return response


@functools.cache
def _handled_methods(view_func: Callable[..., HttpResponseBase]) -> frozenset[str] | None:
    """The lower-case methods a class-based view (DRF viewset, APIView or Django view) handles;
    None for a plain function, which handles its own. Views live as long as the URLconf: each
    is looked at once."""
    view_class = getattr(view_func, "cls", None) or getattr(view_func, "view_class", None)
    if view_class is None:
        return None
    actions = getattr(view_func, "actions", None) or {}
    methods = {m for m in view_class.http_method_names if m in actions or hasattr(view_class, m)}
    if "get" in methods:
        methods.add("head")  # as View.setup() does
    return frozenset(methods)
