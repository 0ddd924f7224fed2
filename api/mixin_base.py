"""What the viewset mixins build on, for the type checker: DRF's GenericViewSet.

At run time the mixins derive from `object` and are combined with GenericViewSet by the
concrete viewsets; mypy sees them as GenericViewSet subclasses, so `self.request`,
`self.get_object()` and friends are known.
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rest_framework.viewsets import GenericViewSet as ViewSetMixinBase
else:
    ViewSetMixinBase = object

__all__ = ["ViewSetMixinBase"]
