"""A URLconf whose only view loses its database connection (for the 503 test)."""

from django.db import OperationalError
from django.urls import path


def lost_connection(request):
    raise OperationalError("connection refused")


urlpatterns = [path("api/v4/outage/", lost_connection)]
