"""gallery.schedule.grouping: sections by session (a photo under each parallel session, runs
between sessions keyed by the gap they fall in, undated photos last), and the page's grouping
chosen from ``?group=`` and whether the event has a programme."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask

from gallery.core.audit import Actor
from gallery.extensions import db
from gallery.models import Role
from gallery.photos.pages import PagePhoto, PhotoCard
from gallery.schedule import grouping, service
from gallery.schedule.grouping import Grouping, Kind
from gallery.schedule.models import EventSession
from tests.conftest import make_user
from tests.web.helpers import add_photos, make_album, make_event

T0 = datetime(2024, 5, 7, 8, 0, tzinfo=UTC)


def _item(photo_id: int, minutes: float | None) -> PagePhoto:
    taken = None if minutes is None else T0 + timedelta(minutes=minutes)
    card = PhotoCard(
        id=photo_id,
        album_id=1,
        width=300,
        height=200,
        taken_at=taken,
        taken_at_offset_minutes=120 if taken else None,
        position=None,
        title="",
        caption="",
        alt_text="",
        credit="",
    )
    return PagePhoto(photo=card, number=photo_id)


def _session(session_id: int, start: int, minutes: int) -> EventSession:
    return EventSession(
        id=session_id,
        slug=f"s{session_id}",
        title=f"S{session_id}",
        starts_at=T0 + timedelta(minutes=start),
        ends_at=T0 + timedelta(minutes=start + minutes),
    )


def _shape(sections: list[grouping.Section]) -> list[tuple[str, list[int]]]:
    return [(s.key, [i.photo.id for i in s.items]) for s in sections]


def test_sections_by_session() -> None:
    sessions = [_session(1, 0, 60), _session(2, 30, 60), _session(3, 200, 30)]
    items = [
        _item(1, -30),  # before everything
        _item(2, 10),  # session 1
        _item(3, 45),  # sessions 1 and 2
        _item(4, 80),  # session 2 only: session 1 and its margin ended at +70
        _item(5, 120),  # between 2 and 3
        _item(6, 125),
        _item(7, 215),  # session 3
        _item(8, None),
        _item(9, None),
    ]
    shape = _shape(grouping.by_session(items, sessions, margin=10))
    assert shape == [
        ("between-0", [1]),
        ("session-1", [2, 3]),
        ("session-2", [3, 4]),
        ("between-2", [5, 6]),
        ("session-3", [7]),
        ("undated", [8, 9]),
    ]
    # With a 20-minute margin the photo at +80 is in session 1 too.
    assert ("session-1", [2, 3, 4]) in _shape(grouping.by_session(items, sessions, margin=20))


def test_a_gap_interrupted_again_gets_a_new_heading() -> None:
    """Manual order can put a photo of a session between two photos of one gap."""
    sessions = [_session(1, 0, 30)]
    items = [_item(1, 60), _item(2, 10), _item(3, 70)]
    shape = _shape(grouping.by_session(items, sessions, margin=0))
    assert shape == [("between-1", [1]), ("session-1", [2]), ("between-1", [3])]
    kinds = [s.kind for s in grouping.by_session(items, sessions, margin=0)]
    assert kinds == [Kind.between, Kind.session, Kind.between]


def test_parse_grouping() -> None:
    assert grouping.parse_grouping("session") is Grouping.session
    for value in (None, "", "day", "SESSION", "sessions", "<script>"):
        assert grouping.parse_grouping(value) is Grouping.day


def test_grouped_album_page(app: Flask) -> None:
    event = make_event(db.session, "ecc")
    album = make_album(db.session, event, "day-one")
    add_photos(db.session, album, 3, start=T0, step=timedelta(minutes=40))
    plain = grouping.grouped_album_page(db.session, album, group="session")
    assert (plain.grouping, plain.has_programme) == (Grouping.day, False)
    assert [s.key for s in plain.sections] == ["day-2024-05-07"]
    service.create_session(
        db.session,
        event,
        title="Talk",
        starts_at=T0,
        ends_at=T0 + timedelta(minutes=30),
        actor=Actor(user=make_user(Role.editor), via="api"),
    )
    grouped = grouping.grouped_album_page(db.session, album, group="session", margin_minutes=10)
    assert (grouped.grouping, grouped.has_programme) == (Grouping.session, True)
    assert [(s.kind, len(s.items)) for s in grouped.sections] == [(Kind.session, 2), (Kind.between, 1)]
    assert grouping.grouped_album_page(db.session, album).grouping is Grouping.day
