"""One DefaultRouter for every API v4 resource."""

from rest_framework.routers import DefaultRouter

router = DefaultRouter()

urlpatterns = router.urls
