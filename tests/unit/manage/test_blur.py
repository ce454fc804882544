"""The blur tool page (gallery/manage/blur.py): editors get the photo with the faces OpenCV suggests
(or its current boxes) in the box widget; saving blurs every web size; bad boxes are a 400 with the
reason and change nothing; the grid links to it."""

from __future__ import annotations

import html
import io
import json
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from skimage import data

from gallery.extensions import db
from gallery.models import Photo, User
from tests.archive.conftest import add_photo, make_album
from tests.conftest import csrf_from, login, make_token

pytestmark = pytest.mark.app_config(GALLERY_DERIVATIVE_SIZES="400,1024")


def portrait() -> bytes:
    scene = Image.new("RGB", (900, 600), (80, 120, 90))
    scene.paste(Image.fromarray(data.astronaut()).resize((500, 500)), (350, 50))
    out = io.BytesIO()
    scene.save(out, "JPEG", quality=90)
    return out.getvalue()


def boxes_in(page: str) -> list[dict[str, float]]:
    found = re.search(r'<input id="boxes" name="boxes" type="hidden" value="([^"]*)"', page)
    assert found, page
    value = html.unescape(found.group(1))
    return json.loads(value) if value else []


def test_suggest_then_save_then_edit(app: Flask, client: FlaskClient, users: dict[str, User]) -> None:
    make_album("blur-tool")
    photo_id = add_photo(client, make_token(users["editor"]), "blur-tool", portrait())
    login(client, users["editor"].email)
    grid = client.get("/manage/albums/blur-tool/photos").get_data(as_text=True)
    assert f"/manage/photos/{photo_id}/blur" in grid
    page = client.get(f"/manage/photos/{photo_id}/blur")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    suggested = boxes_in(text)
    assert len(suggested) == 1 and "1 face found" in text and 'id="takedown-photo"' in text
    (box,) = suggested
    assert box["x"] < 523 / 900 < box["x"] + box["w"]  # the astronaut's face

    saved = client.post(
        f"/manage/photos/{photo_id}/blur", data={"csrf_token": csrf_from(text), "boxes": json.dumps(suggested)}
    )
    assert saved.status_code == 302
    db.session.expire_all()
    photo = db.session.get(Photo, photo_id)
    assert photo is not None and photo.blur_boxes == suggested
    again = client.get(f"/manage/photos/{photo_id}/blur").get_data(as_text=True)
    assert boxes_in(again) == suggested and "This photo is blurred" in again
    assert "blurred" in client.get("/manage/albums/blur-tool/photos").get_data(as_text=True)

    version = photo.media_version
    for bad in ("not json", json.dumps([{"x": 0.9, "y": 0.1, "w": 0.5, "h": 0.2}])):
        refused = client.post(f"/manage/photos/{photo_id}/blur", data={"csrf_token": csrf_from(again), "boxes": bad})
        assert refused.status_code in (400, 422) and "could not be saved" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Photo, photo_id).media_version == version  # type: ignore[union-attr]

    cleared = client.post(f"/manage/photos/{photo_id}/blur", data={"csrf_token": csrf_from(again), "boxes": ""})
    assert cleared.status_code == 302
    db.session.expire_all()
    assert db.session.get(Photo, photo_id).blur_boxes is None  # type: ignore[union-attr]
