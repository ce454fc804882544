"""The programme page of an event's management area (gallery/manage/programme.py): upload an .ics
file (a bad one changes nothing and says why), see the sessions, edit one in the event's time zone,
delete one; CSRF on every form; editors only."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from gallery.extensions import db
from gallery.models import Role
from gallery.schedule import service
from gallery.schedule.models import EventSession
from tests.conftest import csrf_from, login, make_user
from tests.web.helpers import make_event

PROGRAMME = (Path(__file__).resolve().parents[2] / "schedule" / "programme.ics").read_bytes()
SKILLS = "panel-skills-for-industrial-ecosystems"


def _count() -> int:
    return db.session.query(EventSession).count()


def _editor(client: FlaskClient) -> None:
    login(client, make_user(Role.editor).email)


def test_upload_list_edit_delete(app: Flask, client: FlaskClient) -> None:
    event = make_event(db.session, "ecc")
    _editor(client)
    page = client.get("/manage/events/ecc/programme")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "No programme yet" in html and 'enctype="multipart/form-data"' in html
    assert 'href="/manage/events/ecc/programme"' in client.get("/manage/events/ecc/edit").get_data(as_text=True)

    done = client.post(
        "/manage/events/ecc/programme",
        data={"csrf_token": csrf_from(html), "file": (io.BytesIO(PROGRAMME), "programme.ics")},
        follow_redirects=True,
    )
    assert done.status_code == 200
    html = done.get_data(as_text=True)
    assert "Programme imported: 6 added, 0 updated, 0 unchanged." in html
    assert "2 entries are not sessions and were skipped" in html and "Cancelled side event (cancelled)" in html
    assert "6 sessions" in html and "7 May 2024, 10:30–12:00" in html
    assert _count() == 6

    edit = client.get(f"/manage/events/ecc/programme/{SKILLS}/edit").get_data(as_text=True)
    assert 'value="2024-05-07T10:30"' in edit  # wall time in Brussels
    saved = client.post(
        f"/manage/events/ecc/programme/{SKILLS}/edit",
        data={
            "csrf_token": csrf_from(edit),
            "title": "Panel: Skills",
            "starts_at": "2024-05-07T11:00",
            "ends_at": "2024-05-07T12:15",
            "room": "Room A",
            "speakers": "Maria Rossi, Jan Kowalski",
            "description": "",
        },
    )
    assert saved.status_code == 302
    item = service.get_session(db.session, event, SKILLS)
    assert (item.title, item.starts_at, item.ends_at, item.speakers) == (
        "Panel: Skills",
        datetime(2024, 5, 7, 9, 0, tzinfo=UTC),
        datetime(2024, 5, 7, 10, 15, tzinfo=UTC),
        ["Maria Rossi", "Jan Kowalski"],
    )
    backwards = client.post(
        f"/manage/events/ecc/programme/{SKILLS}/edit",
        data={
            "csrf_token": csrf_from(edit),
            "title": "X",
            "starts_at": "2024-05-07T11:00",
            "ends_at": "2024-05-07T10:00",
        },
    )
    assert backwards.status_code == 422 and "ends before it starts" in backwards.get_data(as_text=True)

    listing = client.get("/manage/events/ecc/programme").get_data(as_text=True)
    assert client.post(f"/manage/events/ecc/programme/{SKILLS}/delete", data={}).status_code == 400  # no token
    assert _count() == 6
    client.post(f"/manage/events/ecc/programme/{SKILLS}/delete", data={"csrf_token": csrf_from(listing)})
    assert _count() == 5


def test_a_bad_file_changes_nothing(app: Flask, client: FlaskClient) -> None:
    make_event(db.session, "ecc")
    _editor(client)
    html = client.get("/manage/events/ecc/programme").get_data(as_text=True)
    for name, data, message in (
        ("photo.ics", b"\xff\xd8\xff\xe0JFIF", "not an iCalendar file"),
        ("broken.ics", PROGRAMME.replace(b"DTSTART;TZID=Europe/Brussels:20240508T150000", b"X:1"), "has no start"),
    ):
        answer = client.post(
            "/manage/events/ecc/programme",
            data={"csrf_token": csrf_from(html), "file": (io.BytesIO(data), name)},
        )
        assert answer.status_code == 422 and message in answer.get_data(as_text=True)
    missing = client.post("/manage/events/ecc/programme", data={"csrf_token": csrf_from(html)})
    assert missing.status_code == 422 and "Choose an .ics file." in missing.get_data(as_text=True)
    assert _count() == 0
