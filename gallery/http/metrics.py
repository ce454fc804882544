"""``/metrics`` and request timing (``GALLERY_METRICS=true``; the metrics are :mod:`gallery.core.metrics`).

Every request's duration is observed by its URL rule (``/albums/<album>``, never the raw path, so the
number of series stays bounded; ``<unmatched>`` for 404s without a rule). ``/metrics`` answers 404
while metrics are off, and otherwise only to loopback clients (as Flask sees them: behind a proxy set
``GALLERY_TRUSTED_PROXIES`` and do not forward ``/metrics``) or with
``Authorization: Bearer <GALLERY_METRICS_TOKEN>``; anyone else gets 403.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import time
from typing import Any

from flask import Flask, Response, abort, g, request

from gallery.config import Settings
from gallery.core import metrics

__all__ = ["allowed", "init_app", "queue_depth"]

log = logging.getLogger("gallery.metrics")


def allowed(remote_addr: str | None, authorization: str | None, token: str | None) -> bool:
    """Whether a client may read the metrics: a loopback address, or the configured bearer token."""
    try:
        if remote_addr and ipaddress.ip_address(remote_addr).is_loopback:
            return True
    except ValueError:
        pass
    if not token or not authorization:
        return False
    scheme, _, presented = authorization.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(presented.strip().encode(), token.encode())


def queue_depth(celery_app: Any) -> int | None:
    """Tasks waiting in the broker's queue (Redis: the list's length), asked at scrape time; ``None``
    without a broker (tasks run in-process) or when the broker does not answer within 2 s."""
    if celery_app is None or celery_app.conf.task_always_eager:
        return None
    queue = celery_app.conf.task_default_queue
    try:
        with celery_app.connection_for_read() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            try:
                declared = conn.default_channel.queue_declare(queue=queue, passive=True)
            except conn.channel_errors:
                return 0  # never declared: nothing was ever queued there
            return int(declared.message_count)
    except Exception as exc:  # noqa: BLE001 - kombu/redis connection errors, whatever their class
        log.warning("metrics: the broker did not say how many tasks wait: %s", exc)
        return None


def init_app(app: Flask, settings: Settings) -> None:
    """Register ``/metrics`` (404 while off) and, when on, time every request."""

    def metrics_view() -> Response:
        if not settings.metrics:
            abort(404)
        if not allowed(request.remote_addr, request.headers.get("Authorization"), settings.metrics_token):
            abort(403)
        body, content_type = metrics.exposition(settings.metrics_multiproc_dir)
        celery_app = app.extensions.get("celery")
        if celery_app is not None:
            depth = queue_depth(celery_app)
            body += metrics.queue_depth_exposition(celery_app.conf.task_default_queue, depth)
        return Response(body, content_type=content_type)

    app.add_url_rule("/metrics", "metrics", metrics_view)
    if not settings.metrics:
        return

    @app.before_request
    def _start_timer() -> None:
        g.metrics_started = time.perf_counter()

    @app.teardown_request
    def _observe(exc: BaseException | None) -> None:
        started = g.get("metrics_started")
        if started is None:
            return
        rule = request.url_rule.rule if request.url_rule is not None else "<unmatched>"
        metrics.observe_request(rule, request.method, time.perf_counter() - started)
