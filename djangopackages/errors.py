"""Error responses: JSON `{"detail": ...}` for every API error, and 503 when the database is down.

Django's own error views answer HTML; API clients get JSON for 400/403/404/500 under `/api/`
(API v3's `{"error", "message"}` shape under `/api/v3/`), with DEBUG too (where Django answers
its debug pages instead of calling the handlers), and a database outage becomes a fast 503 with
`Retry-After` instead of a 500 anywhere.
"""

import logging
from http import HTTPStatus

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.views import defaults
from rest_framework.response import Response

from api.v3.rendering import error_document

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"
RETRY_AFTER_SECONDS = "5"


def _is_api(request):
    return request.path.startswith(API_PREFIX)


def _json_error(request, status, detail):
    return JsonResponse(error_document(request.path, status, detail), status=status)


_MESSAGES = {
    400: "Bad request.",
    403: "You do not have permission to perform this action.",
    404: "Not found.",
    500: "Server error.",
}


def _message(status):
    if status in _MESSAGES:
        return _MESSAGES[status]
    try:
        return f"{HTTPStatus(status).phrase}."
    except ValueError:
        return "Error."


def bad_request(request, exception, template_name="400.html"):
    if _is_api(request):
        return _json_error(request, 400, _message(400))
    return defaults.bad_request(request, exception)


def permission_denied(request, exception, template_name="403.html"):
    if _is_api(request):
        return _json_error(request, 403, _message(403))
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception, template_name="404.html"):
    if _is_api(request):
        return _json_error(request, 404, _message(404))
    return defaults.page_not_found(request, exception)


def server_error(request, template_name="500.html"):
    if _is_api(request):
        return _json_error(request, 500, _message(500))
    return defaults.server_error(request)


class ApiJsonErrorsMiddleware:
    """Under /api/, an HTML error page Django made itself (DEBUG's technical 404/500 pages, CSRF
    failures) becomes the JSON error the handlers above give; the browsable API's own HTML
    (DRF responses) is left alone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code >= 400
            and _is_api(request)
            and response.get("Content-Type", "").startswith("text/html")
            and not isinstance(response, Response)
        ):
            return _json_error(request, response.status_code, _message(response.status_code))
        return response


class DatabaseUnavailableMiddleware:
    """Turn a lost database connection into 503 + Retry-After (JSON under /api/ and /healthz)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.warning("database unavailable: %s", exception)
        detail = "The database is unavailable; try again shortly."
        if _is_api(request) or request.path == "/healthz":
            response = _json_error(request, 503, detail)
        else:
            response = HttpResponse(detail, status=503, content_type="text/plain")
        response["Retry-After"] = RETRY_AFTER_SECONDS
        return response
