"""Direct uploads to S3 (the bytes go from the client to the bucket; :mod:`gallery.uploads.direct`
holds the rules): start one for an album, then complete it with the parts' ETags -- or, as the
upload page's @uppy/aws-s3 does, have each request on the bucket signed and complete it there."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from flask.typing import ResponseReturnValue

from gallery.api.access import errors
from gallery.api.blueprint import bp
from gallery.api.schemas.photos import PhotoRefSchema, PhotoSchema
from gallery.api.schemas.uploads import (
    DirectUploadCompleteSchema,
    DirectUploadSchema,
    DirectUploadSignSchema,
    DirectUploadStartSchema,
    SignedRequestSchema,
)
from gallery.api.uploads import SESSION
from gallery.core.permissions import Permission
from gallery.http import context
from gallery.http.guard import current_actor, requires
from gallery.http.urls import external_url
from gallery.tasks import enqueue_derivatives
from gallery.uploads import direct
from gallery.uploads.tus import Intake

AUTH_ERRORS = (
    (401, "no valid token and no logged-in session"),
    (403, f"your role may not upload (needs {Permission.upload.value})"),
)
ALREADY = "the same bytes are already in the album: the photo (or only its id, sha256 and status)"


def _intake() -> Intake:
    return Intake(context.storage(), context.settings(), current_actor(), enqueue_derivatives)


def _photo(finished: direct.Finished) -> ResponseReturnValue:
    schema = PhotoSchema() if finished.may_show else PhotoRefSchema()
    response = jsonify(schema.dump(finished.photo))
    response.status_code = finished.status_code
    response.headers["Location"] = external_url("api.photo_detail", photo_id=finished.photo.id)
    return response


@bp.route("/albums/<album>/direct-uploads", methods=["POST"])
@requires(Permission.upload, session=True)
@bp.arguments(DirectUploadStartSchema)
@bp.doc(security=SESSION)
@bp.response(201, DirectUploadSchema, description="started: PUT each part to its URL, then POST to complete_url")
@bp.alt_response(200, description=ALREADY, schema={"anyOf": [PhotoSchema, PhotoRefSchema]}, success=True)
@errors(
    *AUTH_ERRORS, (400, "a bad body, an empty file or a missing CSRF token"), (404, "no such album"),
    (409, "code `direct_uploads_need_s3`: originals are kept in a local folder; code `deleted`: these bytes were "
          "deleted from the album"),
    (413, "larger than GALLERY_MAX_UPLOAD_MB"), (422, "invalid field"),
    (503, "the store is unavailable; nothing was started"),
)  # fmt: skip
def direct_upload_start(body: dict[str, Any], album: str) -> ResponseReturnValue:
    """Start a direct upload to S3

    Parts of 8 to 64 MiB, chosen by size; the presigned part URLs expire with the upload
    (GALLERY_UPLOAD_EXPIRY_HOURS)."""
    started = direct.start(
        context.db_session(),
        _intake(),
        album_slug=album,
        filename=body["filename"],
        size=body["size"],
        sha256=body["sha256"],
    )
    if isinstance(started, direct.Finished):
        return _photo(started)
    answer = DirectUploadSchema().dump(
        {
            "id": started.key,
            "part_size": started.part_size,
            "parts": [{"number": n, "url": url} for n, url in enumerate(started.urls, start=1)],
            "complete_url": external_url("api.direct_upload_complete", key=started.key),
            "upload_id": started.upload_id,
            "sign_url": external_url("api.direct_upload_sign", key=started.key),
        }
    )
    return jsonify(answer), 201


@bp.route("/direct-uploads/<key>/sign", methods=["POST"])
@requires(Permission.upload, session=True)
@bp.arguments(DirectUploadSignSchema)
@bp.doc(security=SESSION)
@bp.response(200, SignedRequestSchema, description="the presigned URL of that request")
@errors(
    *AUTH_ERRORS, (400, "a bad body or a missing CSRF token"), (404, "no such direct upload (of yours)"),
    (409, "code `completing`: the upload is completed or being completed; `direct_uploads_need_s3`"),
    (410, "the direct upload expired"),
    (422, "not a request on this upload: another multipart upload id, a part number out of range, or a request "
          "Gallery makes itself (creating the upload)"),
)  # fmt: skip
def direct_upload_sign(body: dict[str, Any], key: str) -> ResponseReturnValue:
    """Sign one request on a direct upload's multipart upload

    For clients that make every request on the bucket themselves (the upload page's @uppy/aws-s3):
    PUT a part, GET the list of parts, POST the completion (then POST to complete_url without
    parts), DELETE to abort. Always the upload's own staging object and multipart upload."""
    url = direct.sign(
        context.db_session(),
        _intake(),
        key,
        method=body["method"],
        upload_id=body["upload_id"],
        part_number=body["part_number"],
    )
    return jsonify({"url": url})


@bp.route("/direct-uploads/<key>/complete", methods=["POST"])
@requires(Permission.upload, session=True)
@bp.arguments(DirectUploadCompleteSchema)
@bp.doc(security=SESSION)
@bp.response(201, PhotoSchema, description="the new photo")
@bp.alt_response(200, description=ALREADY, schema={"anyOf": [PhotoSchema, PhotoRefSchema]}, success=True)
@errors(
    *AUTH_ERRORS, (400, "a bad body or a missing CSRF token"), (404, "no such direct upload (of yours)"),
    (409, "code `completing`: another request is completing it; `not_assembled`: no parts named and the "
          "object is not assembled yet; `direct_uploads_need_s3`; `deleted`"),
    (410, "the direct upload expired"), (413, "larger than GALLERY_MAX_UPLOAD_MB"),
    (415, "not an image the gallery takes"),
    (422, "code `mismatch`: wrong parts, or the stored size or SHA-256 differs from the announced one (everything "
          "was aborted and removed); or the image cannot be read"),
    (503, "the store is unavailable or the server busy: send the same completion again"),
)  # fmt: skip
def direct_upload_complete(body: dict[str, Any], key: str) -> ResponseReturnValue:
    """Complete a direct upload: the photo

    Gallery completes the multipart upload with the parts named (or, without parts, takes the
    object the client assembled in the bucket), reads it once for its size and SHA-256, then adds
    the photo through the one upload path (the original is copied inside the bucket)."""
    parts = [(part["number"], part["etag"]) for part in body["parts"]] if "parts" in body else None
    return _photo(direct.complete(context.db_session(), _intake(), key, parts))
