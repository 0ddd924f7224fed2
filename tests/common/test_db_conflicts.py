"""A deadlock between two requests is a 409 "try again" (never "The database is unavailable"),
and nothing either request wrote is kept; on PostgreSQL, with real row locks taken in opposite
orders by two threads."""

import threading

import pytest
from django.db import connection, transaction
from django.http import JsonResponse
from django.test import Client
from django.urls import path

from categories.models import Category
from tests.factories import CategoryFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

_both_locked_one = threading.Barrier(2)


def lock_in_order(request, first, second):
    """Lock two categories in the order the path gives, renaming each (a write to undo)."""
    with transaction.atomic():
        Category.objects.select_for_update().get(slug=first)
        Category.objects.filter(slug=first).update(title=f"renamed by {first}-first")
        _both_locked_one.wait(timeout=10)
        Category.objects.select_for_update().get(slug=second)
        Category.objects.filter(slug=second).update(title=f"renamed by {first}-first")
    return JsonResponse({"locked": [first, second]})


urlpatterns = [path("api/v4/lock/<slug:first>/<slug:second>/", lock_in_order)]


def test_a_deadlock_is_a_409_to_retry_and_keeps_nothing(settings):
    settings.ROOT_URLCONF = __name__
    CategoryFactory(slug="a", title="A")
    CategoryFactory(slug="b", title="B")
    responses = {}

    def call(first, second):
        try:
            responses[first] = Client().get(f"/api/v4/lock/{first}/{second}/")
        finally:
            connection.close()

    threads = [threading.Thread(target=call, args=pair) for pair in (("a", "b"), ("b", "a"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    statuses = sorted(response.status_code for response in responses.values())
    assert statuses == [200, 409], {k: r.content for k, r in responses.items()}
    (loser,) = [r for r in responses.values() if r.status_code == 409]
    assert loser.json() == {
        "detail": "This conflicted with an edit made at the same time; try again."
    }
    (winner,) = [r.json()["locked"][0] for r in responses.values() if r.status_code == 200]
    titles = set(Category.objects.values_list("title", flat=True))
    assert titles == {f"renamed by {winner}-first"}
