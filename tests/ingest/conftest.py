from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from gallery.catalog import albums
from gallery.catalog import events as catalog
from gallery.core.audit import SYSTEM
from gallery.extensions import db
from gallery.models import Album


def make_album(slug: str = "ecc-photos", *, tz: str = "Europe/Brussels", visibility: str = "public") -> Album:
    event = catalog.create_event(
        db.session,
        slug=f"{slug}-event",
        title="European Cluster Conference 2024",
        starts_on="2024-05-07",
        ends_on="2024-05-08",
        timezone=tz,
        actor=SYSTEM,
    )
    album = albums.create_album(db.session, event=event, slug=slug, title="Photos", visibility=visibility, actor=SYSTEM)
    db.session.commit()
    return album


@pytest.fixture
def album(app: Flask) -> Album:
    return make_album()


def upload(
    client: FlaskClient,
    token: str,
    album_slug: str,
    data: bytes | Path,
    filename: str = "photo.jpg",
    headers: dict[str, str] | None = None,
) -> Any:
    if isinstance(data, Path):
        filename = filename if filename != "photo.jpg" else data.name
        data = data.read_bytes()
    return client.post(
        f"/api/v1/albums/{album_slug}/photos",
        data={"file": (io.BytesIO(data), filename)},
        headers={"Authorization": f"Bearer {token}", **(headers or {})},
        content_type="multipart/form-data",
    )


def camera_jpeg(
    when: str,
    model: str,
    *,
    serial: str | None = None,
    colour=(0, 0, 0),
    offset: str | None = None,
    make: str | None = None,
) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = make or ("Canon" if "Canon" in model else "NIKON CORPORATION")
    exif[0x0110] = model
    sub = exif.get_ifd(0x8769)
    sub[0x9003] = when
    if offset:
        sub[0x9011] = offset
    if serial:
        sub[0xA431] = serial  # BodySerialNumber
    out = io.BytesIO()
    Image.new("RGB", (200, 150), colour).save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()
