"""DRF exception handler: database refusals and the editing services' refusals become client
errors with a JSON `detail` (a row deleted meanwhile is a 404, a delete that would take someone
else's cells a 403)."""

from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import ProtectedError, RestrictedError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from grids.editing import OthersCellsError


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    response = drf_exception_handler(exc, context)
    if response is not None:
        return response
    body: dict[str, Any]
    code: int
    if isinstance(exc, ProtectedError | RestrictedError):
        detail, code = "It is still in use, so it cannot be deleted.", status.HTTP_409_CONFLICT
        body = {"detail": detail}
    elif isinstance(exc, IntegrityError):
        # A concurrent write won a uniqueness race the validation had already checked.
        body = {"detail": "This conflicts with a record saved at the same time; try again."}
        code = status.HTTP_409_CONFLICT
    elif isinstance(exc, OthersCellsError):
        body, code = {"detail": str(exc)}, status.HTTP_403_FORBIDDEN
    elif isinstance(exc, ObjectDoesNotExist):
        # A service re-read its row under lock and found it deleted by a concurrent request.
        body, code = {"detail": str(exc) or "Not found."}, status.HTTP_404_NOT_FOUND
    elif isinstance(exc, DjangoValidationError):
        body = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        code = status.HTTP_400_BAD_REQUEST
    else:
        return None
    set_rollback()
    return Response(body, status=code)
