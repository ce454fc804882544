"""The programme end to end: a real-world .ics (parallel rooms, a session past midnight) imported
into an event, photos across it, and what the album page grouped by session, the session pages
and the event page show -- on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gallery.core.audit import SYSTEM, Actor
from gallery.extensions import db
from gallery.models import Role
from gallery.schedule import service
from tests.conftest import login, make_user
from tests.web.helpers import add_photos, make_album, make_event

FILES = Path(__file__).resolve().parent
SECTION_RE = re.compile(
    r'<section class="day[^"]*"[^>]*data-group="([^"]+)">\s*<h2[^>]*>(.*?)</h2>(.*?)</section>', re.S
)
TILE_RE = re.compile(r'<a class="tile-link"(?: id="photo-(\d+)")? href="[^"]*/photos/(\d+)')
OPENING = "opening-plenary-clusters-for-the-twin-transition"
SKILLS = "panel-skills-for-industrial-ecosystems"
GREEN = "workshop-green-cluster-strategies"
DIGITAL = "podpisanie-deklaracji-digital-clusters"
DINNER = "networking-dinner"


def utc(hour: int, minute: int, day: int = 7) -> datetime:
    return datetime(2024, 5, day, hour, minute, tzinfo=UTC)


# Brussels is UTC+2: the opening is 07:00-08:00 UTC, skills 08:30-10:00, green 08:30-09:30,
# digital 09:00-10:30, the dinner 19:00-22:30 (00:30 Brussels time, the next day).
TIMES = {
    "opening": utc(7, 5),
    "opening_margin": utc(8, 5),  # 5 minutes after the opening ended: within the 10-minute margin
    "coffee": utc(8, 15),  # between the opening (+10 min) and the panels (-10 min)
    "two_rooms": utc(8, 35),  # skills and green at once
    "three_rooms": utc(9, 15),  # skills, green and digital
    "lunch": utc(12, 0),  # between the morning and the dinner
    "after_midnight": utc(22, 35),  # 00:35 in Brussels, the dinner's margin
}


@pytest.fixture
def world(app: Flask) -> dict[str, int]:
    event = make_event(db.session, "ecc")
    service.import_schedule(db.session, event, (FILES / "programme.ics").read_bytes(), actor=SYSTEM)
    db.session.commit()
    album = make_album(db.session, event, "day-one")
    ids = add_photos(db.session, album, len(TIMES), times=list(TIMES.values()), undated=1)
    private = make_album(db.session, event, "backstage", visibility="private")
    (backstage,) = add_photos(db.session, private, 1, times=[utc(8, 40)])
    return {**dict(zip([*TIMES, "undated"], ids, strict=True)), "backstage": backstage}


def sections(html: str) -> list[tuple[str, str, list[int]]]:
    """(data-group, heading text, photo ids) of each section of an album page."""
    found = []
    for key, heading, body in SECTION_RE.findall(html):
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", heading)).strip()
        found.append((key, text, [int(m[1]) for m in TILE_RE.findall(body)]))
    return found


def test_album_grouped_by_session(client: FlaskClient, world: dict[str, int]) -> None:
    page = client.get("/albums/day-one?group=session")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    got = [(text.split(" 7 May")[0].split(" 8 May")[0], ids) for _, text, ids in sections(html)]
    w = world
    assert got == [
        ("Opening plenary: Clusters for the twin transition", [w["opening"], w["opening_margin"]]),
        ("Between sessions", [w["coffee"]]),
        ("Panel: Skills for industrial ecosystems", [w["two_rooms"], w["three_rooms"]]),
        ("Workshop: Green cluster strategies", [w["two_rooms"], w["three_rooms"]]),
        ("Podpisanie deklaracji – Digital clusters", [w["three_rooms"]]),
        ("Between sessions", [w["lunch"]]),
        ("Networking dinner", [w["after_midnight"]]),
        ("Without a capture date", [w["undated"]]),
    ]
    # Title, time on the event's clock and room in the heading; a link to the session page.
    headings = [text for _, text, _ in sections(html)]
    assert headings[2] == "Panel: Skills for industrial ecosystems 7 May 2024, 10:30–12:00 · Room A (Spaak)"
    assert headings[6] == "Networking dinner 7 May 2024, 21:00 – 8 May 2024, 00:30 · Autoworld"
    assert f'href="/events/ecc/sessions/{SKILLS}"' in html
    # A photo under two sessions is one #photo-ID: the second tile carries no id.
    assert html.count(f'id="photo-{w["two_rooms"]}"') == 1
    assert html.count(f'/photos/{w["two_rooms"]}"') == 2
    # The switch, with the current grouping marked.
    assert 'href="/albums/day-one?group=session" aria-current="true">session</a>' in html
    # Anything else, or nothing, groups by day.
    for query in ("", "?group=day", "?group=%3Cscript%3E"):
        by_day = sections(client.get(f"/albums/day-one{query}").get_data(as_text=True))
        assert [text for _, text, _ in by_day] == ["7 May 2024", "8 May 2024", "Without a capture date"]
        assert by_day[0][2] == [
            w[n] for n in ("opening", "opening_margin", "coffee", "two_rooms", "three_rooms", "lunch")
        ]


def test_grouping_goes_page_by_page(app: Flask, client: FlaskClient, world: dict[str, int]) -> None:
    app.config["ALBUM_PAGE_SIZE"] = 3
    w = world
    pages = []
    url: str | None = "/albums/day-one?group=session"
    while url:
        html = client.get(url).get_data(as_text=True)
        pages.append([(key, ids) for key, _, ids in sections(html)])
        match = re.search(r'<a href="([^"]+)" rel="next">', html)
        url = match.group(1).replace("&amp;", "&") if match else None
        assert url is None or "group=session" in url
    opening, skills, green, digital = (f"session-{i}" for i in (1, 2, 3, 4))
    assert pages[0] == [(opening, [w["opening"], w["opening_margin"]]), ("between-1", [w["coffee"]])]
    assert pages[1] == [
        (skills, [w["two_rooms"], w["three_rooms"]]),
        (green, [w["two_rooms"], w["three_rooms"]]),
        (digital, [w["three_rooms"]]),
        ("between-4", [w["lunch"]]),
    ]
    assert pages[2] == [("session-5", [w["after_midnight"]]), ("undated", [w["undated"]])]


@pytest.mark.app_config(GALLERY_SESSION_MARGIN_MINUTES="0")
def test_the_margin_is_a_setting(client: FlaskClient, world: dict[str, int]) -> None:
    html = client.get("/albums/day-one?group=session").get_data(as_text=True)
    got = [(key, ids) for key, _, ids in sections(html)]
    assert got[:2] == [("session-1", [world["opening"]]), ("between-1", [world["opening_margin"], world["coffee"]])]
    assert ("between-5", [world["after_midnight"]]) in got  # 00:35 is after the dinner now


def test_an_event_without_programme_groups_by_day(client: FlaskClient, app: Flask) -> None:
    event = make_event(db.session, "plain")
    album = make_album(db.session, event, "plain-album")
    add_photos(db.session, album, 2)
    html = client.get("/albums/plain-album?group=session").get_data(as_text=True)
    assert [text for _, text, _ in sections(html)] == ["7 May 2024"]
    assert "Group by" not in html


def test_session_pages(client: FlaskClient, world: dict[str, int]) -> None:
    page = client.get(f"/events/ecc/sessions/{SKILLS}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<h1>Panel: Skills for industrial ecosystems</h1>" in html
    assert "Speakers: Maria Rossi, Jan Kowalski, Élodie Martin, Piotr Wiśniewski" in html
    assert f'href="/events/ecc/sessions/{GREEN}"' in html  # at the same time
    shown = [int(i) for i in re.findall(r'<li id="photo-(\d+)"', html)]
    assert shown == [world["two_rooms"], world["three_rooms"]]  # the private album's photo is not there
    assert f'/albums/day-one/photos/{world["two_rooms"]}"' in html

    dinner = client.get(f"/events/ecc/sessions/{DINNER}").get_data(as_text=True)
    assert [int(i) for i in re.findall(r'<li id="photo-(\d+)"', dinner)] == [world["after_midnight"]]
    closing = client.get("/events/ecc/sessions/closing-remarks-and-next-steps-for-the-european-cluster-community")
    assert "There are no photos from this session yet." in closing.get_data(as_text=True)

    assert client.get("/events/ecc/sessions/no-such-session").status_code == 404
    assert client.get(f"/events/nope/sessions/{SKILLS}").status_code == 404

    editor = make_user(Role.editor)
    login(client, editor.email)
    html = client.get(f"/events/ecc/sessions/{SKILLS}").get_data(as_text=True)
    shown = [int(i) for i in re.findall(r'<li id="photo-(\d+)"', html)]
    assert shown == [world["two_rooms"], world["backstage"], world["three_rooms"]]


def test_session_pages_go_page_by_page(client: FlaskClient, app: Flask) -> None:
    event = make_event(db.session, "big")
    service.import_schedule(db.session, event, (FILES / "programme.ics").read_bytes(), actor=SYSTEM)
    db.session.commit()
    album = make_album(db.session, event, "big-album")
    ids = add_photos(db.session, album, 130, start=utc(8, 30), step=timedelta(seconds=30))
    seen: list[int] = []
    url: str | None = f"/events/big/sessions/{SKILLS}"
    while url:
        html = client.get(url).get_data(as_text=True)
        seen += [int(i) for i in re.findall(r'<li id="photo-(\d+)"', html)]
        match = re.search(r'<a href="([^"]+)" rel="next">', html)
        url = match.group(1).replace("&amp;", "&") if match else None
    assert seen == ids  # 65 minutes of photos every 30 s: all within the panel, no gap, no repeat
    assert client.get(f"/events/big/sessions/{SKILLS}?cursor=broken").status_code == 400


def test_the_event_page_lists_the_programme(client: FlaskClient, world: dict[str, int]) -> None:
    html = client.get("/events/ecc").get_data(as_text=True)
    programme = html[html.index('id="programme-heading"') :]
    links = re.findall(r'href="/events/ecc/sessions/([^"]+)"', programme)
    assert links == [
        OPENING,
        SKILLS,
        GREEN,
        DIGITAL,
        DINNER,
        "closing-remarks-and-next-steps-for-the-european-cluster-community",
    ]
    assert "Maria Rossi, Jan Kowalski, Élodie Martin, Piotr Wiśniewski" in programme
    plain = make_event(db.session, "plain")
    add_photos(db.session, make_album(db.session, plain, "plain-album"), 1)
    assert 'id="programme-heading"' not in client.get("/events/plain").get_data(as_text=True)


def test_in_polish(client: FlaskClient, world: dict[str, int]) -> None:
    headers = {"Accept-Language": "pl"}
    html = client.get("/albums/day-one?group=session", headers=headers).get_data(as_text=True)
    assert "Grupuj według:" in html and ">sesji</a>" in html
    headings = [text for _, text, _ in sections(html)]
    assert headings[1] == "Między sesjami"
    assert headings[6] == "Networking dinner 7 maja 2024, 21:00 – 8 maja 2024, 00:30 · Autoworld"
    session = client.get(f"/events/ecc/sessions/{SKILLS}", headers=headers).get_data(as_text=True)
    assert "Prelegenci: Maria Rossi" in session and "W tym samym czasie:" in session
    assert ">Program</h2>" in client.get("/events/ecc", headers=headers).get_data(as_text=True)


def test_the_sitemap_lists_the_session_pages(client: FlaskClient, world: dict[str, int]) -> None:
    hidden = make_event(db.session, "hidden")
    make_album(db.session, hidden, "hidden-album", visibility="private")
    service.create_session(
        db.session,
        hidden,
        title="Closed door",
        starts_at=utc(8, 0),
        ends_at=utc(9, 0),
        actor=Actor(user=make_user(Role.editor), via="api"),
    )
    db.session.commit()
    xml = client.get("/sitemap.xml").get_data(as_text=True)
    assert f"/events/ecc/sessions/{SKILLS}</loc>" in xml and f"/events/ecc/sessions/{DINNER}</loc>" in xml
    assert "/events/hidden/sessions/" not in xml
