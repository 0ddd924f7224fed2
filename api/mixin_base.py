"""What the viewset mixins build on, for the type checker: DRF's GenericViewSet plus the two
methods every concrete viewset gets from api.views.

At run time the mixins derive from `object` and are combined with GenericViewSet by the
concrete viewsets; mypy sees them as GenericViewSet subclasses, so `self.request`,
`self.get_object()` and friends are known.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from rest_framework.viewsets import GenericViewSet

    class ViewSetMixinBase(GenericViewSet):
        def get_object(self, queryset: QuerySet[Any] | None = None) -> Any: ...

        def perform_destroy(self, instance: Any) -> None: ...

else:
    ViewSetMixinBase = object

__all__ = ["ViewSetMixinBase"]
