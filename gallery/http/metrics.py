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
import time

from flask import Flask, Response, abort, g, request

from gallery.config import Settings
from gallery.core import metrics

__all__ = ["allowed", "init_app"]


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


def init_app(app: Flask, settings: Settings) -> None:
    """Register ``/metrics`` (404 while off) and, when on, time every request."""

    def metrics_view() -> Response:
        if not settings.metrics:
            abort(404)
        if not allowed(request.remote_addr, request.headers.get("Authorization"), settings.metrics_token):
            abort(403)
        body, content_type = metrics.exposition(settings.metrics_multiproc_dir)
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
