"""What the tests of the visitor-facing views share: a small world (an event with a public, an unlisted and a
private album, photos in every state, a report), page fetching and parsing, logging in and failing to."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update
from werkzeug.test import TestResponse

from gallery.extensions import db
from gallery.models import Album, Photo, PhotoStatus
from tests.conftest import csrf_from
from tests.web.helpers import (
    add_photos,
    make_album,
    make_event,
    make_report,
)

SERIAL = "SN-4242-SECRET"
LAT, LON = 50.841111, 4.381234


REPORT_BODY = """\
# Opening day

**Brussels, 7–8 May 2024.** More than 700 delegates met.

<script>alert("owned")</script>

[click me](javascript:alert(1)) and <a href="javascript:alert(2)">raw link</a> and
<a href="https://example.org/more" onclick="steal()">a safe link</a>.

<img src="x" onerror="alert(3)"> <img src="https://tracker.example/pixel.gif" alt="tracker">

<div style="position:fixed" onmouseover="alert(4)">styled</div>

[album public-album]

Text between the strips mentions [album public-album] inline, which stays text.

[album private-album]

[album unlisted-album]

[album no-such-album]
"""


@dataclass
class World:
    event: str
    public: Album
    unlisted: Album
    private: Album
    photos: dict[str, int]  # name → photo id in the public album
    private_photo: int
    unlisted_photo: int


@pytest.fixture
def world(app: Flask) -> World:
    event = make_event(db.session, "ecc-2024")
    public = make_album(db.session, event, "public-album", title="ECC 2024 photo report", description="Both days.")
    unlisted = make_album(db.session, event, "unlisted-album", visibility="unlisted", title="Backstage")
    private = make_album(db.session, event, "private-album", visibility="private", title="Staff only")
    times = [
        datetime(2024, 5, 7, 7, 31, 55, tzinfo=UTC),  # 09:31 in Brussels
        datetime(2024, 5, 7, 21, 30, tzinfo=UTC),  # 23:30 on 7 May in Brussels
        datetime(2024, 5, 7, 22, 30, tzinfo=UTC),  # 00:30 on 8 May in Brussels
    ]
    ids = add_photos(db.session, public, 0, times=times, undated=1, portrait_every=0)
    names = dict(zip(("opening", "late", "after_midnight", "undated"), ids, strict=True))
    hidden = add_photos(db.session, public, 3, start=datetime(2024, 5, 7, 8, tzinfo=UTC))
    db.session.execute(update(Photo).where(Photo.id == hidden[0]).values(status=PhotoStatus.processing))
    db.session.execute(update(Photo).where(Photo.id == hidden[1]).values(status=PhotoStatus.failed))
    db.session.execute(update(Photo).where(Photo.id == hidden[2]).values(deleted_at=datetime.now(UTC)))
    names.update(processing=hidden[0], failed=hidden[1], deleted=hidden[2])
    db.session.execute(
        update(Photo)
        .where(Photo.id == names["opening"])
        .values(
            caption="Opening plenary <b>live</b>",
            alt_text="Speaker at the lectern in front of a full hall",
            credit="Anna Nowak",
            camera_make="Canon",
            camera_model="Canon EOS R6",
            camera_serial=SERIAL,
            lens="RF24-70mm F2.8 L IS USM",
            focal_length_mm=50.0,
            aperture=2.8,
            exposure_time="1/250",
            iso=1600,
            gps_latitude=LAT,
            gps_longitude=LON,
            gps_altitude=77.5,
        )
    )
    db.session.execute(update(Photo).where(Photo.id == names["late"]).values(caption="", alt_text=""))
    db.session.execute(update(Photo).where(Photo.id == names["undated"]).values(caption="", alt_text="", credit=""))
    private_photo = add_photos(db.session, private, 1)[0]
    unlisted_photo = add_photos(db.session, unlisted, 1)[0]
    make_report(
        db.session,
        event,
        "conference-report",
        REPORT_BODY,
        title="700 delegates in Brussels",
        albums=[public, private],
    )
    make_report(db.session, event, "draft-report", "Not yet.", title="Unfinished", published=False)
    return World(
        event="ecc-2024",
        public=public,
        unlisted=unlisted,
        private=private,
        photos=names,
        private_photo=private_photo,
        unlisted_photo=unlisted_photo,
    )


def get(client: FlaskClient, url: str, lang: str = "en", **kwargs: object) -> tuple[int, str]:
    response = client.get(url, headers={"Accept-Language": lang}, **kwargs)
    return response.status_code, response.get_data(as_text=True)


def page_urls(world: World) -> list[str]:
    return [
        "/",
        f"/events/{world.event}",
        f"/events/{world.event}/reports/conference-report",
        "/albums/public-album",
        f"/albums/public-album/photos/{world.photos['opening']}",
        "/events",  # the events archive
    ]


class Outline(HTMLParser):
    """Headings, <html lang> and meta tags of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.lang: str | None = None
        self.headings: list[int] = []
        self.meta: dict[str, str] = {}
        self.imgs: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "html":
            self.lang = values.get("lang")
        elif re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        elif tag == "meta":
            key = values.get("property") or values.get("name")
            if key and values.get("content") is not None:
                self.meta[key] = values["content"] or ""
        elif tag == "img":
            self.imgs.append(values)


def outline(html: str) -> Outline:
    parser = Outline()
    parser.feed(html)
    return parser


def failed_login(client: FlaskClient, email: str, password: str = "wrong password") -> TestResponse:
    token = csrf_from(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})
