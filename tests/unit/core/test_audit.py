"""The audit log (gallery/core/audit.py): who did what, through which door, committed with the change; newest
first in keyset pages, filtered by action and user.  (The page that shows it: tests/unit/manage/test_views.py.)"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import Flask

from gallery.core.audit import SYSTEM, Actor, known_actions, list_entries, record
from gallery.extensions import db
from gallery.models import AuditLog, Event, Role
from tests.conftest import make_user


def test_record_names_the_actor_the_door_and_the_object(app: Flask) -> None:
    editor = make_user(Role.editor)
    event = Event(slug="ecc", title="ECC", starts_on=date(2024, 5, 7), ends_on=date(2024, 5, 8), timezone="UTC")
    db.session.add(event)
    db.session.flush()
    actor = Actor(user=editor, via="web", ip="192.0.2.7", request_id="rid-1")
    entry = record(db.session, "event.update", actor=actor, obj=event, details={"fields": ["title"]})
    db.session.commit()
    stored = db.session.get(AuditLog, entry.id)
    assert stored is not None
    assert (stored.action, stored.user_id, stored.object_type, stored.object_id) == (
        "event.update",
        editor.id,
        "event",
        str(event.id),
    )
    assert stored.details == {"via": "web", "fields": ["title"]}
    assert (stored.ip, stored.request_id) == ("192.0.2.7", "rid-1")


def test_record_without_a_person_or_an_object(app: Flask) -> None:
    entry = record(db.session, "gc.run", actor=SYSTEM)
    db.session.rollback()  # added to the session only: nothing is written until the change commits
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog)) == 0
    assert (entry.user_id, entry.object_type, entry.object_id, entry.details) == (None, "", "", {"via": "cli"})
    assert SYSTEM.user_id is None and SYSTEM.via == "cli"


def test_the_door_comes_first_in_the_details(app: Flask) -> None:
    entry = record(db.session, "x", actor=Actor(user=None, via="api"), details={"email": "a@example.org"})
    assert list(entry.details) == ["via", "email"] and entry.details["via"] == "api"
    # the caller's details are merged over it (a caller that names the door itself, e.g. an import, wins)
    assert record(db.session, "y", actor=Actor(user=None, via="api"), details={"via": "bag"}).details == {"via": "bag"}


def _entries(actions: list[str], user_id: int | None = None) -> list[int]:
    ids = []
    for action in actions:
        entry = AuditLog(action=action, user_id=user_id, object_type="", object_id="", details={})
        db.session.add(entry)
        db.session.flush()
        ids.append(entry.id)
    db.session.commit()
    return ids


def test_list_entries_pages_newest_first(app: Flask) -> None:
    ids = _entries(["a"] * 5)
    first = list_entries(db.session, limit=2)
    assert [e.id for e in first.entries] == ids[:2:-1][:2] == [ids[4], ids[3]]
    assert first.next_before == ids[3]
    second = list_entries(db.session, before=first.next_before, limit=2)
    assert [e.id for e in second.entries] == [ids[2], ids[1]]
    last = list_entries(db.session, before=second.next_before, limit=2)
    assert [e.id for e in last.entries] == [ids[0]] and last.next_before is None
    exact = list_entries(db.session, before=ids[2], limit=2)
    assert [e.id for e in exact.entries] == [ids[1], ids[0]] and exact.next_before is None


def test_list_entries_filters_by_action_and_user(app: Flask) -> None:
    editor = make_user(Role.editor)
    mine = _entries(["photo.update", "photo.delete"], user_id=editor.id)
    others = _entries(["photo.update"])
    updates = list_entries(db.session, action="photo.update")
    assert [e.id for e in updates.entries] == [others[0], mine[0]]
    by_editor = list_entries(db.session, user_id=editor.id)
    assert [e.id for e in by_editor.entries] == [mine[1], mine[0]]
    assert by_editor.entries[0].user is not None and by_editor.entries[0].user.email == editor.email
    assert list_entries(db.session, action="photo.update", user_id=editor.id).entries[0].id == mine[0]
    assert known_actions(db.session) == ["photo.delete", "photo.update", "user.create"]


def test_filters_by_object_and_time(app: Flask) -> None:
    from datetime import UTC, datetime

    editor = make_user(Role.editor)
    db.session.execute(sa.delete(AuditLog))  # make_user's own entry
    actor = Actor(user=editor, via="web")
    for day, (object_type, object_id) in enumerate([("album", "1"), ("album", "2"), ("photo", "1")], start=1):
        entry = record(db.session, f"{object_type}.update", actor=actor)
        entry.object_type, entry.object_id = object_type, object_id
        entry.at = datetime(2024, 5, day, 12, tzinfo=UTC)
    db.session.commit()

    def actions(**filters: object) -> list[tuple[str, str]]:
        page = list_entries(db.session, **filters)  # type: ignore[arg-type]
        return [(e.object_type, e.object_id) for e in page.entries if e.object_type]

    assert actions(object_type="album") == [("album", "2"), ("album", "1")]
    assert actions(object_type="album", object_id="1") == [("album", "1")]
    assert actions(object_id="1") == [("photo", "1"), ("album", "1")]
    assert actions(since=datetime(2024, 5, 2, tzinfo=UTC)) == [("photo", "1"), ("album", "2")]
    assert actions(until=datetime(2024, 5, 2, tzinfo=UTC)) == [("album", "1")]
    assert actions(since=datetime(2024, 5, 2, tzinfo=UTC), until=datetime(2024, 5, 3, tzinfo=UTC)) == [("album", "2")]
    from gallery.core.audit import known_object_types

    assert known_object_types(db.session) == ["album", "photo"]
