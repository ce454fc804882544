"""Prometheus metrics (``GALLERY_METRICS=true``): the metric objects, and their exposition.

The domain records what happens through the small functions here (no Flask, no request); the web
layer (:mod:`gallery.http.metrics`) times requests and answers ``/metrics``. All names start with
``gallery_``. Under gunicorn every worker is its own process: with ``PROMETHEUS_MULTIPROC_DIR`` set
(an empty folder, writable by the workers, emptied before each start) ``prometheus_client`` keeps
each process's values in files there, and :func:`exposition` sums them across processes.
"""

from __future__ import annotations

from pathlib import Path

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

__all__ = [
    "DERIVATIVE_SECONDS",
    "REQUEST_SECONDS",
    "STORAGE_ERRORS",
    "UPLOADS",
    "count_storage_error",
    "count_upload",
    "exposition",
    "observe_derivatives",
    "observe_request",
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


def observe_request(route: str, method: str, seconds: float) -> None:
    REQUEST_SECONDS.labels(route=route, method=method).observe(seconds)


def count_upload(outcome: str) -> None:
    UPLOADS.labels(outcome=outcome).inc()


def observe_derivatives(result: str, seconds: float) -> None:
    DERIVATIVE_SECONDS.labels(result=result).observe(seconds)


def count_storage_error(where: str) -> None:
    STORAGE_ERRORS.labels(where=where).inc()


def exposition(multiprocess_dir: Path | None) -> tuple[bytes, str]:
    """The metrics in Prometheus' text format, and its content type: this process's, or with
    ``multiprocess_dir`` the sum over every process that wrote there."""
    if multiprocess_dir is None:
        return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(multiprocess_dir))  # type: ignore[no-untyped-call]
    return generate_latest(registry), CONTENT_TYPE_LATEST
