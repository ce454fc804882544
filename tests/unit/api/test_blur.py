"""POST /api/v1/photos/<id>/blur (gallery/api/blur.py): editors blur a photo's web sizes; the
answer is the photo with its boxes and new derivative URLs; bad boxes 422, unknown photos 404,
visitors 401 and photographers 403, nothing changed."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gallery.extensions import db
from gallery.models import Photo
from tests.archive.conftest import add_photo, jpeg, make_album
from tests.unit.api.helpers import call, error

pytestmark = pytest.mark.app_config(GALLERY_DERIVATIVE_SIZES="200")
BOX = {"x": 0.25, "y": 0.25, "w": 0.5, "h": 0.5}


@pytest.fixture
def photo_id(app: Flask, client: FlaskClient, tokens: dict[str, str]) -> int:
    make_album("blur-api")
    return add_photo(client, tokens["editor"], "blur-api", jpeg(1))


def test_editors_blur_and_unblur(client: FlaskClient, tokens: dict[str, str], photo_id: int) -> None:
    before = {d.key for d in db.session.get(Photo, photo_id).derivatives}  # type: ignore[union-attr]
    answer = call(client, "POST", f"/photos/{photo_id}/blur", tokens["editor"], json={"boxes": [BOX]})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    body = answer.get_json()
    assert body["blur_boxes"] == [BOX] and body["id"] == photo_id
    db.session.expire_all()
    photo = db.session.get(Photo, photo_id)
    assert photo is not None and photo.blur_boxes == [BOX]
    assert {d.key for d in photo.derivatives}.isdisjoint(before)
    assert all(photo.media_version in d["url"] for d in body["derivatives"])
    cleared = call(client, "POST", f"/photos/{photo_id}/blur", tokens["admin"], json={"boxes": []})
    assert cleared.status_code == 200 and cleared.get_json()["blur_boxes"] is None


def test_bad_requests_change_nothing(client: FlaskClient, tokens: dict[str, str], photo_id: int) -> None:
    version = db.session.get(Photo, photo_id).media_version  # type: ignore[union-attr]
    path = f"/photos/{photo_id}/blur"
    assert error(call(client, "POST", path, json={"boxes": [BOX]}), 401)
    assert error(call(client, "POST", path, tokens["photographer"], json={"boxes": [BOX]}), 403)
    for bad in ({"boxes": [{"x": 0.8, "y": 0.1, "w": 0.5, "h": 0.2}]}, {"boxes": [{"x": 0.1}]}, {"boxes": "x"}, {}):
        answer = call(client, "POST", path, tokens["editor"], json=bad)
        assert answer.status_code == 422, (bad, answer.get_data(as_text=True))
    assert error(call(client, "POST", "/photos/99999/blur", tokens["editor"], json={"boxes": [BOX]}), 404)
    db.session.expire_all()
    photo = db.session.get(Photo, photo_id)
    assert photo is not None and photo.media_version == version and photo.blur_boxes is None


@pytest.mark.app_config(GALLERY_DERIVATIVE_SIZES="1024")
def test_face_suggestions_for_editors(app: Flask, client: FlaskClient, tokens: dict[str, str]) -> None:
    import io

    from PIL import Image
    from skimage import data

    out = io.BytesIO()
    scene = Image.new("RGB", (900, 600), (80, 120, 90))
    scene.paste(Image.fromarray(data.astronaut()).resize((500, 500)), (350, 50))
    scene.save(out, "JPEG", quality=90)
    make_album("faces-api")
    photo_id = add_photo(client, tokens["editor"], "faces-api", out.getvalue())
    answer = call(client, "GET", f"/photos/{photo_id}/faces", tokens["editor"])
    assert answer.status_code == 200, answer.get_data(as_text=True)
    (box,) = answer.get_json()["boxes"]
    # the astronaut's face: x 350 + 177/512*500 = 523 px of 900, y 50 + 67/512*500 = 115 px of 600
    assert box["x"] < 523 / 900 < box["x"] + box["w"] and box["y"] < 115 / 600 < box["y"] + box["h"]
    assert error(call(client, "GET", f"/photos/{photo_id}/faces"), 401)
    assert error(call(client, "GET", f"/photos/{photo_id}/faces", tokens["photographer"]), 403)
    assert error(call(client, "GET", "/photos/99999/faces", tokens["editor"]), 404)
    plain = add_photo(client, tokens["editor"], "faces-api", jpeg(5))
    assert call(client, "GET", f"/photos/{plain}/faces", tokens["editor"]).get_json() == {"boxes": []}
