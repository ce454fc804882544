"""Events (gallery/catalog/events.py): creating, changing, listing and deleting them, and the field
rules events, albums and reports share; without HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from gallery.catalog import events as catalog
from gallery.catalog.visibility import ANONYMOUS, Viewer
from gallery.core.audit import SYSTEM, Actor
from gallery.core.errors import ConflictError, NotFoundError, PermissionDenied, ValidationError
from gallery.extensions import db
from gallery.models import Album, AuditLog, Event, Photo, Role, User
from tests.conftest import make_user
from tests.web.helpers import START, add_photos


def test_list_events_follows_the_viewer(world: dict[str, Event], editor: User) -> None:
    assert [e.slug for e in catalog.list_events(db.session, viewer=ANONYMOUS).items] == ["shown"]
    everyone = catalog.list_events(db.session, viewer=Viewer.of(editor)).items
    assert [e.slug for e in everyone] == ["hidden", "shown"]
    june = catalog.list_events(db.session, viewer=Viewer.of(editor), since=date(2024, 5, 9)).items
    assert [e.slug for e in june] == ["hidden"]
    with pytest.raises(ValidationError):
        catalog.list_events(db.session, viewer=ANONYMOUS, since=date(2024, 5, 9), until=date(2024, 5, 1))


def test_visible_event(world: dict[str, Event], editor: User) -> None:
    with pytest.raises(NotFoundError):
        catalog.visible_event(db.session, "hidden", viewer=ANONYMOUS)
    assert catalog.visible_event(db.session, "hidden", viewer=Viewer.of(editor)).slug == "hidden"


def test_deleting_an_event_needs_the_editor_permission(world: dict[str, Event]) -> None:
    with pytest.raises(PermissionDenied):
        catalog.delete_event(db.session, "shown", actor=SYSTEM)


def test_delete_event_with_the_409_rule(world: dict[str, Event], editor: User) -> None:
    actor = Actor(user=editor, via="cli")
    album = db.session.scalar(sa.select(Album).where(Album.slug == "shown-public"))
    add_photos(db.session, album, 1)
    with pytest.raises(ConflictError) as refused:
        catalog.delete_event(db.session, "shown", actor=actor)
    assert refused.value.code == "not_empty" and refused.value.status == 409
    catalog.delete_event(db.session, "hidden", actor=actor)  # its empty album goes with it
    db.session.commit()
    remaining = db.session.scalars(sa.select(Album.slug).order_by(Album.slug)).all()
    assert remaining == ["shown-public", "shown-unlisted"]
    assert db.session.scalars(sa.select(Event.slug)).all() == ["shown"]


def test_create_event_validates_each_field(app: Flask) -> None:
    good = {"title": "Summit", "starts_on": "2024-06-01", "ends_on": "2024-06-02", "timezone": "Europe/Warsaw"}
    for bad, field in (
        ({"title": "  "}, "title"),
        ({"starts_on": "1 June"}, "starts_on"),
        ({"ends_on": "2024-05-31"}, "ends_on"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"timezone": 3}, "timezone"),
        ({"location": "x" * 10_000}, "location"),
        ({"slug": "Not A Slug"}, "slug"),
    ):
        with pytest.raises(ValidationError) as refused:
            catalog.create_event(db.session, **{**good, **bad}, actor=SYSTEM)
        assert refused.value.field == field, bad
    first = catalog.create_event(db.session, **good, actor=SYSTEM)
    second = catalog.create_event(db.session, **good, actor=SYSTEM)
    assert (first.slug, second.slug) == ("summit", "summit-2")
    with pytest.raises(ConflictError):
        catalog.create_event(db.session, **good, slug="summit", actor=SYSTEM)


def test_update_event_keeps_what_it_is_not_given(world: dict[str, Event], editor: User) -> None:
    event = world["shown"]
    actor = Actor(user=editor, via="web")
    result = catalog.update_event(db.session, event, title="  New title  ", actor=actor)
    assert result.changed == ["title"] and result.recomputed_photos == 0
    assert (event.title, event.starts_on, event.timezone) == ("New title", date(2024, 5, 7), "Europe/Brussels")
    assert catalog.update_event(db.session, event, title="New title", actor=actor).changed == []
    with pytest.raises(ValidationError) as refused:
        catalog.update_event(db.session, event, ends_on="2024-05-01", actor=actor)
    assert refused.value.field == "ends_on"
    with pytest.raises(PermissionDenied):
        catalog.update_event(
            db.session, event, title="Other", actor=Actor(user=make_user(Role.photographer), via="web")
        )
    db.session.commit()
    actions = db.session.scalars(sa.select(AuditLog.action).where(AuditLog.action == "event.update")).all()
    assert actions == ["event.update"]  # one change, one entry


def test_a_new_time_zone_rereads_the_naive_capture_times(world: dict[str, Event], editor: User) -> None:
    event = world["shown"]
    album = db.session.scalar(sa.select(Album).where(Album.slug == "shown-public"))
    (naive,) = add_photos(db.session, album, 1, extra={"taken_at_flags": "naive_in_event_tz"})  # 08:00 in Brussels
    (fixed,) = add_photos(db.session, album, 1, extra={"taken_at_flags": "offset_from_exif"})  # the file said +02:00
    result = catalog.update_event(db.session, event, timezone="Europe/London", actor=Actor(user=editor, via="web"))
    assert result.changed == ["timezone"] and result.recomputed_photos == 1
    db.session.commit()
    db.session.expire_all()
    moved, kept = db.session.get(Photo, naive), db.session.get(Photo, fixed)
    assert moved is not None and kept is not None
    assert (moved.taken_at, moved.taken_at_offset_minutes) == (START + timedelta(hours=1), 60)  # 08:00 in London
    assert (kept.taken_at, kept.taken_at_offset_minutes) == (START, 120)
