"""GET /api/v1/albums/<album>/photos on SQLite and PostgreSQL: display order, every photo once across
the pages, filters by status and credit, unfinished photos for staff only, unlisted albums with
their share token."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gallery.extensions import db
from gallery.models import Album, PhotoStatus
from tests.unit.api.helpers import call, error, every_page
from tests.web.helpers import add_photos, make_album, make_event, set_sort_manual

START = datetime(2024, 5, 7, 8, 0, tzinfo=UTC)


@pytest.fixture
def album(app: Flask) -> Album:
    event = make_event(db.session, "ecc")
    album = make_album(db.session, event, "day-1")
    add_photos(db.session, album, 7, undated=2)
    add_photos(db.session, album, 2, status=PhotoStatus.processing, start=START.replace(hour=20))
    add_photos(db.session, album, 1, extra={"credit": "Anna Nowak"}, start=START.replace(hour=6))
    return album


def ids(pages: list[list[dict]]) -> list[int]:
    return [photo["id"] for page in pages for photo in page]


def test_pages_follow_the_display_order(client: FlaskClient, tokens: dict[str, str], album: Album) -> None:
    whole = call(client, "GET", "/albums/day-1", tokens["editor"]).get_json()["photos"]
    for limit in (1, 3, 4, 12, 50):
        assert ids(every_page(client, "/albums/day-1/photos", tokens["editor"], limit=limit)) == [
            p["id"] for p in whole
        ]
    visitor = ids(every_page(client, "/albums/day-1/photos", None, limit=4))
    assert len(visitor) == 10 and visitor == [
        p["id"] for p in call(client, "GET", "/albums/day-1").get_json()["photos"]
    ]


def test_manual_order(client: FlaskClient, tokens: dict[str, str], album: Album) -> None:
    set_sort_manual(db.session, album)
    whole = [p["id"] for p in call(client, "GET", "/albums/day-1").get_json()["photos"]]
    assert ids(every_page(client, "/albums/day-1/photos", None, limit=3)) == whole


def test_filters(client: FlaskClient, tokens: dict[str, str], album: Album) -> None:
    processing = every_page(client, "/albums/day-1/photos", tokens["photographer"], status="processing")
    assert len(ids(processing)) == 2 and {p["status"] for page in processing for p in page} == {"processing"}
    assert ids(every_page(client, "/albums/day-1/photos", None, status="processing")) == []  # visitors: ready only
    credited = every_page(client, "/albums/day-1/photos", None, credit="Anna Nowak")
    assert [p["credit"] for page in credited for p in page] == ["Anna Nowak"]
    assert error(call(client, "GET", "/albums/day-1/photos?status=lost"), 422)["field"] == "status"


def test_staff_fields_only_for_staff(client: FlaskClient, tokens: dict[str, str], album: Album) -> None:
    visitor = every_page(client, "/albums/day-1/photos", None)[0][0]
    staff = every_page(client, "/albums/day-1/photos", tokens["photographer"])[0][0]
    assert {"error", "content_type", "size"} <= set(staff) and not {"error", "content_type", "size"} & set(visitor)
    assert visitor["taken_at"].endswith("Z") and visitor["taken_at_local"].endswith("+02:00")


def test_unlisted_albums_need_their_token(client: FlaskClient, tokens: dict[str, str], album: Album) -> None:
    album.visibility = "unlisted"  # type: ignore[assignment]
    db.session.commit()
    assert error(call(client, "GET", "/albums/day-1/photos"), 404)["code"] == "not_found"
    assert len(ids(every_page(client, "/albums/day-1/photos", None, token=album.share_token))) == 10
    assert error(call(client, "GET", "/albums/nope/photos"), 404)["code"] == "not_found"
