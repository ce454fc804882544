"""Albums' photos: upload, read, edit, delete."""

from __future__ import annotations

from typing import Any

from flask import current_app, g, jsonify, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from gallery.api.blueprint import bp
from gallery.api.events import album_json
from gallery.api.util import json_body
from gallery.catalog import events as catalog
from gallery.core.errors import GalleryError, NotFoundError, ValidationError
from gallery.core.permissions import Permission, has_permission
from gallery.extensions import db
from gallery.http.guard import acting_user, current_actor, requires
from gallery.http.request import received_from
from gallery.http.urls import external_url
from gallery.models import Album, IdempotencyKey, Photo, User
from gallery.photos import service as photos
from gallery.photos.capture import event_zone, reported_local_time
from gallery.photos.ingest import ingest
from gallery.photos.received import spool
from gallery.tasks import enqueue_derivatives
from gallery.web.media import derivative_url


def photo_json(photo: Photo, *, staff: bool) -> dict[str, Any]:
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
            {"width": d.width, "height": d.height, "format": d.format, "url": derivative_url(d)}
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


def _visible_album(slug: str) -> Album:
    album = catalog.get_album(db.session, slug)
    if not photos.can_view_album(album, acting_user(), request.args.get("token")):
        raise NotFoundError(f"no album {slug!r}")
    return album


@bp.get("/albums/<album>")
def get_album(album: str) -> Response:
    found = _visible_album(album)
    user = acting_user()
    staff = has_permission(user, Permission.upload)
    body = album_json(found, editor=has_permission(user, Permission.edit_content))
    items = photos.list_photos(db.session, found, include_unready=staff)
    body["photo_count"] = len(items)
    body["photos"] = [photo_json(p, staff=staff) for p in items]
    return jsonify(body)


def _idempotent_replay(user_id: int, key: str, album: Album, sha256: str | None) -> tuple[Photo, int] | None:
    entry = db.session.scalar(
        select(IdempotencyKey).where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
    )
    if entry is None:
        return None
    if entry.album_id != album.id or (sha256 is not None and entry.sha256 != sha256):
        raise ValidationError(
            "this Idempotency-Key was already used for a different upload", field="Idempotency-Key"
        )
    photo = db.session.get(Photo, entry.photo_id)
    if photo is None or photo.deleted_at is not None:
        return None  # purged or deleted since: the upload path answers (a deleted photo stays deleted)
    return photo, entry.status_code


@bp.post("/albums/<album>/photos")
@requires(Permission.upload)
def upload_photo(album: str) -> tuple[Response, int]:
    settings = current_app.config["GALLERY_SETTINGS"]
    target = catalog.get_album(db.session, album)
    album_id = target.id
    user_id = g.api_user.id
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > 255:
        raise ValidationError("Idempotency-Key is longer than 255 characters", field="Idempotency-Key")

    file = request.files.get("file")
    if file is None:
        if request.files:
            raise GalleryError("send the photo in the multipart field named 'file'", code="missing_file")
        raise GalleryError(
            "send the photo as multipart/form-data in a field named 'file'", code="missing_file"
        )
    received = received_from(file) or spool(file.stream, max_bytes=settings.max_upload_bytes)
    try:
        if received.size > settings.max_upload_bytes:
            from gallery.core.errors import PayloadTooLarge

            raise PayloadTooLarge(f"the file is larger than the upload limit of {settings.max_upload_mb} MB")
        if received.size == 0:
            raise GalleryError("the file is empty", code="empty_file")
        if key:
            replay = _idempotent_replay(user_id, key, target, received.sha256)
            if replay is not None:
                photo, status = replay
                return _photo_response(photo, status)
        outcome = ingest(
            db.session,
            current_app.extensions["gallery_storage"],
            album=target,
            received=received,
            filename=file.filename,
            actor=current_actor(),
            max_pixels=settings.max_pixels,
        )
    finally:
        received.cleanup()

    photo_id, sha256 = outcome.photo.id, outcome.photo.sha256
    db.session.rollback()  # end this transaction: the task commits in its own session
    if key:
        try:
            with db.session.begin_nested():
                db.session.add(
                    IdempotencyKey(
                        user_id=user_id,
                        key=key,
                        album_id=album_id,
                        photo_id=photo_id,
                        sha256=sha256,
                        status_code=outcome.status_code,
                    )
                )
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
    if outcome.needs_derivatives:
        enqueue_derivatives(photo_id)
    photo = db.session.get(Photo, photo_id)
    assert photo is not None
    return _photo_response(photo, outcome.status_code)


def upload_answer(photo: Photo, user: User | None) -> dict[str, Any]:
    """What an upload answers about its photo: the photo as the uploader may see it, or, when the
    same bytes are someone else's photo they may not see, only what they already know."""
    if photos.can_view_photo(photo, user):
        return photo_json(photo, staff=True)
    return {"id": photo.id, "sha256": photo.sha256, "status": photo.status.value}


def _photo_response(photo: Photo, status: int) -> tuple[Response, int]:
    response = jsonify(upload_answer(photo, acting_user()))
    response.headers["Location"] = external_url("api.photo_detail", photo_id=photo.id)
    return response, status


@bp.get("/photos/<int:photo_id>")
def photo_detail(photo_id: int) -> Response:
    user = acting_user()
    photo = photos.get_photo(db.session, photo_id, user=user, token=request.args.get("token"))
    return jsonify(photo_json(photo, staff=has_permission(user, Permission.upload)))


@bp.patch("/photos/<int:photo_id>")
@requires(Permission.caption_own)
def photo_update(photo_id: int) -> Response:
    user = acting_user()
    photo = photos.get_photo(db.session, photo_id, user=user)
    photos.update_photo(db.session, photo, json_body(), actor=current_actor())
    db.session.commit()
    return jsonify(photo_json(photo, staff=True))


@bp.delete("/photos/<int:photo_id>")
@requires(Permission.edit_content)
def photo_delete(photo_id: int) -> tuple[str, int]:
    user = acting_user()
    photo = photos.get_photo(db.session, photo_id, user=user)
    photos.soft_delete(db.session, photo, actor=current_actor())
    db.session.commit()
    return "", 204
