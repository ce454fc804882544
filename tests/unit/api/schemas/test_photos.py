"""Photo schemas (gallery/api/schemas/photos.py): the camera object from the photo's columns,
derivatives in (format, width) order, the album with its photos, the restricted upload answer."""

from __future__ import annotations

from flask import Flask

from gallery.api.schemas.photos import AlbumDetailSchema, AlbumWithPhotos, PhotoRefSchema, PhotoSchema
from gallery.extensions import db
from gallery.models import Photo
from tests.web.helpers import add_photos, make_album, make_event


def test_photo_dump(app: Flask) -> None:
    album = make_album(db.session, make_event(db.session, "ecc"), "day-1")
    add_photos(db.session, album, 2, extra={"camera_make": "NIKON", "camera_model": "Z 6", "lens": "24-70"})
    photos = db.session.query(Photo).order_by(Photo.id).all()
    with app.test_request_context("/api/v1/albums/day-1"):
        body = PhotoSchema().dump(photos[0])
        assert body["camera"]["make"] == "NIKON" and body["camera"]["lens"] == "24-70"
        keys = [(d["format"], d["width"]) for d in body["derivatives"]]
        assert keys == sorted(keys) and len(keys) == 6
        assert body["taken_at_local"].endswith("+02:00") and body["taken_at"].endswith("Z")
        assert "size" not in body  # staff only
        assert PhotoRefSchema().dump(photos[0]) == {"id": photos[0].id, "sha256": photos[0].sha256, "status": "ready"}
        detail = AlbumDetailSchema().dump(AlbumWithPhotos(album, photos))
        assert detail["photo_count"] == 2 and [p["id"] for p in detail["photos"]] == [p.id for p in photos]
        assert detail["slug"] == "day-1"
