"""A fetch holds no row lock while it talks to upstreams (PostgreSQL): an edit made meanwhile
answers at once and both it and the fetched figures are kept; a write that waits too long for a
row lock answers a JSON 409 instead of outlasting the web worker."""

import threading

import pytest
from django.db import connection, connections, transaction
from rest_framework.test import APIClient

from packages.fetch.config import FetcherConfig
from packages.fetch.run import FetchRun
from packages.fetch.sources import build_clients
from packages.models import Package
from tests.checksums import fetch_state_of
from tests.factories import PackageFactory, UserFactory
from tests.packages.conftest import serve_github_repo, serve_pypi

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def in_thread(work):
    def target():
        try:
            work()
        finally:
            connections.close_all()

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


@pytest.fixture
def widgets(fetch_settings, upstream):
    serve_github_repo(upstream)
    serve_pypi(upstream)
    return PackageFactory(
        slug="widgets", repo_url="https://github.com/octo/widgets", pypi_url="django-widgets"
    )


@pytest.fixture
def staff_api():
    api = APIClient()
    api.force_authenticate(UserFactory(is_staff=True, is_superuser=True))
    return api


def stall(upstream, path):
    """Make `path` block until the returned event is set; `in_flight` is set once it blocks."""
    in_flight, release = threading.Event(), threading.Event()
    reply = upstream.routes[path][0]

    def stalled(handler):
        in_flight.set()
        release.wait(30)
        upstream.routes[path] = [reply]
        upstream.handle(handler)

    upstream.add(path, stalled)
    return in_flight, release


def test_a_staff_edit_during_a_stalled_fetch_answers_at_once_and_both_are_kept(
    widgets, upstream, staff_api, fetch_settings
):
    # A slow upstream, still within the fetch's deadlines: the fetch waits for it.
    fetch_settings.FETCH_READ_TIMEOUT = fetch_settings.FETCH_DEADLINE = 40
    in_flight, release = stall(upstream, "/github/repos/octo/widgets/stats/participation")
    answers = {}

    def fetch():
        config = FetcherConfig.from_settings(workers=1)
        clients = build_clients(config)
        run = FetchRun(clients, config)
        answers["summary"] = run.run(run.select())
        clients.close()

    def edit():
        answers["edit"] = staff_api.patch(
            f"/api/v4/packages/{widgets.pk}/", {"title": "Edited mid-fetch"}, format="json"
        )

    fetching = in_thread(fetch)
    try:
        assert in_flight.wait(20), "the fetch never reached the stalled upstream"
        editing = in_thread(edit)
        editing.join(10)
        edit_finished_while_stalled = not editing.is_alive()
    finally:
        release.set()
    fetching.join(30)
    editing.join(30)

    assert edit_finished_while_stalled, "the edit waited for the fetch's network calls"
    assert answers["edit"].status_code == 200, answers["edit"].content
    assert answers["summary"].fetched == 1
    widgets.refresh_from_db()
    assert widgets.title == "Edited mid-fetch"
    assert (widgets.repo_watchers, widgets.pypi_version) == (120, "1.10")
    assert widgets.last_fetched is not None


def test_connections_give_up_waiting_for_a_row_lock_after_the_configured_time(settings):
    with connection.cursor() as cursor:
        cursor.execute("SHOW lock_timeout")
        (value,) = cursor.fetchone()
    assert value == "5s"
    assert "-c lock_timeout=5000ms" in settings.DATABASES["default"]["OPTIONS"]["options"]


def hold_row_lock(package_id):
    """Another transaction holding the package's row lock until the returned event is set."""
    holding, release = threading.Event(), threading.Event()

    def hold():
        with transaction.atomic():
            Package.objects.select_for_update().get(pk=package_id)
            holding.set()
            release.wait(30)

    thread = in_thread(hold)
    assert holding.wait(10)
    return thread, release


@pytest.fixture
def short_lock_timeout():
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '300ms'")
    yield
    with connection.cursor() as cursor:
        cursor.execute("RESET lock_timeout")


def test_an_api_write_that_waits_too_long_for_a_lock_answers_409_in_json(
    widgets, staff_api, short_lock_timeout
):
    holder, release = hold_row_lock(widgets.pk)
    try:
        response = staff_api.patch(
            f"/api/v4/packages/{widgets.pk}/", {"title": "Blocked"}, format="json"
        )
    finally:
        release.set()
        holder.join(10)

    assert response.status_code == 409
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "detail": "Another change to this data is in progress; try again in a moment."
    }
    assert Package.objects.get(pk=widgets.pk).title != "Blocked"


def test_a_fetch_whose_write_meets_a_long_held_lock_leaves_the_package_for_the_next_run(
    widgets, short_lock_timeout
):
    holder, release = hold_row_lock(widgets.pk)
    try:
        config = FetcherConfig.from_settings(workers=1)
        clients = build_clients(config)
        run = FetchRun(clients, config)
        summary = run.run(run.select())
        clients.close()
    finally:
        release.set()
        holder.join(10)

    assert (summary.fetched, summary.skipped, summary.failed_total) == (0, 1, 0)
    widgets.refresh_from_db()
    assert widgets.last_fetched is None
    assert fetch_state_of(widgets).failures == 0
