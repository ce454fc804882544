"""Camera raw files on the web and API upload (the one upload path): refused with a clear 415 unless the
album accepts RAW (albums.accepts_raw), then a photo whose original is the raw file, bit-exact, with
upright web sizes made by libraw."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from PIL import Image

from gallery.extensions import db
from gallery.models import Photo
from tests.ingest.conftest import upload
from tests.ingest.dng import write_dng


def test_raw_upload_needs_an_album_that_accepts_raw(app: Flask, client, tokens, album, tmp_path: Path) -> None:
    data = write_dng(tmp_path / "IMG_7.DNG", orientation=8).read_bytes()
    refused = upload(client, tokens["editor"], album.slug, data, "IMG_7.DNG")
    assert refused.status_code == 415
    assert "this album does not accept camera raw files" in refused.get_json()["error"]["message"]

    album.accepts_raw = True
    db.session.commit()
    accepted = upload(client, tokens["editor"], album.slug, data, "IMG_7.DNG")
    assert accepted.status_code == 201, accepted.get_json()
    body = accepted.get_json()
    assert (body["width"], body["height"], body["status"]) == (64, 96, "ready")
    photo = db.session.get(Photo, body["id"])
    assert photo is not None and photo.content_type == "image/x-adobe-dng"
    storage = app.extensions["gallery_storage"]
    with storage.open(photo.original_key) as handle:
        assert handle.read() == data
    smallest = min(photo.derivatives, key=lambda d: d.width)
    with storage.open(smallest.key) as handle:
        picture = Image.open(handle)
        picture.load()
    assert picture.size == (64, 96)
    assert picture.getpixel((32, 86))[0] > 150  # type: ignore[index]  # turned anticlockwise: red at the bottom


def test_editors_switch_raw_on_through_the_api(app: Flask, client, tokens, album, tmp_path: Path) -> None:
    editor = {"Authorization": f"Bearer {tokens['editor']}"}
    assert client.get(f"/api/v1/albums/{album.slug}", headers=editor).get_json()["accepts_raw"] is False
    assert "accepts_raw" not in client.get(f"/api/v1/albums/{album.slug}").get_json()  # editors' setting
    bad = client.patch(f"/api/v1/albums/{album.slug}", json={"accepts_raw": "maybe"}, headers=editor)
    assert bad.status_code == 422
    photographer = {"Authorization": f"Bearer {tokens['photographer']}"}
    refused = client.patch(f"/api/v1/albums/{album.slug}", json={"accepts_raw": True}, headers=photographer)
    assert refused.status_code == 403
    changed = client.patch(f"/api/v1/albums/{album.slug}", json={"accepts_raw": True}, headers=editor)
    assert changed.status_code == 200 and changed.get_json()["accepts_raw"] is True
    data = write_dng(tmp_path / "IMG_8.DNG").read_bytes()
    assert upload(client, tokens["photographer"], album.slug, data, "IMG_8.DNG").status_code == 201
    created = client.post(
        f"/api/v1/events/{album.event.slug}/albums", json={"title": "Raw day", "accepts_raw": True}, headers=editor
    )
    assert created.status_code == 201 and created.get_json()["accepts_raw"] is True
