"""GET /api/v1/events/<event>/cameras and POST /api/v1/events/<event>/clock-corrections
(gallery/api/clock.py): input through the schema (whole seconds, a model that is not blank),
the answer's shape, a preview that changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from gallery.extensions import db
from gallery.models import Album, Photo
from tests.unit.api.helpers import call, error
from tests.web.helpers import add_photos, make_album, make_event


@pytest.fixture
def album(app: Flask) -> Album:
    album = make_album(db.session, make_event(db.session, "ecc"), "day-1")
    add_photos(db.session, album, 2, extra={"camera_make": "NIKON", "camera_model": "Z 6", "camera_serial": ""})
    return album


def test_cameras(client: FlaskClient, tokens: dict[str, str], album: Album) -> None:
    body = call(client, "GET", "/events/ecc/cameras", tokens["editor"]).get_json()
    assert body["event"] == "ecc"
    (camera,) = body["cameras"]
    assert {k: camera[k] for k in ("make", "model", "serial", "photos", "offset_seconds")} == {
        "make": "NIKON", "model": "Z 6", "serial": "", "photos": 2, "offset_seconds": 0,
    }  # fmt: skip
    assert camera["first_taken_at"].endswith("Z") and camera["last_taken_at"].endswith("Z")


def test_preview_and_apply(client: FlaskClient, tokens: dict[str, str], album: Album) -> None:
    before = db.session.scalars(sa.select(Photo.taken_at).order_by(Photo.id)).all()
    request = {"make": "NIKON", "model": " Z 6 ", "offset_seconds": 3600, "preview": True}
    preview = call(client, "POST", "/events/ecc/clock-corrections", tokens["editor"], json=request).get_json()
    assert preview["changed"] == 0 and preview["camera"] == {"make": "NIKON", "model": "Z 6", "serial": ""}
    assert [p["album"] for p in preview["photos"]] == ["day-1", "day-1"]
    db.session.expire_all()
    assert db.session.scalars(sa.select(Photo.taken_at).order_by(Photo.id)).all() == before
    applied = call(
        client, "POST", "/events/ecc/clock-corrections", tokens["editor"], json={**request, "preview": False}
    )
    assert applied.get_json()["changed"] == 2
    db.session.expire_all()
    after = db.session.scalars(sa.select(Photo.taken_at).order_by(Photo.id)).all()
    assert [(a - b).total_seconds() for a, b in zip(after, before, strict=True)] == [3600, 3600]


@pytest.mark.parametrize(("body", "field"), [
    ({"model": "Z 6", "offset_seconds": "60"}, "offset_seconds"),
    ({"model": "Z 6", "offset_seconds": 1.5}, "offset_seconds"),
    ({"model": "Z 6", "offset_seconds": True}, "offset_seconds"), ({"model": "  ", "offset_seconds": 60}, "model"),
    ({"offset_seconds": 60}, "model"), ({"model": "Z 6", "offset_seconds": 10**10}, "offset_seconds"),
    ({"model": "Z 6", "offset_seconds": 60, "preview": "yes"}, "preview"),
    ({"model": "x" * 256, "offset_seconds": 1}, "model"),
])  # fmt: skip
def test_bad_requests_are_422(
    client: FlaskClient, tokens: dict[str, str], album: Album, body: dict, field: str
) -> None:
    assert (
        error(call(client, "POST", "/events/ecc/clock-corrections", tokens["editor"], json=body), 422)["field"] == field
    )


def test_timestamps_are_utc(album: Album) -> None:
    assert all(p.taken_at.tzinfo == UTC for p in db.session.scalars(sa.select(Photo)))
    assert datetime.now(UTC).tzinfo is UTC
