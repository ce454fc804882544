"""gallery/web/sessions.py: a session's time on the event's clock in the visitor's language, and the
session page's route (escaping, the next-page link, 404s)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import flask_babel
import pytest
from flask import Flask
from flask.testing import FlaskClient

from gallery.extensions import db
from gallery.schedule.models import EventSession
from gallery.web.sessions import session_span
from tests.web.helpers import add_photos, make_album, make_event

T0 = datetime(2024, 5, 7, 8, 30, tzinfo=UTC)  # 10:30 in Brussels


@pytest.mark.parametrize(
    ("language", "minutes", "expected"),
    [
        ("en", 90, "7 May 2024, 10:30–12:00"),
        ("pl", 90, "7 maja 2024, 10:30–12:00"),
        ("en", 14 * 60, "7 May 2024, 10:30 – 8 May 2024, 00:30"),
        ("pl", 14 * 60, "7 maja 2024, 10:30 – 8 maja 2024, 00:30"),
    ],
)
def test_session_span(app: Flask, language: str, minutes: int, expected: str) -> None:
    event = make_event(db.session, "ecc")
    talk = EventSession(starts_at=T0, ends_at=T0 + timedelta(minutes=minutes))
    flask_babel.refresh()
    with app.test_request_context("/", headers={"Accept-Language": language}):
        assert session_span(talk, event) == expected
    flask_babel.refresh()


def test_session_page(app: Flask, client: FlaskClient) -> None:
    app.config["ALBUM_PAGE_SIZE"] = 2
    event = make_event(db.session, "ecc")
    db.session.add(
        EventSession(
            event_id=event.id,
            slug="panel",
            title='Panel <script>alert("x")</script>',
            starts_at=T0,
            ends_at=T0 + timedelta(hours=1),
            room="Room <b>A</b>",
            speakers=["Anna <i>Nowak</i>"],
            description="On skills.",
        )
    )
    db.session.commit()
    album = make_album(db.session, event, "day-one")
    add_photos(db.session, album, 3, start=T0, step=timedelta(minutes=10))
    html = client.get("/events/ecc/sessions/panel").get_data(as_text=True)
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert "Room &lt;b&gt;A&lt;/b&gt;" in html and "Anna &lt;i&gt;Nowak&lt;/i&gt;" in html
    assert "Speaker: " in html  # one speaker
    assert client.get("/events/ecc/sessions/PANEL").status_code == 404
    assert client.get("/events/ecc/sessions/panel?cursor=xyz").status_code == 400


def test_a_share_token_opens_the_unlisted_albums_photos(app: Flask, client: FlaskClient) -> None:
    app.config["ALBUM_PAGE_SIZE"] = 1
    event = make_event(db.session, "ecc")
    make_album(db.session, event, "public")  # the event is listed
    unlisted = make_album(db.session, event, "unlisted", visibility="unlisted")
    db.session.add(
        EventSession(event_id=event.id, slug="panel", title="Panel", starts_at=T0, ends_at=T0 + timedelta(hours=1))
    )
    db.session.commit()
    first, second = add_photos(db.session, unlisted, 2, start=T0, step=timedelta(minutes=10))
    assert 'id="photo-' not in client.get("/events/ecc/sessions/panel").get_data(as_text=True)
    token = unlisted.share_token
    html = client.get(f"/events/ecc/sessions/panel?token={token}").get_data(as_text=True)
    assert f'<li id="photo-{first}"' in html
    assert f"/albums/unlisted/photos/{first}?token={token}" in html
    more = re.search(r'<a href="([^"]+)" rel="next">', html)
    assert more is not None and f"token={token}" in more.group(1)
    assert f'<li id="photo-{second}"' in client.get(more.group(1).replace("&amp;", "&")).get_data(as_text=True)
