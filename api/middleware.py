"""Refuse oversized API request bodies before anything reads them."""

from django.conf import settings
from django.http import JsonResponse

API_PREFIX = "/api/"


class RequestBodyLimitMiddleware:
    """A declared body over `MAX_REQUEST_BODY_BYTES` under /api/ is a JSON 413.

    Django reads no more than `Content-Length` bytes, so the header is the whole check.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(API_PREFIX):
            limit = settings.MAX_REQUEST_BODY_BYTES
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                return JsonResponse({"detail": "Invalid Content-Length header."}, status=400)
            if length > limit:
                return JsonResponse(
                    {"detail": f"Request body too large: at most {limit} bytes are accepted."},
                    status=413,
                )
        return self.get_response(request)
