"""The audit log as a story (gallery/core/audit_groups.py): one request's many photo entries become
one group; the names the sentences need come in a fixed number of queries."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from gallery.core.audit import Actor, record
from gallery.core.audit_groups import group_entries, references
from gallery.extensions import db
from gallery.models import AuditLog, Role
from tests.archive.conftest import make_album
from tests.conftest import make_user


def _entries() -> list[AuditLog]:
    return list(db.session.scalars(sa.select(AuditLog).order_by(AuditLog.id.desc())))


def test_one_requests_moves_are_one_group(app: Flask) -> None:
    anna, ola = make_user(Role.editor, "anna@example.org"), make_user(Role.editor, "ola@example.org")
    db.session.execute(sa.delete(AuditLog))
    bulk = Actor(user=anna, via="web", request_id="r1")
    for photo_id in range(1, 13):
        record(db.session, "photo.move", actor=bulk, details={"from": "a", "to": "b"}).object_id = str(photo_id)
    record(db.session, "photo.move", actor=bulk, details={"from": "a", "to": "c"})  # elsewhere: its own group
    record(
        db.session, "photo.move", actor=Actor(user=ola, via="web", request_id="r1"), details={"from": "a", "to": "c"}
    )
    record(db.session, "album.update", actor=bulk)  # not a photo action: alone
    record(db.session, "album.update", actor=bulk)
    record(db.session, "photo.delete", actor=Actor(user=anna, via="cli"), details={"album_id": 1})  # no request: alone
    record(db.session, "photo.delete", actor=Actor(user=anna, via="cli"), details={"album_id": 1})
    db.session.commit()
    groups = group_entries(_entries())
    assert [(g.action, g.count) for g in groups] == [
        ("photo.delete", 1),
        ("photo.delete", 1),
        ("album.update", 1),
        ("album.update", 1),
        ("photo.move", 1),
        ("photo.move", 1),
        ("photo.move", 12),
    ]
    moved = groups[-1]
    assert moved.details["to"] == "b" and moved.object_ids == [str(n) for n in range(12, 0, -1)]
    assert moved.at == moved.entries[0].at and moved.first.user_id == anna.id


def test_references_name_albums_events_photos_and_users(app: Flask) -> None:
    album = make_album("day-1", event_slug="ecc")
    other = make_album("day-2", event_slug="ecc")
    anna = make_user(Role.editor, "anna@example.org")
    anna.name = "Anna Nowak"
    actor = Actor(user=anna, via="web")
    record(db.session, "photo.move", actor=actor, details={"from": "day-1", "to": "day-2"})
    record(db.session, "album.update", actor=actor, obj=album)
    record(db.session, "user.role_change", actor=actor, obj=anna)
    record(db.session, "event.update", actor=actor, obj=album.event)
    record(db.session, "photo.hide", actor=actor, details={"album_id": other.id})
    db.session.commit()
    refs = references(db.session, group_entries(_entries()))
    assert refs.album_titles == {"day-1": "Photos day-1", "day-2": "Photos day-2"}
    assert refs.albums_by_id[other.id] == ("day-2", "Photos day-2")
    assert refs.events_by_id[album.event_id] == ("ecc", "Archive Days 2024")
    assert refs.users[anna.id] == "Anna Nowak"
