"""Who may write what (README, "Editing through the API", has the table).

Reads are open to everyone. Every write needs a signed-in user: anonymous writes are 401 with
`WWW-Authenticate: Token`. A refusal to a signed-in user is a 403 whose `detail` says why.
"""

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from grids.editing import OthersCellsError

LOCKED = "This grid is locked: only staff may change it or its packages, features and cells."


def is_staff(user: Any) -> bool:
    return bool(user and user.is_authenticated and user.is_staff)


def _is_creator(user: Any, obj: Any) -> bool:
    return obj.created_by_id is not None and obj.created_by_id == user.pk


class _WritesNeedSignIn(BasePermission):
    def has_permission(self, request: Request, view: APIView) -> bool:
        return request.method in SAFE_METHODS or bool(
            request.user and request.user.is_authenticated
        )


class PackagePermission(_WritesNeedSignIn):
    """Create: anyone signed in. Update: its creator and staff. Delete: staff."""

    def has_object_permission(self, request: Request, view: APIView, obj: Any) -> bool:
        if request.method in SAFE_METHODS or is_staff(request.user):
            return True
        if request.method == "DELETE":
            self.message = "Only staff may delete a package."
            return False
        self.message = "Only the package's creator or staff may edit it."
        return _is_creator(request.user, obj)


class GridPermission(_WritesNeedSignIn):
    """Create: anyone signed in. Update: creator and staff while unlocked, staff always.
    Delete: staff."""

    def has_object_permission(self, request: Request, view: APIView, obj: Any) -> bool:
        if request.method in SAFE_METHODS or is_staff(request.user):
            return True
        if request.method == "DELETE":
            self.message = "Only staff may delete a grid."
            return False
        if obj.is_locked:
            self.message = LOCKED
            return False
        self.message = "Only the grid's creator or staff may edit it."
        return _is_creator(request.user, obj)


class GridContentPermission(_WritesNeedSignIn):
    """Rows, features and cells of `view.grid`: anyone signed in while the grid is unlocked.

    Deleting a feature or a cell also needs its creator or staff, unless the view says
    `anyone_may_delete` (grid membership). Deleting a row or a feature deletes its cells, so
    it also needs the caller to be the creator of each of them (or staff).
    """

    def has_permission(self, request: Request, view: Any) -> bool:  # a GridContentMixin view
        if not super().has_permission(request, view):
            return False
        if request.method in SAFE_METHODS or is_staff(request.user):
            return True
        if view.grid.is_locked:
            self.message = LOCKED
            return False
        return True

    def has_object_permission(self, request: Request, view: APIView, obj: Any) -> bool:
        if request.method != "DELETE" or is_staff(request.user):
            return True
        if not getattr(view, "anyone_may_delete", False) and not _is_creator(request.user, obj):
            self.message = "Only its creator or staff may delete it."
            return False
        cells = getattr(obj, "elements", None)
        others = 0 if cells is None else cells.exclude(created_by=request.user).count()
        if others:
            self.message = str(OthersCellsError(others))
            return False
        return True


class CategoryPermission(_WritesNeedSignIn):
    """Only staff write categories."""

    message = "Only staff may edit categories."

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not super().has_permission(request, view):
            return False
        return request.method in SAFE_METHODS or is_staff(request.user)
