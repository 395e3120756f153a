"""``GET /metrics`` for Prometheus (prometheus-client): what an operator watches.

- ``tierzero_http_request_seconds{method,route,status}``: every HTTP request, by route template;
- ``tierzero_bot_turn_seconds``: a customer message's bot turn (Rasa, the KB answer, storing it);
- ``tierzero_queue_tickets{tier,status}`` and ``tierzero_oldest_queued_seconds{tier}``: the
  queues now, read from the database at scrape time (the same for every worker);
- ``tierzero_handoffs_total{reason}``: tickets ever handed off, from the database (a counter
  that survives restarts and adds up across workers);
- ``tierzero_websockets{kind}``: open customer and agent sockets.

Who may call: a scraper with ``Authorization: Bearer <TIERZERO_METRICS_TOKEN>``; with no token
configured, loopback peers only (not proxied). With several workers behind one port
(``tierzero run --workers N``) the supervisor gives them one ``PROMETHEUS_MULTIPROC_DIR``:
prometheus-client's multiprocess mode adds up every worker's histograms and sockets, so any
worker's answer covers them all.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tierzero.db import unit_of_work, utcnow

if TYPE_CHECKING:
    from api.state import AppState

#: prometheus-client's multiprocess mode: where the workers keep their values.
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
TURN_BUCKETS = (0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0, 2.0, 5.0, 10.0)
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    def __init__(self, state: AppState) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.http = Histogram(
            "tierzero_http_request_seconds", "HTTP requests by route template and status",
            ["method", "route", "status"], buckets=HTTP_BUCKETS, registry=self.registry,
        )  # fmt: skip
        self.bot_turn = Histogram(
            "tierzero_bot_turn_seconds", "A customer message's bot turn, stored reply included",
            buckets=TURN_BUCKETS, registry=self.registry,
        )  # fmt: skip
        # livesum: in multiprocess mode, the sum over the workers that are alive
        self.websockets = Gauge(
            "tierzero_websockets", "Open sockets", ["kind"], registry=self.registry,
            multiprocess_mode="livesum",
        )  # fmt: skip
        for kind, counter in (("customer", state.customers), ("agent", state.connected)):
            counter.on_change = self.websockets.labels(kind).inc
            self.websockets.labels(kind).set(0)
        self._desk = _DeskCollector(state)
        self.registry.register(self._desk)

    def render(self) -> tuple[bytes, str]:
        if not os.environ.get(MULTIPROCESS_DIR):
            return generate_latest(self.registry), CONTENT_TYPE_LATEST
        # every worker's histograms and gauges, from the shared directory, plus the database's
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        registry.register(self._desk)
        return generate_latest(registry), CONTENT_TYPE_LATEST


class _DeskCollector:
    """Read at scrape time: the database's queues and handoffs, this worker's sockets."""

    def __init__(self, state: AppState) -> None:
        self.state = state

    def describe(self) -> list[Metric]:
        return []  # collected on demand only (no database read at registration)

    def collect(self) -> Iterator[Metric]:
        from handoff import repository as repo

        queue = GaugeMetricFamily("tierzero_queue_tickets", "Open tickets per tier and status",
                                  labels=["tier", "status"])  # fmt: skip
        oldest = GaugeMetricFamily(
            "tierzero_oldest_queued_seconds", "Longest wait in the queue since handoff",
            labels=["tier"],
        )  # fmt: skip
        handoffs = CounterMetricFamily("tierzero_handoffs", "Tickets ever handed off",
                                       labels=["reason"])  # fmt: skip
        now = utcnow()
        with unit_of_work(self.state.session_factory, read_only=True) as session:
            for group in repo.open_tickets_by_tier(session, now):
                queue.add_metric([group.tier, group.status], group.count)
                if group.status == "queued" and group.oldest_created_at is not None:
                    oldest.add_metric([group.tier], (now - group.oldest_created_at).total_seconds())
            for reason, count in repo.handoffs_by_reason(session):
                handoffs.add_metric([reason], count)
        yield from (queue, oldest, handoffs)


class HttpTimer:
    """Times every HTTP request under its route template (``/v1/agent/tickets/{ticket_id}``,
    never the raw path, so ids do not explode the label set)."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def watched(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watched)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            self.metrics.http.labels(scope["method"], template, str(status)).observe(
                time.perf_counter() - started
            )
