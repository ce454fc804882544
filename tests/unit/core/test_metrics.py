"""Unit tests for gallery.core.metrics: the metric objects, and their exposition (one process or many)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from gallery.core import metrics


def _value(text: str, line_start: str) -> float:
    line = next(line for line in text.splitlines() if line.startswith(line_start))
    return float(line.rsplit(" ", 1)[1])


def test_names_are_prefixed_and_an_upload_is_counted_by_outcome() -> None:
    before = metrics.exposition(None)[0].decode()
    metrics.count_upload("created")
    after, content_type = metrics.exposition(None)
    text = after.decode()
    assert content_type.startswith("text/plain")
    key = 'gallery_uploads_total{outcome="created"}'
    previous = _value(before, key) if key in before else 0.0
    assert _value(text, key) == previous + 1
    for name in (
        "gallery_http_request_duration_seconds",
        "gallery_uploads_total",
        "gallery_derivative_duration_seconds",
        "gallery_storage_errors_total",
    ):
        assert f"# TYPE {name.removesuffix('_total')}" in text, name


def test_request_durations_are_observed_by_route() -> None:
    metrics.observe_request("/albums/<album>", "GET", 0.02)
    text = metrics.exposition(None)[0].decode()
    assert 'gallery_http_request_duration_seconds_count{method="GET",route="/albums/<album>"}' in text


def test_several_processes_are_summed_from_the_multiprocess_folder(tmp_path: Path) -> None:
    # Two other processes (as gunicorn workers would) count uploads into the shared folder.
    script = "from gallery.core import metrics; metrics.count_upload('created'); metrics.count_upload('rejected')"
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for _ in range(2):
        subprocess.run([sys.executable, "-c", script], env=env, check=True, timeout=60)
    text = metrics.exposition(tmp_path)[0].decode()
    assert _value(text, 'gallery_uploads_total{outcome="created"}') == 2
    assert _value(text, 'gallery_uploads_total{outcome="rejected"}') == 2


def test_storage_errors_are_counted_by_where_they_happened() -> None:
    key = 'gallery_storage_errors_total{where="request"}'
    before = metrics.exposition(None)[0].decode()
    metrics.count_storage_error("request")
    after = metrics.exposition(None)[0].decode()
    assert _value(after, key) == (_value(before, key) if key in before else 0.0) + 1


def test_fixity_runs_are_counted_and_timestamped() -> None:
    checked = metrics.FIXITY_CHECKED._value.get()  # type: ignore[attr-defined]
    changed = metrics.FIXITY_PROBLEMS.labels(kind="changed")._value.get()  # type: ignore[attr-defined]
    metrics.observe_fixity(checked=7, problems={"missing": 0, "changed": 2})
    assert metrics.FIXITY_CHECKED._value.get() == checked + 7  # type: ignore[attr-defined]
    assert metrics.FIXITY_PROBLEMS.labels(kind="changed")._value.get() == changed + 2  # type: ignore[attr-defined]
    assert metrics.FIXITY_LAST_RUN._value.get() > 1.7e9  # type: ignore[attr-defined]


def test_queue_depth_is_a_gauge_or_nothing() -> None:
    text = metrics.queue_depth_exposition("gallery", 42).decode()
    assert "# TYPE gallery_queue_depth gauge" in text and 'gallery_queue_depth{queue="gallery"} 42.0' in text
    assert metrics.queue_depth_exposition("gallery", None) == b""
