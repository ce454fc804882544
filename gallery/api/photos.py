"""Albums' photos: upload, read, edit, delete."""

from __future__ import annotations

from typing import Any

from flask import g, jsonify, request
from werkzeug.wrappers import Response

from gallery.api.blueprint import bp
from gallery.api.events import album_json
from gallery.api.util import json_body
from gallery.catalog import albums
from gallery.catalog.visibility import Viewer, media_right, visible_album
from gallery.core.errors import GalleryError
from gallery.core.permissions import Permission
from gallery.extensions import db
from gallery.http import context
from gallery.http.guard import acting_user, current_actor, requires
from gallery.http.media_urls import derivative_url
from gallery.http.request import received_from
from gallery.http.urls import external_url
from gallery.http.viewer import current_viewer
from gallery.models import Photo
from gallery.photos import service as photos
from gallery.photos.capture import event_zone, reported_local_time
from gallery.photos.receive import IdempotencyKeyUse, receive
from gallery.photos.received import spool
from gallery.tasks import enqueue_derivatives


def photo_json(photo: Photo, *, staff: bool) -> dict[str, Any]:
    """A photo as the API shows it; its derivative URLs carry this request's viewer's right to them."""
    right = media_right(current_viewer(), photo.album)
    local = reported_local_time(photo, event_zone(photo.album.event))
    data: dict[str, Any] = {
        "id": photo.id,
        "filename": photo.original_filename,
        "sha256": photo.sha256,
        "taken_at": photo.taken_at.isoformat().replace("+00:00", "Z") if photo.taken_at else None,
        "taken_at_local": local.isoformat() if local else None,
        "taken_at_source": photo.taken_at_source.value,
        "width": photo.width,
        "height": photo.height,
        "title": photo.title,
        "caption": photo.caption,
        "alt_text": photo.alt_text,
        "credit": photo.credit,
        "copyright": photo.copyright,
        "keywords": list(photo.keywords or []),
        "status": photo.status.value,
        "position": photo.position,
        "camera": {
            "make": photo.camera_make,
            "model": photo.camera_model,
            "lens": photo.lens,
            "focal_length_mm": photo.focal_length_mm,
            "aperture": photo.aperture,
            "exposure_time": photo.exposure_time,
            "iso": photo.iso,
        },
        "derivatives": [
            {"width": d.width, "height": d.height, "format": d.format, "url": derivative_url(d, right)}
            for d in sorted(photo.derivatives, key=lambda d: (d.format, d.width))
        ],
    }
    if staff:
        data["error"] = photo.error
        data["metadata_error"] = photo.metadata_error
        data["taken_at_raw"] = photo.taken_at_raw
        data["content_type"] = photo.content_type
        data["size"] = photo.size
    return data


@bp.get("/albums/<album>")
def get_album(album: str) -> Response:
    viewer = current_viewer()
    found = visible_album(db.session, album, viewer)
    staff = viewer.sees_unready
    body = album_json(found, editor=viewer.may(Permission.edit_content))
    items = photos.list_photos(db.session, found, include_unready=staff)
    body["photo_count"] = len(items)
    body["photos"] = [photo_json(p, staff=staff) for p in items]
    return jsonify(body)


@bp.post("/albums/<album>/photos")
@requires(Permission.upload)
def upload_photo(album: str) -> tuple[Response, int]:
    settings = context.settings()
    target = albums.get_album(db.session, album)
    key = request.headers.get("Idempotency-Key", "").strip()
    idempotency = IdempotencyKeyUse(user_id=g.api_user.id, key=key) if key else None
    file = request.files.get("file")
    if file is None:
        if request.files:
            raise GalleryError("send the photo in the multipart field named 'file'", code="missing_file")
        raise GalleryError(
            "send the photo as multipart/form-data in a field named 'file'", code="missing_file"
        )
    receipt = receive(
        db.session,
        context.storage(),
        received_from(file) or spool(file.stream, max_bytes=settings.max_upload_bytes),
        filename=file.filename,
        album=target,
        actor=current_actor(),
        settings=settings,
        derivatives=enqueue_derivatives,
        idempotency=idempotency,
    )
    body = photo_json(receipt.photo, staff=True) if receipt.may_show else receipt.restricted_answer()
    response = jsonify(body)
    response.headers["Location"] = external_url("api.photo_detail", photo_id=receipt.photo.id)
    return response, receipt.status_code


@bp.get("/photos/<int:photo_id>")
def photo_detail(photo_id: int) -> Response:
    viewer = current_viewer()
    photo = photos.get_photo(db.session, photo_id, viewer=viewer)
    return jsonify(photo_json(photo, staff=viewer.sees_unready))


@bp.patch("/photos/<int:photo_id>")
@requires(Permission.caption_own)
def photo_update(photo_id: int) -> Response:
    photo = photos.get_photo(db.session, photo_id, viewer=Viewer.of(acting_user()))
    photos.update_photo(db.session, photo, json_body(), actor=current_actor())
    db.session.commit()
    return jsonify(photo_json(photo, staff=True))


@bp.delete("/photos/<int:photo_id>")
@requires(Permission.edit_content)
def photo_delete(photo_id: int) -> tuple[str, int]:
    photo = photos.get_photo(db.session, photo_id, viewer=Viewer.of(acting_user()))
    photos.soft_delete(db.session, photo, actor=current_actor())
    db.session.commit()
    return "", 204
