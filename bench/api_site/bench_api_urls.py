"""Bench-only URLconf: the production URLs plus `/bench/floor/<name>/`.

The floor is the cheapest Django view imaginable: it returns a JSON body captured from the
real endpoint (same size), through the same middleware, workers and server.
"""

import os
from pathlib import Path

from django.http import HttpResponse
from django.urls import include, path

_BODIES = {}


def floor(request, name):
    body = _BODIES.get(name)
    if body is None:
        body = _BODIES[name] = (Path(os.environ["BENCH_FLOOR_DIR"]) / f"{name}.json").read_bytes()
    return HttpResponse(body, content_type="application/json")


urlpatterns = [
    path("bench/floor/<slug:name>/", floor),
    path("", include("djangopackages.urls")),
]
