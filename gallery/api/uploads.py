"""Resumable uploads, the tus 1.0.0 protocol at ``/api/v1/uploads/``: the HTTP side (headers in,
headers out).  The rules are :mod:`gallery.uploads.tus`'s.

Authenticated by a bearer token, or by the logged-in session of the upload page with its CSRF
token in ``X-CSRFToken`` (:func:`gallery.http.guard.requires` with ``session=True``)."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.http import http_date
from werkzeug.wrappers import Response

from gallery.api.access import BEARER, errors
from gallery.api.blueprint import bp
from gallery.api.schemas.photos import PhotoRefSchema, PhotoSchema
from gallery.api.schemas.uploads import TusHeadersSchema
from gallery.core.errors import GalleryError
from gallery.core.permissions import Permission
from gallery.http import context
from gallery.http.guard import current_actor, requires
from gallery.http.urls import external_url
from gallery.tasks import enqueue_derivatives
from gallery.uploads import resumable, tus
from gallery.uploads.spool import Spool, folder

ENDPOINTS = frozenset({"api.tus_create", "api.tus_upload", "api.tus_patch", "api.tus_terminate"})
SESSION = [*BEARER, {"session": []}]
# A finished upload's photo: `added` (new) or `exists` (the same bytes were already in the album).
RESULT_HEADER = "Gallery-Upload-Result"
TUS_ERRORS = (
    (400, "a bad tus header, or a CSRF token missing from a session's request"),
    (401, "no valid token and no logged-in session"),
    (403, f"your role may not upload (needs {Permission.upload.value})"),
    (412, "Tus-Resumable is not 1.0.0"),
)


class VersionMismatch(GalleryError):
    status = 412
    code = "tus_version"


def _require_tus() -> None:
    if request.headers.get("Tus-Resumable", "").strip() != tus.VERSION:
        raise VersionMismatch(f"this server speaks tus {tus.VERSION}: send Tus-Resumable: {tus.VERSION}")


def _spool() -> Spool:
    return Spool(folder(context.settings()))


def _intake() -> tus.Intake:
    return tus.Intake(context.storage(), context.settings(), current_actor(), enqueue_derivatives)


def _state_headers(response: Response, state: tus.State) -> Response:
    response.headers["Upload-Offset"] = str(state.offset)
    if state.photo_id is not None:
        response.headers["Gallery-Photo"] = f"/api/v1/photos/{state.photo_id}"
        response.headers[RESULT_HEADER] = "added" if state.created else "exists"
    else:
        response.headers["Upload-Expires"] = http_date(state.expires_at)
    return response


@bp.after_request
def _tus_headers(response: Response) -> Response:
    """Every answer of the tus endpoints says the protocol's version; OPTIONS what this server does."""
    if request.endpoint in ENDPOINTS:
        response.headers["Tus-Resumable"] = tus.VERSION
        if request.method == "OPTIONS" or response.status_code == 412:
            response.headers["Tus-Version"] = tus.VERSION
        if request.method == "OPTIONS":
            response.headers["Tus-Extension"] = ",".join(tus.EXTENSIONS)
            response.headers["Tus-Checksum-Algorithm"] = ",".join(tus.CHECKSUM_ALGORITHMS)
            response.headers["Tus-Max-Size"] = str(context.settings().max_upload_bytes)
        if request.method == "HEAD" or (request.method == "GET" and response.status_code >= 400):
            response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/uploads/", methods=["POST"], endpoint="tus_create")
@requires(Permission.upload, session=True)
@bp.arguments(TusHeadersSchema, location="headers")
@bp.doc(security=SESSION)
@bp.response(201, description="created: `Location` is the upload's URL, `Upload-Expires` when it expires")
@errors(
    *TUS_ERRORS, (404, "no such album"), (409, "the last bytes' photo was deleted from the album"),
    (413, "larger than GALLERY_MAX_UPLOAD_MB"), (415, "a body that is not application/offset+octet-stream"),
    (422, "the finished file is not an image the gallery takes"), (460, "the body's Upload-Checksum does not match"),
)  # fmt: skip
def tus_create(headers: dict[str, Any]) -> ResponseReturnValue:
    """Start a resumable upload (tus creation, and creation-with-upload)

    `Upload-Length` and `Upload-Metadata` with `album` (the slug) and `filename`.  A body sent as
    `application/offset+octet-stream` holds the first bytes.  OPTIONS on this URL lists the
    protocol's extensions (creation, creation-with-upload, termination, expiration, checksum
    with sha1 and sha256) and the largest size."""
    _require_tus()
    has_body = bool(request.content_length) or "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    state = resumable.create(
        context.db_session(),
        _spool(),
        _intake(),
        length=headers.get("upload_length"),
        metadata=headers.get("upload_metadata"),
        content_type=request.content_type if has_body else None,
        body=request.stream if has_body else None,
        checksum=headers.get("upload_checksum"),
    )
    response = _state_headers(Response(status=201), state)
    response.headers["Location"] = external_url("api.tus_upload", key=state.key)
    return response


@bp.route("/uploads/<key>", methods=["GET"], endpoint="tus_upload")
@requires(Permission.upload, session=True)
@bp.doc(security=SESSION)
@bp.response(200, PhotoSchema, description="the photo the finished upload made (HEAD: the tus offset)")
@errors(
    *TUS_ERRORS[1:3], (404, "no such upload (of yours)"),
    (409, "code `upload_incomplete`: bytes are still missing"), (410, "the unfinished upload expired"),
    (413, "the finished file was larger than allowed"), (415, "the finished file is not an image the gallery takes"),
    (422, "the finished file could not be read as an image"),
)  # fmt: skip
def tus_upload(key: str) -> ResponseReturnValue:
    """A resumable upload: its photo, or the error that refused it

    HEAD (tus) answers `Upload-Offset`, `Upload-Length` and `Upload-Metadata` instead."""
    session = context.db_session()
    if request.method == "HEAD":
        _require_tus()
        state = resumable.status(session, _spool(), _intake(), key)
        response = _state_headers(Response(status=200), state)
        response.headers["Upload-Length"] = str(state.length)
        if state.metadata:
            response.headers["Upload-Metadata"] = state.metadata
        return response
    found = resumable.outcome(session, _spool(), _intake(), key)
    schema = PhotoSchema() if found.may_show else PhotoRefSchema()
    response = jsonify(schema.dump(found.photo))
    response.headers[RESULT_HEADER] = "added" if found.created else "exists"
    return response


@bp.route("/uploads/<key>", methods=["PATCH"], endpoint="tus_patch")
@requires(Permission.upload, session=True)
@bp.arguments(TusHeadersSchema, location="headers")
@bp.doc(
    security=SESSION,
    requestBody={"required": True, "content": {tus.CHUNK_TYPE: {"schema": {"type": "string", "format": "binary"}}}},
)
@bp.response(204, description="stored: `Upload-Offset`; the last bytes also `Gallery-Photo: /api/v1/photos/<id>`")
@errors(
    *TUS_ERRORS, (404, "no such upload (of yours)"), (409, "Upload-Offset is not the server's offset"),
    (410, "the upload expired"), (413, "more bytes than Upload-Length"),
    (415, "not application/offset+octet-stream, or the finished file is not an image the gallery takes"),
    (422, "the finished file could not be read as an image"), (423, "another request is writing to this upload"),
    (460, "Upload-Checksum does not match: nothing of this request was kept"),
    (503, "the finished file could not be stored yet: send the same PATCH again"),
)  # fmt: skip
def tus_patch(headers: dict[str, Any], key: str) -> ResponseReturnValue:
    """Send bytes of a resumable upload (tus core, checksum)"""
    _require_tus()
    state = resumable.append(
        context.db_session(),
        _spool(),
        _intake(),
        key,
        offset=headers.get("upload_offset"),
        content_type=request.content_type,
        body=request.stream,
        checksum=headers.get("upload_checksum"),
    )
    return _state_headers(Response(status=204), state)


@bp.route("/uploads/<key>", methods=["DELETE"], endpoint="tus_terminate")
@requires(Permission.upload, session=True)
@bp.doc(security=SESSION)
@bp.response(204, description="the upload and its bytes are gone (a photo it made stays)")
@errors(*TUS_ERRORS, (404, "no such upload (of yours)"), (423, "another request is writing to this upload"))
def tus_terminate(key: str) -> ResponseReturnValue:
    """Cancel a resumable upload (tus termination)"""
    _require_tus()
    resumable.terminate(context.db_session(), _spool(), _intake(), key)
    return Response(status=204)
