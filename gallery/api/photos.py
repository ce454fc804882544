"""An album with its photos, uploading, and a single photo: read, edit, delete (an album's photos
a page at a time: :mod:`gallery.api.photo_list`)."""

from __future__ import annotations

from typing import Any

from flask import g, jsonify, request
from werkzeug.wrappers import Response

from gallery.api.access import errors, protected, public
from gallery.api.blueprint import bp
from gallery.api.event_routes import BAD_BODY
from gallery.api.schemas.photos import (
    AlbumDetailSchema,
    AlbumWithPhotos,
    PhotoRefSchema,
    PhotoSchema,
    PhotoUploadSchema,
    TokenQuerySchema,
    UploadHeadersSchema,
)
from gallery.catalog import albums
from gallery.catalog.visibility import Viewer, visible_album
from gallery.core.errors import GalleryError
from gallery.core.permissions import Permission
from gallery.http import context
from gallery.http.guard import acting_user, current_actor
from gallery.http.request import received_from
from gallery.http.urls import external_url
from gallery.http.viewer import current_viewer
from gallery.models import Photo
from gallery.photos import service as photos
from gallery.photos.receive import IdempotencyKeyUse, receive
from gallery.photos.received import spool
from gallery.tasks import enqueue_derivatives

NO_PHOTO = (404, "no such photo, or not visible to you")


@bp.route("/albums/<album>", methods=["GET"])
@public
@bp.arguments(TokenQuerySchema, location="query")
@bp.response(200, AlbumDetailSchema)
@errors((404, "no such album, or not visible to you"))
def get_album(args: dict[str, Any], album: str) -> AlbumWithPhotos:
    """An album with its photos in display order"""
    viewer = current_viewer()
    found = visible_album(context.db_session(), album, viewer)
    return AlbumWithPhotos(
        found, photos.list_photos(context.db_session(), found, include_unready=viewer.sees_unready, viewer=viewer)
    )


@bp.route("/albums/<album>/photos", methods=["POST"])
@protected(Permission.upload)
@bp.arguments(UploadHeadersSchema, location="headers")
@bp.doc(requestBody={"required": True, "content": {"multipart/form-data": {"schema": PhotoUploadSchema}}})
@bp.response(201, PhotoSchema, description="the new photo")
@bp.alt_response(
    200,
    description="the same bytes were already in the album: the photo, or only its id, sha256 and status when "
    "the uploader may not see it",
    schema={"anyOf": [PhotoSchema, PhotoRefSchema]},
    success=True,
)
@errors(
    (400, "no file field, or an empty file"), (404, "no such album"),
    (409, "code `deleted`: the same bytes were deleted from this album; an editor restores them from the bin, "
          "a re-upload does not"),
    (413, "larger than GALLERY_MAX_UPLOAD_MB"), (415, "not a JPEG, PNG, WebP, TIFF, HEIC/HEIF or AVIF image"),
    (422, "too many pixels, the image cannot be decoded, or a bad Idempotency-Key"),
    (503, "storage or database unavailable, or the server busy decoding; nothing was saved"),
)  # fmt: skip
def upload_photo(headers: dict[str, Any], album: str) -> Response:
    """Upload a photo (multipart field `file`)

    201 for a new photo; 200 with the existing photo when the same bytes are already in the
    album.  An `Idempotency-Key` header makes retries return the first answer."""
    settings = context.settings()
    target = albums.get_album(context.db_session(), album)
    key = (headers.get("idempotency_key") or "").strip()
    idempotency = IdempotencyKeyUse(user_id=g.api_user.id, key=key) if key else None
    file = request.files.get("file")
    if file is None:
        if request.files:
            raise GalleryError("send the photo in the multipart field named 'file'", code="missing_file")
        raise GalleryError("send the photo as multipart/form-data in a field named 'file'", code="missing_file")
    receipt = receive(
        context.db_session(),
        context.storage(),
        received_from(file) or spool(file.stream, max_bytes=settings.max_upload_bytes),
        filename=file.filename,
        album=target,
        actor=current_actor(),
        settings=settings,
        derivatives=enqueue_derivatives,
        idempotency=idempotency,
    )
    schema = PhotoSchema() if receipt.may_show else PhotoRefSchema()
    response = jsonify(schema.dump(receipt.photo))
    response.status_code = receipt.status_code
    response.headers["Location"] = external_url("api.photo_detail", photo_id=receipt.photo.id)
    return response


@bp.route("/photos/<int:photo_id>", methods=["GET"])
@public
@bp.arguments(TokenQuerySchema, location="query")
@bp.response(200, PhotoSchema)
@errors(NO_PHOTO)
def photo_detail(args: dict[str, Any], photo_id: int) -> Photo:
    """A photo"""
    return photos.get_photo(context.db_session(), photo_id, viewer=current_viewer())


@bp.route("/photos/<int:photo_id>", methods=["PATCH"])
@protected(Permission.caption_own)
@bp.arguments(PhotoSchema(partial=True))
@bp.response(200, PhotoSchema)
@errors(*BAD_BODY, NO_PHOTO, (422, "invalid field"))
def photo_update(changes: dict[str, Any], photo_id: int) -> Photo:
    """Edit caption, alt text, credit or manual position

    Photographers edit the photos they uploaded; editors any photo."""
    photo = photos.get_photo(context.db_session(), photo_id, viewer=Viewer.of(acting_user()))
    photos.update_photo(context.db_session(), photo, changes, actor=current_actor())
    context.db_session().commit()
    return photo


@bp.route("/photos/<int:photo_id>", methods=["DELETE"])
@protected(Permission.edit_content)
@bp.response(204)
@errors(NO_PHOTO)
def photo_delete(photo_id: int) -> Response:
    """Delete a photo (soft: restorable for 30 days)"""
    photo = photos.get_photo(context.db_session(), photo_id, viewer=Viewer.of(acting_user()))
    photos.soft_delete(context.db_session(), photo, actor=current_actor())
    context.db_session().commit()
    return Response(status=204)
