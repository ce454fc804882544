"""Errors: JSON in the contract's shape under /api, friendly HTML pages elsewhere.

No response ever carries a stack trace; unexpected exceptions are logged with the
request id and answered with a plain 500 page."""

from __future__ import annotations

import logging

from flask import Flask, Response, g, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException, SecurityError

from gallery.core import metrics
from gallery.core.errors import DecoderBusy, GalleryError
from gallery.http import context
from gallery.http.guard import ApiAuthError
from gallery.storage import StorageError

log = logging.getLogger("gallery.core.errors")

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    501: "not_implemented",
    503: "service_unavailable",
}


def wants_json() -> bool:
    return request.blueprint == "api" or request.path.startswith("/api/")


def _json(status: int, code: str, message: str, field: str | None = None) -> Response:
    error: dict[str, str] = {"code": code, "message": message}
    if field:
        error["field"] = field
    response = jsonify({"error": error})
    response.status_code = status
    return response


def _page(status: int, title: str, message: str) -> tuple[str, int]:
    template = f"errors/{status}.html" if status in (403, 404, 413, 500) else "errors/generic.html"
    body = render_template(template, status=status, title=title, message=message)
    return body, status


def _titles() -> dict[int, str]:
    return {
        400: _("Bad request"),
        401: _("Please log in"),
        403: _("Forbidden"),
        404: _("Page not found"),
        405: _("Method not allowed"),
        409: _("Conflict"),
        413: _("File too large"),
        415: _("Unsupported file type"),
        422: _("Cannot process this"),
        429: _("Too many requests"),
        500: _("Something went wrong"),
        501: _("Not implemented"),
        503: _("Service unavailable"),
    }


def init_app(app: Flask) -> None:
    settings = context.settings(app)

    @app.errorhandler(GalleryError)
    def _gallery_error(exc: GalleryError) -> ResponseReturnValue:
        if wants_json():
            return _json(exc.status, exc.code, exc.message, exc.field)
        return _page(exc.status, _titles().get(exc.status, _("Error")), exc.message)

    @app.errorhandler(DecoderBusy)
    def _decoder_busy(exc: DecoderBusy) -> ResponseReturnValue:
        if wants_json():
            response = _json(exc.status, exc.code, exc.message)
        else:
            message = _(
                "The server is busy with other large images; nothing was saved. "
                "Please try again in %(seconds)s seconds.",
                seconds=exc.retry_after,
            )
            response = app.make_response(_page(503, _("Service unavailable"), message))
        response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.errorhandler(ApiAuthError)
    def _api_auth(exc: ApiAuthError) -> ResponseReturnValue:
        response = _json(exc.status, exc.code, exc.message)
        if exc.status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="gallery"'
        return response

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError) -> ResponseReturnValue:
        message = _("The form expired or was sent from another site. Go back, reload the page and try again.")
        if wants_json():
            return _json(400, "csrf_failed", message)
        return _page(400, _("Bad request"), message)

    @app.errorhandler(StorageError)
    def _storage(exc: StorageError) -> ResponseReturnValue:
        log.error("storage unavailable: %s rid=%s", exc, g.get("request_id"))
        metrics.count_storage_error("request")
        message = _("Photo storage is unavailable right now; nothing was saved. Please try again in a moment.")
        if wants_json():
            return _json(503, "storage_unavailable", message)
        return _page(503, _("Service unavailable"), message)

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def _database(exc: Exception) -> ResponseReturnValue:
        log.error("database unavailable: %s rid=%s", exc, g.get("request_id"))
        message = _("The database is unavailable right now; nothing was saved. Please try again in a moment.")
        if wants_json():
            return _json(503, "database_unavailable", message)
        return _page(503, _("Service unavailable"), message)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> ResponseReturnValue:
        if exc.response is not None:  # the answer was made already (a polite rate-limit page, abort(response))
            return exc.response
        status = exc.code or 500
        if status == 413:
            message = _("The upload is larger than the limit of %(mb)s MB.", mb=settings.max_upload_mb)
        elif status == 429:
            message = _("Too many attempts. Please wait a minute and try again.")
        elif isinstance(exc, SecurityError):
            # The Host header is not GALLERY_BASE_URL's (TRUSTED_HOSTS): no URL can be built for
            # this request, so no page with links either; and the header is not repeated back.
            message = _("This site answers only at its own address.")
            if not wants_json():
                return app.response_class(message, status=status, mimetype="text/plain")
        else:
            message = exc.description or ""
        if wants_json():
            response = _json(status, HTTP_CODES.get(status, "error"), message)
        else:
            response = app.make_response(_page(status, _titles().get(status, exc.name), message))
        for header in ("Allow", "Retry-After", "WWW-Authenticate"):
            value = exc.get_response().headers.get(header)
            if value:
                response.headers[header] = value
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> ResponseReturnValue:
        log.exception("unhandled error rid=%s", g.get("request_id"))
        message = _(
            "An unexpected error occurred. It has been logged with request id %(rid)s.", rid=g.get("request_id")
        )
        if wants_json():
            return _json(500, "internal_error", message)
        return _page(500, _("Something went wrong"), message)
