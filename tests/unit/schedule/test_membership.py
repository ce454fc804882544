"""The one membership rule: its Python check and its SQL clause agree at every edge, the margin
widens both ends, parallel sessions each hold the photo, an undated photo belongs to none."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from gallery.extensions import db
from gallery.models import Photo
from gallery.schedule import membership
from gallery.schedule.models import EventSession
from tests.web.helpers import add_photos, make_album, make_event

T0 = datetime(2024, 5, 7, 8, 0, tzinfo=UTC)


def _session(event_id: int, slug: str, start: datetime, minutes: int) -> EventSession:
    session = EventSession(
        event_id=event_id, slug=slug, title=slug.title(), starts_at=start, ends_at=start + timedelta(minutes=minutes)
    )
    db.session.add(session)
    db.session.commit()
    return session


def test_span_widens_both_ends_by_the_margin() -> None:
    talk = EventSession(starts_at=T0, ends_at=T0 + timedelta(hours=1))
    assert membership.span(talk, 10) == membership.Span(T0 - timedelta(minutes=10), T0 + timedelta(minutes=70))
    assert membership.span(talk, 0) == membership.Span(T0, T0 + timedelta(hours=1))


@pytest.mark.parametrize(
    ("offset", "margin", "inside"),
    [
        (timedelta(minutes=-10), 10, True),  # the margin's first instant counts
        (timedelta(minutes=-10, seconds=-1), 10, False),
        (timedelta(minutes=70), 10, True),  # ... and its last
        (timedelta(minutes=70, microseconds=1), 10, False),
        (timedelta(minutes=-1), 0, False),
        (timedelta(minutes=30), 0, True),
    ],
)
def test_python_check_at_the_edges(offset: timedelta, margin: int, inside: bool) -> None:
    talk = EventSession(starts_at=T0, ends_at=T0 + timedelta(hours=1))
    photo = Photo(taken_at=T0 + offset, taken_at_offset_minutes=120)
    assert membership.belongs(photo, talk, margin) is inside


def test_an_undated_photo_belongs_to_no_session() -> None:
    talk = EventSession(starts_at=T0, ends_at=T0 + timedelta(hours=1))
    assert not membership.belongs(Photo(taken_at=None), talk)


def test_check_and_clause_agree(app: Flask) -> None:
    """Over photos at every edge of two parallel sessions and one after them, with several
    margins: the SQL clause selects exactly the photos the Python check accepts."""
    event = make_event(db.session, "ecc")
    album = make_album(db.session, event, "day-one")
    panel = _session(event.id, "skills-panel", T0, 60)
    workshop = _session(event.id, "workshop", T0 + timedelta(minutes=30), 90)
    later = _session(event.id, "closing", T0 + timedelta(hours=4), 30)
    edges = [
        T0 + delta
        for delta in (
            timedelta(minutes=-11),
            timedelta(minutes=-10),
            timedelta(minutes=-9, seconds=-59),
            timedelta(0),
            timedelta(minutes=45),
            timedelta(minutes=70),
            timedelta(minutes=70, seconds=1),
            timedelta(minutes=125),
            timedelta(minutes=130),
            timedelta(minutes=131),
            timedelta(hours=3),
        )
    ]
    add_photos(db.session, album, len(edges), times=edges, undated=1)
    photos = db.session.scalars(select(Photo)).all()
    for margin in (0, 10):
        for talk in (panel, workshop, later):
            by_sql = set(db.session.scalars(select(Photo.id).where(membership.photo_filter(talk, margin))))
            by_python = {p.id for p in photos if membership.belongs(p, talk, margin)}
            assert by_sql == by_python, (talk.slug, margin)
        anywhere = set(
            db.session.scalars(select(Photo.id).where(membership.any_session_filter([panel, workshop, later], margin)))
        )
        assert anywhere == {p.id for p in photos if membership.sessions_of(p, [panel, workshop, later], margin)}

    # A photo 45 minutes in is in both parallel sessions; one at +3 h between sessions in none.
    middle = next(p for p in photos if p.taken_at == T0 + timedelta(minutes=45))
    assert [s.slug for s in membership.sessions_of(middle, [panel, workshop, later])] == ["skills-panel", "workshop"]
    gap = next(p for p in photos if p.taken_at == T0 + timedelta(hours=3))
    assert membership.sessions_of(gap, [panel, workshop, later]) == []
    assert db.session.scalars(select(Photo.id).where(membership.any_session_filter([], 10))).all() == []
