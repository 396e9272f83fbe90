"""Prometheus metrics, defined once per process, and the provider that records them.

Defining them at module level (not per container) avoids the duplicate-registration
error nameko-prometheus hits when several containers share a process in tests.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

import eventlet
from eventlet import wsgi
from nameko.extensions import DependencyProvider
from prometheus_client import Counter, Gauge, Histogram, make_wsgi_app

from services.common.config import load_config
from services.common.context import new_request_id, set_request_id
from services.common.errors import EXPECTED_ERRORS
from services.common.liveness import with_livez

log = logging.getLogger(__name__)

WORKER_SECONDS = Histogram(
    "qlp_worker_seconds", "Time spent in one entrypoint call", ["service", "entrypoint"]
)
WORKER_TOTAL = Counter(
    "qlp_worker_total", "Entrypoint calls by outcome", ["service", "entrypoint", "outcome"]
)
OUTBOX_PUBLISHED = Counter(
    "qlp_outbox_published_total", "Events published from the outbox", ["service", "event_type"]
)
OUTBOX_PUBLISH_FAILURES = Counter(
    "qlp_outbox_publish_failures_total", "Outbox relay rounds that failed", ["service"]
)
EVENTS_RETRIED = Counter(
    "qlp_events_retried_total", "Event deliveries sent back for a retry", ["service", "queue"]
)
EVENTS_DEAD_LETTERED = Counter(
    "qlp_events_dead_lettered_total", "Events moved to the dead-letter queue", ["service", "queue"]
)

# How old an event is (its envelope's occurred_at) when a handler has finished with it: the
# outbox relay's delay plus the time it waited in the queue (plus retry delays).
EVENT_AGE_SECONDS = Histogram(
    "qlp_event_age_seconds", "Age of an event when its handler finished with it",
    ["service", "queue"], buckets=(0.1, 0.5, 1, 2.5, 5, 15, 60, 300, 900, 3600),
)
# The outbox relay's backlog, measured every few seconds by each service's relay.
OUTBOX_PENDING = Gauge(
    "qlp_outbox_pending", "Committed outbox events not yet published", ["service"]
)
OUTBOX_OLDEST_PENDING_SECONDS = Gauge(
    "qlp_outbox_oldest_pending_seconds",
    "Age of the oldest committed outbox event not yet published (0 when none)", ["service"],
)
# Each service's render pool (services/common/renderpool.py), sampled at scrape time.
RENDER_WORKERS = Gauge("qlp_render_workers", "Render worker processes", ["pool"])
RENDER_BUSY = Gauge("qlp_render_busy", "Render jobs running now", ["pool"])
RENDER_WAITING = Gauge("qlp_render_waiting", "Render jobs waiting for a worker", ["pool"])
RENDER_REFUSED = Counter(
    "qlp_render_refused_total", "Render jobs refused with 系统繁忙 (queue full or no slot in time)",
    ["pool"],
)
RENDER_WORKERS_REPLACED = Counter(
    "qlp_render_workers_replaced_total", "Render workers killed and replaced (timeout, death)",
    ["pool"],
)
# review: active cases past their statutory decision date, counted by every overdue sweep.
REVIEW_CASES_OVERDUE = Gauge(
    "qlp_review_cases_overdue", "Active cases past their statutory decision date", ["level"]
)
REVIEW_SWEEP_TIMESTAMP = Gauge(
    "qlp_review_overdue_sweep_timestamp_seconds", "Unix time of the last finished overdue sweep"
)



def observe_event_age(service: str, queue: str, payload: object) -> None:
    """Observe ``qlp_event_age_seconds`` from an envelope's occurred_at (ignored if absent)."""
    try:
        occurred = datetime.fromisoformat(payload["occurred_at"])  # type: ignore[index]
        age = (datetime.now(UTC) - occurred).total_seconds()
    except (TypeError, KeyError, ValueError):
        return
    EVENT_AGE_SECONDS.labels(service, queue).observe(max(0.0, age))


_overdue_levels: set[str] = set()


def record_overdue(counts: dict[str, int]) -> None:
    """Set the overdue gauge per level; a level seen before and absent now goes back to 0."""
    _overdue_levels.update(counts)
    for level in _overdue_levels:
        REVIEW_CASES_OVERDUE.labels(level).set(counts.get(level, 0))
    REVIEW_SWEEP_TIMESTAMP.set_to_current_time()


_metrics_server_started: set[int] = set()
DEFAULT_METRICS_HOST = "127.0.0.1"


def metrics_host(config: dict | None) -> str:
    """``metrics_host``: loopback by default; 0.0.0.0 in a pod, where Prometheus and the
    kubelet's probes reach the metrics port from outside (QLP_METRICS_HOST)."""
    return str((config or {}).get("metrics_host") or DEFAULT_METRICS_HOST)


def serve_metrics(port: int, host: str | None = None) -> None:
    """/metrics and /livez on host:port (config ``metrics_host`` when host is not given),
    served by a green thread of this process's hub: a blocked or stopped hub answers neither,
    which is what a liveness probe must see."""
    if port and port not in _metrics_server_started:
        if host is None:
            host = metrics_host(load_config())
        listener = eventlet.listen((host, port), reuse_port=False)
        app = with_livez(make_wsgi_app())
        eventlet.spawn_n(wsgi.server, listener, app, log_output=False, max_size=64,
                         log=logging.getLogger("services.metrics.access"))
        _metrics_server_started.add(port)


class Telemetry(DependencyProvider):
    """Times every worker, counts outcomes, and binds the request id for logs and events."""

    def setup(self) -> None:
        self._started: dict[object, float] = {}

    def start(self) -> None:
        platform = self.container.config.get("PLATFORM") or {}
        port = (platform.get("metrics_ports") or {}).get(self.container.service_name)
        if port and self.container.config.get("SERVE_METRICS", True):
            serve_metrics(port, metrics_host(platform))

    def worker_setup(self, worker_ctx: object) -> None:
        data = worker_ctx.data  # type: ignore[attr-defined]
        if not data.get("request_id"):
            data["request_id"] = new_request_id()  # also carried on by onward RPC calls
        set_request_id(data["request_id"])
        self._started[worker_ctx] = time.perf_counter()

    def worker_result(self, worker_ctx: object, result: object = None,
                      exc_info: tuple | None = None) -> None:
        started = self._started.pop(worker_ctx, None)
        service = self.container.service_name
        entrypoint = worker_ctx.entrypoint.method_name  # type: ignore[attr-defined]
        if started is not None:
            WORKER_SECONDS.labels(service, entrypoint).observe(time.perf_counter() - started)
        if exc_info is None:
            outcome = "ok"
        elif isinstance(exc_info[1], EXPECTED_ERRORS):
            outcome = "rejected"
        else:
            outcome = "error"
        WORKER_TOTAL.labels(service, entrypoint, outcome).inc()

    def worker_teardown(self, worker_ctx: object) -> None:
        set_request_id(None)
