"""Bulk tools on the caption grid (issue 10, item 7), on SQLite and PostgreSQL: hide many photos at
once (gone for visitors, old web-size URLs 404), show them again (released, new URLs), blur the
faces found in many photos at once."""

from __future__ import annotations

import io

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from skimage import data

from gallery.extensions import db
from gallery.models import HiddenReason, Photo, User
from tests.archive.conftest import add_photo, jpeg, make_album
from tests.conftest import csrf_from, login, make_token

pytestmark = pytest.mark.app_config(GALLERY_DERIVATIVE_SIZES="400,1024")
ALBUM = "bulk-album"


def portrait() -> bytes:
    scene = Image.new("RGB", (900, 600), (80, 120, 90))
    scene.paste(Image.fromarray(data.astronaut()).resize((500, 500)), (350, 50))
    out = io.BytesIO()
    scene.save(out, "JPEG", quality=90)
    return out.getvalue()


def public_ids(client: FlaskClient) -> set[int]:
    return {p["id"] for p in client.get(f"/api/v1/albums/{ALBUM}").get_json()["photos"]}


def urls(client: FlaskClient, photo_id: int) -> list[str]:
    photos = {p["id"]: p for p in client.get(f"/api/v1/albums/{ALBUM}").get_json()["photos"]}
    return [d["url"] for d in photos[photo_id]["derivatives"]]


def bulk(client: FlaskClient, action: str, ids: list[int]) -> None:
    token = csrf_from(client.get(f"/manage/albums/{ALBUM}/photos").get_data(as_text=True))
    done = client.post(
        f"/manage/albums/{ALBUM}/photos/{action}", data={"csrf_token": token, "selected": [str(i) for i in ids]}
    )
    assert done.status_code == 302, done.get_data(as_text=True)


def test_hide_show_and_blur_many_at_once(app: Flask, client: FlaskClient, users: dict[str, User]) -> None:
    make_album(ALBUM)
    token = make_token(users["editor"])
    face, plain, kept = (add_photo(client, token, ALBUM, b) for b in (portrait(), jpeg(2), jpeg(3)))
    visitor = app.test_client()
    before = {i: urls(visitor, i) for i in (face, plain)}
    login(client, users["editor"].email)

    bulk(client, "hide", [face, plain])
    assert public_ids(visitor) == {kept}
    assert all(visitor.get(u).status_code == 404 for u in before[face] + before[plain])
    grid = client.get(f"/manage/albums/{ALBUM}/photos").get_data(as_text=True)
    assert grid.count("badge badge-private") >= 2  # editors still see them, marked hidden
    assert db.session.get(Photo, face).hidden_reason is HiddenReason.editor  # type: ignore[union-attr]

    bulk(client, "show", [face, plain])
    assert public_ids(visitor) == {face, plain, kept}
    assert all(visitor.get(u).status_code == 200 for u in urls(visitor, face) + urls(visitor, plain))

    bulk(client, "blur", [face, plain])
    db.session.expire_all()
    blurred = db.session.get(Photo, face)
    assert blurred is not None and blurred.blur_boxes and len(blurred.blur_boxes) == 1
    assert db.session.get(Photo, plain).blur_boxes is None  # type: ignore[union-attr]  # no face found: left as it is
    assert set(urls(visitor, face)).isdisjoint(before[face])
