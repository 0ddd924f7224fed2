"""A run always ends, whatever one upstream does: the faulty package fails, the others are fetched.

Each run goes in a thread joined with a timeout, so a run that would hang fails the test instead.
"""

import json
import threading
import time
from functools import partial
from io import StringIO

import pytest
from django.core.management import call_command

from packages.models import Package
from tests.factories import PackageFactory
from tests.packages.conftest import (
    Meeting,
    Reply,
    fixture,
    huge,
    serve_github_repo,
    serve_renamed_github_repo,
    trickle_headers,
)

pytestmark = pytest.mark.django_db(transaction=True)

RUN_TIMEOUT = 60
SLUGS = [f"p{i}" for i in range(4)]


def run_in_thread(*args):
    """`fetch_stats --json *args` -> (summary, seconds); fails the test if the run never ends."""
    out, errors, box = StringIO(), [], {}

    def target():
        started = time.monotonic()
        try:
            call_command("fetch_stats", "--json", *args, stdout=out)
        except BaseException as exc:  # re-raised in the test's thread below
            errors.append(exc)
        box["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(RUN_TIMEOUT)
    assert not thread.is_alive(), f"fetch_stats did not end within {RUN_TIMEOUT}s"
    if errors:
        raise errors[0]
    return json.loads(out.getvalue()), box["seconds"]


@pytest.fixture
def four_github_packages(fetch_settings, upstream):
    """Four GitHub packages; /rate_limit publishes a budget whose reset is past, as recorded
    answers do, and no real answer carries rate-limit headers."""
    fetch_settings.FETCH_WORKERS = 3
    fetch_settings.FETCH_RETRIES = 0
    for slug in SLUGS:
        serve_github_repo(upstream, f"o/{slug}")
        PackageFactory(slug=slug, repo_url=f"https://github.com/o/{slug}", pypi_url="")
    past = str(int(time.time()) - 3600)
    upstream.json(
        "/github/rate_limit",
        {"rate": {}},
        headers={"X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": "4999",
                 "X-RateLimit-Reset": past},
    )  # fmt: skip
    return fetch_settings


def stored_errors():
    """What each package's last failure was, for an assertion's message."""
    failures = Package.objects.exclude(fetch_state__error="").filter(fetch_state__isnull=False)
    return dict(failures.values_list("slug", "fetch_state__error"))


def fetched_slugs():
    return set(
        Package.objects.filter(last_fetched__isnull=False)
        .exclude(fetch_state__failures__gt=0)
        .values_list("slug", flat=True)
    )


def test_run_ends_when_one_answer_is_over_the_size_cap(four_github_packages, upstream):
    four_github_packages.FETCH_MAX_BYTES = 64 * 1024
    upstream.add("/github/repos/o/p1/contributors", partial(huge, megabytes=5))
    summary, _seconds = run_in_thread()
    assert summary["failed_by_reason"] == {"too_large": 1}, stored_errors()
    assert fetched_slugs() == {"p0", "p2", "p3"}
    assert Package.objects.get(slug="p1").fetch_state.failures == 1


def test_run_ends_when_one_upstream_trickles_its_headers(four_github_packages, upstream):
    four_github_packages.FETCH_DEADLINE = 2
    four_github_packages.FETCH_READ_TIMEOUT = 2  # each byte comes well inside the read timeout
    upstream.add("/github/repos/o/p2", partial(trickle_headers, every=0.4, total=300))
    summary, seconds = run_in_thread()
    assert summary["failed_by_reason"] == {"deadline": 1}, stored_errors()
    assert fetched_slugs() == {"p0", "p1", "p3"}
    # Bounded by FETCH_DEADLINE (2 s): without it the trickle takes 120 s. The upper bound is
    # loose because a loaded CI machine stretches the three other fetches.
    assert 1 <= seconds <= 15


def test_requests_run_concurrently_when_answers_carry_no_rate_limit_headers(
    four_github_packages, upstream
):
    # Each contributors answer waits until two requests are in flight together (or 1.5 s,
    # inside the read timeout): a serialized host can never meet that.
    meeting = Meeting(2, timeout=1.5)
    for slug in SLUGS:
        contributors = Reply(fixture("github_contributors_1.json"))
        upstream.add(f"/github/repos/o/{slug}/contributors", meeting.answering(contributors))
    summary, _seconds = run_in_thread()
    assert meeting.met, "requests to one host never overlapped"
    assert summary["fetched"] == 4
    assert fetched_slugs() == set(SLUGS)


def test_renamed_repository_whose_new_url_fails_validation_keeps_its_old_repo_url(
    fetch_settings, upstream
):
    serve_renamed_github_repo(upstream, "https://127.1:8080/internal/thing")
    package = PackageFactory(
        slug="widgets", repo_url="https://github.com/octo/widgets", pypi_url=""
    )
    summary, _seconds = run_in_thread()
    package.refresh_from_db()
    assert summary["fetched"] == 1
    assert package.repo_url == "https://github.com/octo/widgets"
    assert package.repo_watchers == 120  # the rest of the fetch is stored
