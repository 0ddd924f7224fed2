"""`/metrics`: off by default, token-protected when set, parsed with prometheus-client's own
parser; its fetch figures match a real run's summary."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from prometheus_client.parser import text_string_to_metric_families

from tests.factories import PackageFactory
from tests.packages.conftest import Reply, serve_pypi

pytestmark = pytest.mark.django_db


@pytest.fixture
def metrics_on(settings):
    settings.METRICS_ENABLED = True
    settings.METRICS_TOKEN = ""
    return settings


def scrape(client, **headers):
    response = client.get("/metrics", **headers)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def test_metrics_are_off_by_default(client):
    assert client.get("/metrics").status_code == 404


def test_a_token_guards_the_metrics_when_set(metrics_on, client):
    metrics_on.METRICS_TOKEN = "s3cret"
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert scrape(client, HTTP_AUTHORIZATION="Bearer s3cret") is not None


def test_fetch_figures_match_the_runs_summary(metrics_on, fetch_settings, upstream, client):
    for name in ("one", "two"):
        serve_pypi(upstream, name)
        PackageFactory(slug=name, repo_url="", pypi_url=name)
    upstream.add("/pypi/pypi/bad/json", Reply("<html>502</html>", status=502))
    PackageFactory(slug="bad", repo_url="", pypi_url="bad")
    out = StringIO()
    call_command("fetch_stats", "--json", stdout=out)
    summary = json.loads(out.getvalue())
    samples = scrape(client)

    def outcome(name, reason=""):
        labels = (("outcome", name), ("reason", reason), ("source", "pypi"))
        return samples.get(("djangopackages_fetch_outcomes", labels), 0)

    assert outcome("fetched") == summary["fetched"] == 2
    assert outcome("unchanged") == summary["unchanged"] == 0
    for reason, count in summary["failed_by_reason"].items():
        assert outcome("failed", reason) == count == 1
    pypi = (("source", "pypi"),)
    started = samples[("djangopackages_fetch_last_run_started_timestamp_seconds", pypi)]
    finished = samples[("djangopackages_fetch_last_run_finished_timestamp_seconds", pypi)]
    assert 0 < started <= finished
    assert samples[("djangopackages_refresh_queue_waiting", ())] == 0


def test_requests_latency_and_throttle_refusals_are_counted(metrics_on, rates, client):
    rates(anon="1/min burst=2")
    codes = [client.get("/api/v4/categories/").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    samples = scrape(client, REMOTE_ADDR="127.0.0.9")  # a scraper with a bucket of its own
    view = ("view", "category-list")
    ok = (("method", "GET"), ("status", "200"), view)
    refused = (("method", "GET"), ("status", "429"), view)
    assert samples[("djangopackages_http_requests_total", ok)] == 2
    assert samples[("djangopackages_http_requests_total", refused)] == 1
    assert samples[("djangopackages_http_request_duration_seconds_count", (view,))] == 3
    assert samples[("djangopackages_throttle_refusals_total", (view,))] == 1
