"""Error responses: JSON `{"detail": ...}` for every API error, and 503 when the database is down
(409 when two writes deadlocked, or one waited too long for the other's row lock).

Django's own error views answer HTML; API clients get JSON for 400/403/404/500 under `/api/`
(API v3's `{"error", "message"}` shape under `/api/v3/`), with DEBUG too (where Django answers
its debug pages instead of calling the handlers), and a database outage becomes a fast 503 with
`Retry-After` instead of a 500 anywhere. `error_document` is that body's one shape, which the
API's own middlewares use too.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.views import defaults
from rest_framework.response import Response

from common.db_errors import LOCK_NOT_AVAILABLE
from common.postgresql.base import DatabaseStalledError

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"
V3_PREFIX = "/api/v3/"
RETRY_AFTER_SECONDS = "5"
GetResponse = Callable[[HttpRequest], HttpResponseBase]


def error_document(path: str, status: int, message: str) -> dict[str, Any]:
    """An API error body for a response the views did not make (middleware, Django's handlers):
    v3's `{"error", "message"}` under /api/v3/, else `{"detail": message}`."""
    if path.startswith(V3_PREFIX):
        return {"error": status, "message": message}
    return {"detail": message}


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def _json_error(request: HttpRequest, status: int, detail: str) -> JsonResponse:
    return JsonResponse(error_document(request.path, status, detail), status=status)


_MESSAGES = {
    400: "Bad request.",
    403: "You do not have permission to perform this action.",
    404: "Not found.",
    500: "Server error.",
}


def _message(status: int) -> str:
    if status in _MESSAGES:
        return _MESSAGES[status]
    try:
        return f"{HTTPStatus(status).phrase}."
    except ValueError:
        return "Error."


def bad_request(
    request: HttpRequest, exception: Exception, template_name: str = "400.html"
) -> HttpResponse:
    if _is_api(request):
        return _json_error(request, 400, _message(400))
    return defaults.bad_request(request, exception)


def permission_denied(
    request: HttpRequest, exception: Exception, template_name: str = "403.html"
) -> HttpResponse:
    if _is_api(request):
        return _json_error(request, 403, _message(403))
    return defaults.permission_denied(request, exception)


def page_not_found(
    request: HttpRequest, exception: Exception, template_name: str = "404.html"
) -> HttpResponse:
    if _is_api(request):
        return _json_error(request, 404, _message(404))
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest, template_name: str = "500.html") -> HttpResponse:
    if _is_api(request):
        return _json_error(request, 500, _message(500))
    return defaults.server_error(request)


class ApiJsonErrorsMiddleware:
    """Under /api/, an HTML error page Django made itself (DEBUG's technical 404/500 pages, CSRF
    failures) becomes the JSON error the handlers above give; the browsable API's own HTML
    (DRF responses) is left alone."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if (
            response.status_code >= 400
            and _is_api(request)
            and response.get("Content-Type", "").startswith("text/html")
            and not isinstance(response, Response)
        ):
            return _json_error(request, response.status_code, _message(response.status_code))
        return response


@dataclass(frozen=True)
class DatabaseFailure:
    """How a database error is answered: its status and what the client is told."""

    status: int
    detail: str
    log: str


UNAVAILABLE = DatabaseFailure(503, "The database is unavailable; try again shortly.", "unavailable")
# By SQLSTATE (PostgreSQL's error codes, read from the driver's error): what is not an outage.
DATABASE_FAILURES = {
    # Two writes waited on each other (or a serializable transaction lost): the request did
    # nothing, and the same request again will most likely succeed.
    "40P01": DatabaseFailure(
        409, "This conflicted with an edit made at the same time; try again.", "deadlock"
    ),
    "40001": DatabaseFailure(
        409, "This conflicted with an edit made at the same time; try again.", "serialization"
    ),
    # statement_timeout (DB_STATEMENT_TIMEOUT): the database is up but did not answer in time
    # (as for DB_STALL_TIMEOUT, below).
    "57014": DatabaseFailure(
        503, "The database did not answer in time; try again shortly.", "statement timeout"
    ),
    # lock_timeout (DB_LOCK_TIMEOUT_MS): another write held the row too long; nothing was done.
    LOCK_NOT_AVAILABLE: DatabaseFailure(
        409, "Another change to this data is in progress; try again in a moment.", "lock timeout"
    ),
}


def database_failure(exception: BaseException) -> DatabaseFailure:
    """The answer to a database error: by the SQLSTATE its driver error carries, else an
    outage (a refused or lost connection, a stalled server cut by the client)."""
    if isinstance(exception.__cause__, DatabaseStalledError):
        return DATABASE_FAILURES["57014"]  # a silent server, cut by the client: not in time
    sqlstate = getattr(exception.__cause__, "sqlstate", None)
    return DATABASE_FAILURES.get(sqlstate or "", UNAVAILABLE)


class DatabaseUnavailableMiddleware:
    """Turn a database error into a fast answer with Retry-After (JSON under /api/ and /healthz):
    a lost, refused or stalled database is a 503; a deadlock or a lock wait given up a 409
    (`DATABASE_FAILURES`)."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        failure = database_failure(exception)
        logger.warning("database %s: %s", failure.log, exception)
        if _is_api(request) or request.path == "/healthz":
            response: HttpResponse = _json_error(request, failure.status, failure.detail)
        else:
            response = HttpResponse(
                failure.detail, status=failure.status, content_type="text/plain"
            )
        if failure.status == 503:
            response["Retry-After"] = RETRY_AFTER_SECONDS
        return response
