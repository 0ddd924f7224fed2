"""`/metrics` in Prometheus's text format (prometheus-client): requests by view and status,
their latency, throttle refusals (429s), and, read from the database when scraped (so right
whichever gunicorn worker or task worker did the work), the fetcher's last outcome per source
and reason, its last runs and the refresh queue's depth.

Off unless METRICS_ENABLED; with METRICS_TOKEN set a scrape must send
`Authorization: Bearer <token>` (docs/configuration.md). Request metrics live in each process;
with PROMETHEUS_MULTIPROC_DIR set, prometheus-client sums them across gunicorn's workers.
The registry and metrics are built on first use (never at import) and reset on
`setting_changed`.
"""

import functools
import hmac
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.utils import timezone
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from packages.fetch.status import last_runs, outcome_counts, queue_depth

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class FetchCollector(Collector):
    """The fetcher's state as the database holds it, read at each scrape (three queries)."""

    def collect(self) -> Iterator[Metric]:
        outcomes = GaugeMetricFamily(
            "djangopackages_fetch_outcomes",
            "Packages whose last fetch from a source ended so (by outcome and reason).",
            labels=["source", "outcome", "reason"],
        )
        for source, outcome, reason, count in outcome_counts():
            outcomes.add_metric([source, outcome, reason], count)
        yield outcomes
        started = GaugeMetricFamily(
            "djangopackages_fetch_last_run_started_timestamp_seconds",
            "When the last run over a source began.",
            labels=["source"],
        )
        finished = GaugeMetricFamily(
            "djangopackages_fetch_last_run_finished_timestamp_seconds",
            "When the last run over a source ended (absent while it runs).",
            labels=["source"],
        )
        for run in last_runs():
            started.add_metric([run.source], run.started_at.timestamp())
            if run.finished_at is not None:
                finished.add_metric([run.source], run.finished_at.timestamp())
        yield started
        yield finished
        queue = queue_depth(timezone.now())
        yield GaugeMetricFamily(
            "djangopackages_refresh_queue_waiting", "Refreshes queued.", value=queue.waiting
        )
        yield GaugeMetricFamily(
            "djangopackages_refresh_queue_running", "Refreshes running.", value=queue.running
        )
        yield GaugeMetricFamily(
            "djangopackages_refresh_queue_oldest_waiting_seconds",
            "Age of the oldest queued refresh (0 when none waits).",
            value=queue.oldest_waiting_s or 0,
        )


@dataclass(frozen=True)
class Metrics:
    registry: CollectorRegistry
    requests: Counter
    latency: Histogram
    throttled: Counter


@functools.cache
def metrics() -> Metrics:
    """This process's registry: request metrics (summed across workers through
    PROMETHEUS_MULTIPROC_DIR when set) and the database's fetch state."""
    registry = CollectorRegistry(auto_describe=True)
    multiprocess = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
    own = None if multiprocess else registry
    built = Metrics(
        registry=registry,
        requests=Counter(
            "djangopackages_http_requests",
            "HTTP requests by view and status.",
            ["view", "method", "status"],
            registry=own,
        ),
        latency=Histogram(
            "djangopackages_http_request_duration_seconds",
            "Time to answer, by view.",
            ["view"],
            registry=own,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        ),
        throttled=Counter(
            "djangopackages_throttle_refusals",
            "Requests refused by a throttle (429), by view.",
            ["view"],
            registry=own,
        ),
    )
    if multiprocess:
        MultiProcessCollector(registry)
    registry.register(FetchCollector())
    return built


@receiver(setting_changed)
def _reset(**kwargs: object) -> None:
    metrics.cache_clear()


def view_name(request: HttpRequest) -> str:
    """The URL pattern's name (`package-detail`), also for responses the cache answered
    before URL resolution; "unmatched" for a path no route takes."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return "unmatched"
    return match.view_name or match.route or "unnamed"


class MetricsMiddleware:
    """Counts and times every response while METRICS_ENABLED (outermost, so cache hits and
    refusals count too)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not settings.METRICS_ENABLED:
            return self.get_response(request)
        began = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - began
        name = view_name(request)
        found = metrics()
        found.requests.labels(name, request.method or "", str(response.status_code)).inc()
        found.latency.labels(name).observe(elapsed)
        if response.status_code == 429:
            found.throttled.labels(name).inc()
        return response


def metrics_view(request: HttpRequest) -> HttpResponse:
    """The scrape: a 404 while off, a 401 without the token when one is set."""
    if not settings.METRICS_ENABLED:
        raise Http404("Metrics are off (METRICS_ENABLED).")
    token = settings.METRICS_TOKEN
    if token:
        sent = request.headers.get("Authorization", "")
        if not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
            response = HttpResponse("A bearer token is required.\n", status=401)
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            response["Content-Type"] = "text/plain; charset=utf-8"
            return response
    return HttpResponse(generate_latest(metrics().registry), content_type=CONTENT_TYPE)
