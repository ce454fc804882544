"""Prometheus metrics (``GALLERY_METRICS=true``): the metric objects, and their exposition.

The domain records what happens through the small functions here (no Flask, no request); the web
layer (:mod:`gallery.http.metrics`) times requests and answers ``/metrics``. All names start with
``gallery_``. Under gunicorn every worker is its own process: with ``PROMETHEUS_MULTIPROC_DIR`` set
(an empty folder, writable by the workers, emptied before each start) ``prometheus_client`` keeps
each process's values in files there, and :func:`exposition` sums them across processes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

__all__ = [
    "DERIVATIVE_SECONDS",
    "FIXITY_CHECKED",
    "FIXITY_LAST_RUN",
    "FIXITY_PROBLEMS",
    "REQUEST_SECONDS",
    "STORAGE_ERRORS",
    "STUCK_REQUEUED",
    "UPLOADS",
    "count_storage_error",
    "count_stuck_requeued",
    "count_upload",
    "exposition",
    "observe_derivatives",
    "observe_fixity",
    "observe_request",
    "queue_depth_exposition",
]

REQUEST_SECONDS = Histogram(
    "gallery_http_request_duration_seconds",
    "Time to answer a request, by URL rule (not the raw path) and method.",
    ["route", "method"],
)
UPLOADS = Counter(
    "gallery_uploads_total",
    "Uploads received through the one upload path, by outcome (created, duplicate, rejected, storage_error, error).",
    ["outcome"],
)
DERIVATIVE_SECONDS = Histogram(
    "gallery_derivative_duration_seconds",
    "Time to render and store one photo's web sizes, by result (ready, failed).",
    ["result"],
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
STORAGE_ERRORS = Counter(
    "gallery_storage_errors_total",
    "Storage failures answered as storage_unavailable, or met while making web sizes.",
    ["where"],
)

FIXITY_CHECKED = Counter(
    "gallery_fixity_checked_total",
    "Photos whose original the scheduled fixity audit re-hashed.",
)
FIXITY_PROBLEMS = Counter(
    "gallery_fixity_problems_total",
    "Originals the scheduled fixity audit found missing or changed, by kind.",
    ["kind"],
)
FIXITY_LAST_RUN = Gauge(
    "gallery_fixity_last_run_timestamp_seconds",
    "When the scheduled fixity audit last finished (Unix time).",
    multiprocess_mode="max",
)
STUCK_REQUEUED = Counter(
    "gallery_stuck_requeued_total",
    "Photos the periodic sweeper found stuck in processing and handed to the renderer again.",
)


def observe_request(route: str, method: str, seconds: float) -> None:
    REQUEST_SECONDS.labels(route=route, method=method).observe(seconds)


def count_upload(outcome: str) -> None:
    UPLOADS.labels(outcome=outcome).inc()


def observe_derivatives(result: str, seconds: float) -> None:
    DERIVATIVE_SECONDS.labels(result=result).observe(seconds)


def count_storage_error(where: str) -> None:
    STORAGE_ERRORS.labels(where=where).inc()


def observe_fixity(*, checked: int, problems: Mapping[str, int]) -> None:
    FIXITY_CHECKED.inc(checked)
    for kind, count in problems.items():
        FIXITY_PROBLEMS.labels(kind=kind).inc(count)
    FIXITY_LAST_RUN.set_to_current_time()


def count_stuck_requeued(count: int) -> None:
    STUCK_REQUEUED.inc(count)


def queue_depth_exposition(queue: str, depth: int | None) -> bytes:
    """``gallery_queue_depth`` for one queue, measured at scrape time (not stored per process): the
    tasks waiting in the broker.  ``None`` (no broker, or it did not answer) leaves it out."""
    if depth is None:
        return b""
    family = GaugeMetricFamily("gallery_queue_depth", "Tasks waiting in the broker's queue.", labels=["queue"])
    family.add_metric([queue], depth)
    registry = CollectorRegistry()
    registry.register(_Fixed([family]))  # a family, not a Gauge: no per-process value file
    return generate_latest(registry)


class _Fixed(Collector):
    """Metric families measured at scrape time."""

    def __init__(self, families: list[Metric]) -> None:
        self._families = families

    def collect(self) -> Iterable[Metric]:
        return self._families


def exposition(multiprocess_dir: Path | None) -> tuple[bytes, str]:
    """The metrics in Prometheus' text format, and its content type: this process's, or with
    ``multiprocess_dir`` the sum over every process that wrote there."""
    if multiprocess_dir is None:
        return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(multiprocess_dir))  # type: ignore[no-untyped-call]
    return generate_latest(registry), CONTENT_TYPE_LATEST
