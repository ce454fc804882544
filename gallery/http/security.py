"""Response hardening, request ids and the per-request log line.

Every response gets a CSP, ``nosniff``, a referrer policy and clickjacking
protection.  Only views marked ``@embeddable`` may be framed by other sites,
and only by the origins in ``GALLERY_EMBED_ALLOWED_ORIGINS``.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, Response, abort, current_app, g, request

from gallery.http import context

log = logging.getLogger("gallery.request")

F = TypeVar("F", bound=Callable[..., Any])
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def _user_id() -> int | None:
    """The id of the user this request was made by, as far as it is already known (an API token's
    user, or the session's user Flask-Login has loaded); never a database query of its own."""
    user = g.get("api_user") or g.get("_login_user")
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    user_id = getattr(user, "id", None)
    return user_id if isinstance(user_id, int) else None


def embeddable(view: F) -> F:
    """Mark a view as one that other sites may put in an iframe."""
    view.embeddable = True  # type: ignore[attr-defined]
    return view


def _is_embeddable() -> bool:
    if request.url_rule is None:
        return False
    view = current_app.view_functions.get(request.url_rule.endpoint)
    return bool(getattr(view, "embeddable", False))


_ORIGIN_RE = re.compile(r"^https?://([A-Za-z0-9.\-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?$")


def allow_connect(origin: str | None) -> None:
    """Let the page of this response connect to ``origin`` too (``connect-src``), e.g. the upload
    page to the bucket it sends bytes to; every other page keeps ``connect-src 'self'``."""
    if origin is None:
        return
    if not _ORIGIN_RE.fullmatch(origin):
        raise ValueError(f"not an origin for a Content-Security-Policy: {origin!r}")
    g.setdefault("csp_connect", []).append(origin)


def content_security_policy(*, frame_ancestors: str, media_origin: str | None, connect: tuple[str, ...] = ()) -> str:
    img = "'self' data: blob:"
    if media_origin:
        img += f" {media_origin}"
    return "; ".join(
        [
            "default-src 'self'",
            f"img-src {img}",
            "style-src 'self'",
            "script-src 'self'",
            "font-src 'self'",
            " ".join(["connect-src 'self'", *connect]),
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            f"frame-ancestors {frame_ancestors}",
        ]
    )


def _origin(url: str | None) -> str | None:
    if not url:
        return None
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def init_app(app: Flask) -> None:
    settings = context.settings(app)
    media_origin = _origin(settings.public_media_url)
    default_csp = content_security_policy(frame_ancestors="'self'", media_origin=media_origin)
    embed_csp = content_security_policy(
        frame_ancestors=" ".join(settings.embed_allowed_origins), media_origin=media_origin
    )

    def _start() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _REQUEST_ID_RE.fullmatch(incoming) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    # First of all before_request hooks: CSRF (400) and rate limiting (429) hooks registered
    # earlier may end the request, and those responses need a request id and log line too.
    app.before_request_funcs.setdefault(None, []).insert(0, _start)

    def _refuse_nul() -> None:
        """A NUL character means nothing in an address, and PostgreSQL cannot compare or store it
        (every query with it would fail): such a request is a 400 before any view sees it."""
        if "\x00" in request.path or any("\x00" in k or "\x00" in v for k, v in request.args.items(multi=True)):
            abort(400, description="the address contains a NUL character (%00)")

    app.before_request_funcs[None].insert(1, _refuse_nul)

    @app.after_request
    def _harden(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("Permissions-Policy", "geolocation=(), camera=(), microphone=(), interest-cohort=()")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if _is_embeddable():
            headers["Content-Security-Policy"] = embed_csp
            headers.pop("X-Frame-Options", None)
        elif g.get("csp_connect"):
            headers.setdefault(
                "Content-Security-Policy",
                content_security_policy(
                    frame_ancestors="'self'", media_origin=media_origin, connect=tuple(g.csp_connect)
                ),
            )
            headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        else:
            headers.setdefault("Content-Security-Policy", default_csp)
            headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        if settings.production:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        rid = g.get("request_id")
        if rid:
            headers["X-Request-ID"] = rid
        return response

    @app.teardown_request
    def _log(exc: BaseException | None) -> None:
        started = g.get("request_started")
        elapsed_ms = (time.perf_counter() - started) * 1000 if started else 0.0
        status = g.get("response_status", "-")
        log.info(
            "%s %s %s %.1fms rid=%s",
            request.method,
            request.path,
            status,
            elapsed_ms,
            g.get("request_id", "-"),
            extra={
                "request_id": g.get("request_id"),
                "user_id": _user_id(),
                "method": request.method,
                "path": request.path,
                "status": status if isinstance(status, int) else None,
                "duration_ms": round(elapsed_ms, 1),
            },
        )

    @app.after_request
    def _remember_status(response: Response) -> Response:
        g.response_status = response.status_code
        return response
