"""GET /api/v1/albums/<album>, GET|PATCH|DELETE /api/v1/photos/<id> (gallery/api/photos.py): the
answers' shapes (staff fields for staff only), edits through the schema (text or null, a whole
position, nothing read-only), soft deletion.  Uploads: tests/ingest/test_api_upload.py."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gallery.extensions import db
from gallery.models import Album, Photo
from tests.unit.api.helpers import call, error
from tests.web.helpers import add_photos, make_album, make_event

ALBUM_KEYS = {"slug", "event", "title", "description", "visibility", "sort_mode", "url", "photo_count", "photos"}
PHOTO_KEYS = {
    "id", "filename", "sha256", "taken_at", "taken_at_local", "taken_at_source", "width", "height", "title",
    "caption", "alt_text", "credit", "copyright", "keywords", "status", "position", "camera", "derivatives",
    "sizes_pending",
}  # fmt: skip
STAFF_KEYS = {"error", "metadata_error", "taken_at_raw", "content_type", "size"}
EDITOR_KEYS = {"hidden", "hidden_reason", "blur_boxes"}  # consent: editors only


@pytest.fixture
def album(app: Flask) -> Album:
    album = make_album(db.session, make_event(db.session, "ecc"), "day-1")
    add_photos(db.session, album, 3)
    return album


def test_album_with_photos(client: FlaskClient, tokens: dict[str, str], album: Album) -> None:
    visitor = call(client, "GET", "/albums/day-1").get_json()
    assert set(visitor) == ALBUM_KEYS and visitor["photo_count"] == 3
    assert set(visitor["photos"][0]) == PHOTO_KEYS
    derivatives = visitor["photos"][0]["derivatives"]
    assert [(d["format"], d["width"]) for d in derivatives] == sorted((d["format"], d["width"]) for d in derivatives)
    editor = call(client, "GET", "/albums/day-1", tokens["editor"]).get_json()
    assert {"original_downloads", "share_url"} <= set(editor) and set(
        editor["photos"][0]
    ) == PHOTO_KEYS | STAFF_KEYS | EDITOR_KEYS


def test_photo(client: FlaskClient, tokens: dict[str, str], album: Album) -> None:
    photo_id = album_photo(album)
    body = call(client, "GET", f"/photos/{photo_id}").get_json()
    assert set(body) == PHOTO_KEYS and body["camera"].keys() == {
        "make", "model", "lens", "focal_length_mm", "aperture", "exposure_time", "iso",
    }  # fmt: skip
    assert set(call(client, "GET", f"/photos/{photo_id}", tokens["photographer"]).get_json()) == PHOTO_KEYS | STAFF_KEYS
    for missing in (0, 99999, 2**40):
        assert error(call(client, "GET", f"/photos/{missing}"), 404)["code"] == "not_found"


def album_photo(album: Album) -> int:
    return db.session.query(Photo.id).filter(Photo.album_id == album.id).order_by(Photo.id).first()[0]


def test_edit(client: FlaskClient, tokens: dict[str, str], album: Album) -> None:
    photo_id = album_photo(album)
    body = {"caption": "Opening", "alt_text": None, "position": 3}
    response = call(client, "PATCH", f"/photos/{photo_id}", tokens["editor"], json=body)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert {k: response.get_json()[k] for k in body} == {"caption": "Opening", "alt_text": "", "position": 3}


@pytest.mark.parametrize(("body", "field"), [
    ({"position": "3"}, "position"), ({"position": True}, "position"), ({"position": -1}, "position"),
    ({"position": 1_000_001}, "position"), ({"sha256": "x"}, "sha256"), ({"caption": 5}, "caption"),
    ({"alt_text": "x" * 2001}, "alt_text"), ({"credit": "x" * 1001}, "credit"),
])  # fmt: skip
def test_bad_edits_are_422(client: FlaskClient, tokens: dict[str, str], album: Album, body: dict, field: str) -> None:
    assert (
        error(call(client, "PATCH", f"/photos/{album_photo(album)}", tokens["editor"], json=body), 422)["field"]
        == field
    )


def test_delete(client: FlaskClient, tokens: dict[str, str], album: Album) -> None:
    photo_id = album_photo(album)
    assert call(client, "DELETE", f"/photos/{photo_id}", tokens["photographer"]).status_code == 403
    assert call(client, "DELETE", f"/photos/{photo_id}", tokens["editor"]).status_code == 204
    assert call(client, "GET", f"/photos/{photo_id}", tokens["editor"]).status_code == 404
    assert call(client, "GET", "/albums/day-1").get_json()["photo_count"] == 2
