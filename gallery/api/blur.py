"""Blurring a photo's web sizes (editors): ``POST /api/v1/photos/<id>/blur``, and the face
suggestions to start from: ``GET /api/v1/photos/<id>/faces``."""

from __future__ import annotations

from typing import Any

from gallery.api.access import errors, protected
from gallery.api.blueprint import bp
from gallery.api.event_routes import BAD_BODY
from gallery.api.schemas.blur import BlurSchema, FacesSchema
from gallery.api.schemas.photos import PhotoSchema
from gallery.catalog.visibility import Viewer
from gallery.consent.blur import blur_photo, face_suggestions
from gallery.core.permissions import Permission
from gallery.http import context
from gallery.http.guard import acting_user, current_actor
from gallery.http.media_urls import cdn_purge
from gallery.models import Photo
from gallery.photos import service as photos


@bp.route("/photos/<int:photo_id>/blur", methods=["POST"])
@protected(Permission.edit_content)
@bp.arguments(BlurSchema)
@bp.response(200, PhotoSchema)
@errors(
    *BAD_BODY, (404, "no such photo"), (409, "the original cannot be rendered"), (422, "invalid boxes"),
    (503, "storage unavailable; nothing changed"),
)  # fmt: skip
def blur(body: dict[str, Any], photo_id: int) -> Photo:
    """Blur areas of a photo in every web size

    The boxes are in fractions of the photo as displayed (after EXIF rotation).  Every web size is
    rendered again with them pixelated and blurred beyond recognition, under new URLs (the old ones
    answer 404 and are purged from the CDN); the original stays untouched in the archive, and a
    blurred photo's downloads give its web size, never the original.  An empty list removes the blur."""
    session, settings = context.db_session(), context.settings()
    photo = photos.get_photo(session, photo_id, viewer=Viewer.of(acting_user()))
    blur_photo(
        session,
        photo,
        body["boxes"],
        actor=current_actor(),
        storage=context.storage(),
        sizes=settings.derivative_sizes,
        max_pixels=settings.max_pixels,
        purge=cdn_purge(),
    )
    session.commit()
    return photo


@bp.route("/photos/<int:photo_id>/faces", methods=["GET"])
@protected(Permission.edit_content)
@bp.response(200, FacesSchema)
@errors((404, "no such photo"), (409, "the photo has no web size yet"))
def faces(photo_id: int) -> dict[str, Any]:
    """Suggested boxes around the faces in a photo

    Found by OpenCV's face detector (the Haar cascades shipped in its wheel; nothing leaves the
    server), in fractions of the photo as displayed: the blur tool's starting point.  Suggestions
    only: nothing is blurred until the boxes are POSTed to `/photos/<id>/blur`."""
    photo = photos.get_photo(context.db_session(), photo_id, viewer=Viewer.of(acting_user()))
    return {"boxes": face_suggestions(photo, storage=context.storage())}
