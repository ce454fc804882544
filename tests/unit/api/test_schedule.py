"""The programme in the API (gallery/api/schedule.py): importing an iCalendar file (multipart or a
text/calendar body; again: updated by UID), refusals that change nothing, reading the programme,
and adding, changing and deleting sessions."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gallery.extensions import db
from gallery.schedule import ical
from gallery.schedule.models import EventSession
from tests.unit.api.helpers import call, error
from tests.web.helpers import make_album, make_event

PROGRAMME = (Path(__file__).resolve().parents[2] / "schedule" / "programme.ics").read_bytes()
SKILLS = "panel-skills-for-industrial-ecosystems"


@pytest.fixture
def event(app: Flask) -> str:
    event = make_event(db.session, "ecc")
    make_album(db.session, event, "day-one")  # an event with a public album: anyone may see it
    return event.slug


def _count() -> int:
    return db.session.query(EventSession).count()


def test_import_read_and_reimport(client: FlaskClient, tokens: dict[str, str], event: str) -> None:
    upload = {"file": (io.BytesIO(PROGRAMME), "programme.ics", "text/calendar")}
    response = call(client, "POST", "/events/ecc/schedule", tokens["editor"], data=upload)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert (body["event"], len(body["created"]), body["updated"], body["unchanged"]) == ("ecc", 6, [], 0)
    assert body["skipped"] == [
        {"title": "Day 1 – Exhibition open", "reason": "all-day entry"},
        {"title": "Cancelled side event", "reason": "cancelled"},
    ]
    skills = next(s for s in body["created"] if s["slug"] == SKILLS)
    assert skills == {
        "slug": SKILLS,
        "event": "ecc",
        "title": "Panel: Skills for industrial ecosystems",
        "starts_at": "2024-05-07T08:30:00Z",
        "ends_at": "2024-05-07T10:00:00Z",
        "room": "Room A (Spaak)",
        "speakers": ["Maria Rossi", "Jan Kowalski", "Élodie Martin", "Piotr Wiśniewski"],
        "description": "A panel on skills partnerships.\nSpeakers: Maria Rossi, Jan Kowalski and Élodie Martin\n"
        "Moderator: Piotr Wiśniewski",
        "uid": "skills@ecc.example",
        "url": f"http://localhost/events/ecc/sessions/{SKILLS}",
    }
    # The same file again, as a text/calendar body: nothing new.
    again = call(
        client, "POST", "/events/ecc/schedule", tokens["admin"], data=PROGRAMME, content_type="text/calendar"
    ).get_json()
    assert (again["created"], again["updated"], again["unchanged"], again["missing"]) == ([], [], 6, [])
    assert _count() == 6

    programme = call(client, "GET", "/events/ecc/schedule").get_json()
    assert [s["slug"] for s in programme["sessions"]][:2] == [
        "opening-plenary-clusters-for-the-twin-transition",
        SKILLS,
    ]
    assert call(client, "GET", f"/events/ecc/sessions/{SKILLS}").get_json()["room"] == "Room A (Spaak)"
    error(call(client, "GET", "/events/ecc/sessions/nope"), 404)


BROKEN = PROGRAMME.replace(b"DTSTART;TZID=Europe/Brussels:20240508T150000", b"X:1")


@pytest.mark.parametrize(
    ("field", "data", "status", "code"),
    [
        ("file", b"\x89PNG\r\n\x1a\n", 422, "invalid_schedule"),
        ("file", b"", 422, "invalid_schedule"),
        ("other", PROGRAMME, 400, "missing_file"),
        ("json", b"", 400, "missing_file"),
        ("body", BROKEN, 422, "invalid_schedule"),
        ("body", b"BEGIN:VCALENDAR\r\n" + b"X" * ical.MAX_FILE_BYTES, 413, "payload_too_large"),
    ],
)
def test_refusals_change_nothing(
    client: FlaskClient, tokens: dict[str, str], event: str, field: str, data: bytes, status: int, code: str
) -> None:
    kwargs: dict[str, object]
    if field == "json":
        kwargs = {"json": {"file": "BEGIN:VCALENDAR"}}
    elif field == "body":
        kwargs = {"data": data, "content_type": "text/calendar"}
    else:  # a new file object for every run (a multipart upload closes it)
        kwargs = {"data": {field: (io.BytesIO(data), "programme.ics")}}
    response = call(client, "POST", "/events/ecc/schedule", tokens["editor"], **kwargs)  # type: ignore[arg-type]
    assert error(response, status)["code"] == code
    assert _count() == 0


def test_roles_and_missing_event(client: FlaskClient, tokens: dict[str, str], event: str) -> None:
    upload = {"file": (io.BytesIO(PROGRAMME), "programme.ics")}
    error(call(client, "POST", "/events/ecc/schedule", data=upload), 401)
    upload = {"file": (io.BytesIO(PROGRAMME), "programme.ics")}
    error(call(client, "POST", "/events/ecc/schedule", tokens["photographer"], data=upload), 403)
    upload = {"file": (io.BytesIO(PROGRAMME), "programme.ics")}
    error(call(client, "POST", "/events/nope/schedule", tokens["editor"], data=upload), 404)
    error(call(client, "GET", "/events/nope/schedule"), 404)
    assert _count() == 0


def test_sessions_stay_editable(client: FlaskClient, tokens: dict[str, str], event: str) -> None:
    editor = tokens["editor"]
    created = call(
        client,
        "POST",
        "/events/ecc/sessions",
        editor,
        json={"title": "Press point", "starts_at": "2024-05-07T13:00:00", "ends_at": "2024-05-07T13:20:00+02:00"},
    )
    assert created.status_code == 201, created.get_data(as_text=True)
    assert created.headers["Location"] == "http://localhost/events/ecc/sessions/press-point"
    body = created.get_json()
    assert (body["starts_at"], body["ends_at"], body["uid"], body["speakers"]) == (
        "2024-05-07T11:00:00Z",
        "2024-05-07T11:20:00Z",
        None,
        [],
    )
    changed = call(
        client,
        "PATCH",
        "/events/ecc/sessions/press-point",
        editor,
        json={"room": "Press room", "speakers": ["Anna Nowak"], "slug": "press"},
    )
    assert changed.status_code == 200 and changed.get_json()["slug"] == "press"
    assert changed.get_json()["room"] == "Press room"
    bad = call(client, "PATCH", "/events/ecc/sessions/press", editor, json={"ends_at": "2024-05-07T10:00:00Z"})
    assert error(bad, 422)["field"] == "ends_at"
    assert error(call(client, "PATCH", "/events/ecc/sessions/press", editor, json={"title": ""}), 422)
    assert error(call(client, "PATCH", "/events/ecc/sessions/press", editor, json={"starts_at": "soon"}), 422)
    error(call(client, "PATCH", "/events/ecc/sessions/press", tokens["photographer"], json={"room": "x"}), 403)
    assert call(client, "DELETE", "/events/ecc/sessions/press", editor).status_code == 204
    error(call(client, "DELETE", "/events/ecc/sessions/press", editor), 404)
    assert _count() == 0
