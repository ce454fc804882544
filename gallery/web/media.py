"""Derivative delivery: immutable, content-addressed URLs (built by :mod:`gallery.http.media_urls`).

With ``GALLERY_PUBLIC_MEDIA_URL`` the URLs point at a CDN or public bucket and
Flask is not in the path at all; otherwise Flask streams them from the store
with year-long immutable caching.  A derivative is served only while some
non-deleted photo of a non-private album uses it (private albums: staff only)."""

from __future__ import annotations

import re

from flask import Response, abort, send_file, stream_with_context
from sqlalchemy import exists, false, or_, select

from gallery.core.permissions import Permission, has_permission
from gallery.extensions import db
from gallery.http import context
from gallery.http.guard import acting_user
from gallery.models import Album, Derivative, Photo, Visibility
from gallery.storage import NotFound
from gallery.web.blueprint import bp

IMMUTABLE = "public, max-age=31536000, immutable"
_NAME_RE = re.compile(r"^(\d{1,5})\.(jpg|webp)$")
_SHA_RE = re.compile(r"^[0-9a-f]{64}$")


@bp.route("/media/derivatives/<sha256>/<name>")
def derivative(sha256: str, name: str) -> Response:
    if not _SHA_RE.match(sha256) or not _NAME_RE.match(name):
        abort(404)
    key = f"derivatives/{sha256}/{name}"
    visible = (
        select(Derivative.id)
        .join(Photo, Photo.id == Derivative.photo_id)
        .join(Album, Album.id == Photo.album_id)
        .where(Derivative.key == key, Photo.deleted_at.is_(None))
    )
    user = acting_user()
    if not has_permission(user, Permission.view_private):
        # Photographers still see thumbnails of their own uploads in private albums.
        own = Photo.uploaded_by_id == user.id if user is not None else false()
        visible = visible.where(or_(Album.visibility != Visibility.private, own))
    if not db.session.scalar(select(exists(visible))):
        abort(404)
    storage = context.storage()
    mimetype = "image/jpeg" if name.endswith(".jpg") else "image/webp"
    try:
        local = storage.local_path(key)
        if local is not None:
            response = send_file(local, mimetype=mimetype, conditional=True, etag=sha256 + name, max_age=31536000)
        else:
            info = storage.stat(key)
            chunks = storage.iter_bytes(key)
            response = Response(stream_with_context(chunks), mimetype=mimetype)
            response.content_length = info.size
            response.set_etag(sha256 + name)
    except NotFound:
        abort(404)
    response.headers["Cache-Control"] = IMMUTABLE
    return response
