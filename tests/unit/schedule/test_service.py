"""Importing a programme into an event (re-import updates by UID, a bad file writes nothing),
and adding, changing and deleting sessions by hand."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from gallery.core.audit import SYSTEM, Actor
from gallery.core.errors import ConflictError, PermissionDenied, ValidationError
from gallery.extensions import db
from gallery.models import AuditLog, Role
from gallery.schedule import ical, service
from gallery.schedule.models import EventSession
from tests.conftest import make_user
from tests.web.helpers import make_event

FILES = Path(__file__).resolve().parents[2] / "schedule"


def _count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(EventSession)) or 0


def test_import_then_reimport_updates_by_uid(app: Flask) -> None:
    event = make_event(db.session, "ecc")
    data = (FILES / "programme.ics").read_bytes()
    first = service.import_schedule(db.session, event, data, actor=SYSTEM)
    db.session.commit()
    assert (len(first.created), len(first.updated), first.unchanged, len(first.skipped)) == (6, 0, 0, 2)
    sessions = service.list_sessions(db.session, event)
    assert [s.slug for s in sessions][:4] == [
        "opening-plenary-clusters-for-the-twin-transition",
        "panel-skills-for-industrial-ecosystems",
        "workshop-green-cluster-strategies",
        "podpisanie-deklaracji-digital-clusters",
    ]
    assert sessions[1].speakers == ["Maria Rossi", "Jan Kowalski", "Élodie Martin", "Piotr Wiśniewski"]

    again = service.import_schedule(db.session, event, data, actor=SYSTEM)
    db.session.commit()
    assert (len(again.created), len(again.updated), again.unchanged) == (0, 0, 6)
    assert _count() == 6

    # The programme moves a session and renames it: updated in place, its address kept.
    moved = data.replace(
        b"20240507T103000\r\nDTEND;TZID=Europe/Brussels:20240507T113000",
        b"20240507T140000\r\nDTEND;TZID=Europe/Brussels:20240507T150000",
    )
    moved = moved.replace(b"SUMMARY:Workshop: Green cluster strategies", b"SUMMARY:Workshop: Greener clusters")
    third = service.import_schedule(db.session, event, moved, actor=SYSTEM)
    db.session.commit()
    assert [s.uid for s in third.updated] == ["green@ecc.example"] and third.missing == []
    green = service.get_session(db.session, event, "workshop-green-cluster-strategies")
    assert green.title == "Workshop: Greener clusters"
    assert green.starts_at == datetime(2024, 5, 7, 12, tzinfo=UTC)
    assert _count() == 6
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditLog.action == "schedule.import")) == 3

    # The dinner is dropped from the programme: kept, and reported as missing from the file.
    start = moved.index(b"BEGIN:VEVENT\r\nUID:dinner@ecc.example")
    dropped = moved[:start] + moved[moved.index(b"END:VEVENT\r\n", start) + len(b"END:VEVENT\r\n") :]
    fourth = service.import_schedule(db.session, event, dropped, actor=SYSTEM)
    assert [s.slug for s in fourth.missing] == ["networking-dinner"] and fourth.unchanged == 5
    assert _count() == 6


def test_same_titles_get_their_own_slugs(app: Flask) -> None:
    event = make_event(db.session, "ecc")
    data = b"\r\n".join(
        [b"BEGIN:VCALENDAR", b"VERSION:2.0", b"PRODID:t"]
        + [
            line
            for n in (1, 2, 3)
            for line in (
                b"BEGIN:VEVENT",
                b"UID:%d" % n,
                b"DTSTART:20240507T1%d0000" % n,
                b"SUMMARY:Coffee break",
                b"END:VEVENT",
            )
        ]
        + [b"END:VCALENDAR", b""]
    )
    service.import_schedule(db.session, event, data, actor=SYSTEM)
    assert [s.slug for s in service.list_sessions(db.session, event)] == [
        "coffee-break",
        "coffee-break-2",
        "coffee-break-3",
    ]


def test_a_bad_file_writes_nothing(app: Flask) -> None:
    event = make_event(db.session, "ecc")
    service.import_schedule(db.session, event, (FILES / "programme-floating.ics").read_bytes(), actor=SYSTEM)
    db.session.commit()
    broken = (
        (FILES / "programme.ics").read_bytes().replace(b"DTSTART;TZID=Europe/Brussels:20240508T150000", b"X-NO-START:1")
    )
    with pytest.raises(ical.ScheduleFileError, match="has no start time"):
        service.import_schedule(db.session, event, broken, actor=SYSTEM)
    db.session.rollback()
    assert _count() == 3
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditLog.action == "schedule.import")) == 1


def test_editing_sessions_by_hand(app: Flask) -> None:
    event = make_event(db.session, "ecc")
    editor = Actor(user=make_user(Role.editor), via="api")
    made = service.create_session(
        db.session,
        event,
        title="Press point",
        starts_at="2024-05-07T13:00",  # no zone: the event's (Brussels, UTC+2)
        ends_at="2024-05-07T13:20:00+02:00",
        room="Press room",
        speakers="Anna Nowak; Jan Kowalski",
        actor=editor,
    )
    assert (made.slug, made.uid, made.starts_at) == ("press-point", None, datetime(2024, 5, 7, 11, tzinfo=UTC))
    assert made.speakers == ["Anna Nowak", "Jan Kowalski"]
    changed = service.update_session(db.session, made, title="Press conference", slug="press", actor=editor)
    assert changed == ["slug", "title"] and made.slug == "press"
    with pytest.raises(ValidationError, match="ends before it starts"):
        service.update_session(db.session, made, ends_at="2024-05-07T10:00:00+00:00", actor=editor)
    with pytest.raises(ValidationError, match="must be a date and time"):
        service.update_session(db.session, made, starts_at="tomorrow", actor=editor)
    with pytest.raises(ValidationError, match="title is required"):
        service.update_session(db.session, made, title="  ", actor=editor)
    other = service.create_session(
        db.session, event, title="Other", starts_at="2024-05-07T14:00", ends_at="2024-05-07T15:00", actor=editor
    )
    with pytest.raises(ConflictError, match="taken"):
        service.update_session(db.session, other, slug="press", actor=editor)
    photographer = Actor(user=make_user(Role.photographer), via="api")
    with pytest.raises(PermissionDenied):
        service.update_session(db.session, made, title="Mine", actor=photographer)
    service.delete_session(db.session, made, actor=editor)
    db.session.commit()
    assert [s.slug for s in service.list_sessions(db.session, event)] == ["other"]
    assert service.sessions_by_id(db.session, [other.id]) == {other.id: other}
