"""Prometheus metrics of one app: requests, latency, errors, match cache hits.

Each app owns a ``CollectorRegistry`` so two apps in one process (tests, the load benchmark)
never mix their counters. With several uvicorn workers each worker counts its own requests;
set ``PROMETHEUS_MULTIPROC_DIR`` to an empty folder before starting the server and ``/metrics``
sums every worker (prometheus_client's multiprocess mode).
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
"""Seconds; a cache hit answers in a few ms, a miss in tens of ms, an LLM rerank in seconds."""
CONTENT_TYPE = CONTENT_TYPE_LATEST


class ApiMetrics:
    """The counters the middleware and the match route update."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "marketlounge_http_requests_total",
            "HTTP requests by route template, method and status code.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "marketlounge_http_request_duration_seconds",
            "Time from the first byte in to the last byte out, by route template.",
            ["route", "method"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.errors = Counter(
            "marketlounge_http_errors_total",
            "Error responses by route and kind (client = 4xx, server = 5xx).",
            ["route", "kind"],
            registry=self.registry,
        )
        self.in_progress = Gauge(
            "marketlounge_http_requests_in_progress",
            "Requests being served.",
            registry=self.registry,
            multiprocess_mode="livesum",
        )
        self.match_cache = Counter(
            "marketlounge_match_cache_total",
            "POST /match answers by cache result (hit or miss).",
            ["result"],
            registry=self.registry,
        )
        self.fallbacks = Counter(
            "marketlounge_redis_fallback_total",
            "Requests served without Redis because it did not answer, by component.",
            ["component"],
            registry=self.registry,
        )

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        """Count one finished request."""
        self.requests.labels(route, method, str(status)).inc()
        self.latency.labels(route, method).observe(seconds)
        if status >= 500:
            self.errors.labels(route, "server").inc()
        elif status >= 400:
            self.errors.labels(route, "client").inc()

    def render(self) -> bytes:
        """The text exposition format (all workers' sums in multiprocess mode)."""
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            from prometheus_client import multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
            return generate_latest(registry)
        return generate_latest(self.registry)
