"""A truncated HEIC/HEIF/AVIF upload is refused with 422 like a truncated JPEG or PNG, and nothing
is stored.  (libheif decodes an iPhone HEIC cut at 30-95 % and fills the missing tiles with green.)"""

from __future__ import annotations

import io
import random

import pytest
from PIL import Image
from sqlalchemy import func, select

from gallery.extensions import db
from gallery.models import Photo
from tests.conftest import CORPUS
from tests.ingest.conftest import upload

HEIC_FILES = [
    "exif-samples/heic/IMG_5195.HEIC",
    "exif-samples/heic/mobile/iphone_13_pro_max.HEIC",
    "exif-samples/heic/mobile/HMD_Nokia_8.3_5G_hdr.heif",
    "exif-samples/heic/samplefilehub.heif",
]
FRACTIONS = (0.30, 0.60, 0.95)


def made_avif() -> bytes:
    """An AVIF written by Pillow (noise, so that the image data is most of the file)."""
    img = Image.frombytes("RGB", (256, 192), random.Random(7).randbytes(256 * 192 * 3))
    out = io.BytesIO()
    img.save(out, "AVIF", quality=90)
    return out.getvalue()


def nothing_stored(app) -> None:
    storage = app.extensions["gallery_storage"]
    assert [obj.key for obj in storage.list("")] == []
    assert db.session.scalar(select(func.count(Photo.id))) == 0
    tmp = app.config["GALLERY_SETTINGS"].instance_path / "tmp"
    assert list(tmp.iterdir()) == []


def refused_as_truncated(response) -> None:
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "undecodable_image"
    assert "truncated" in error["message"]


@pytest.mark.parametrize("name", HEIC_FILES)
def test_truncated_heic_is_422_and_nothing_is_stored(app, client, tokens, album, name):
    data = (CORPUS / name).read_bytes()
    for fraction in FRACTIONS:
        cut = data[: int(len(data) * fraction)]
        refused_as_truncated(upload(client, tokens["editor"], album.slug, cut, f"cut-{fraction}.heic"))
    nothing_stored(app)
    complete = upload(client, tokens["editor"], album.slug, data, name.rsplit("/", 1)[-1])
    assert complete.status_code == 201, complete.get_json()
    assert complete.get_json()["status"] == "ready"


def test_truncated_avif_is_422_and_a_complete_one_is_201(app, client, tokens, album):
    data = made_avif()
    assert len(data) > 20_000
    for fraction in FRACTIONS:
        refused_as_truncated(
            upload(client, tokens["editor"], album.slug, data[: int(len(data) * fraction)], "cut.avif")
        )
    nothing_stored(app)
    complete = upload(client, tokens["editor"], album.slug, data, "whole.avif")
    assert complete.status_code == 201, complete.get_json()
    assert complete.get_json()["status"] == "ready"
