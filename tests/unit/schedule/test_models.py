"""The event_sessions table: a slug and a UID are unique within an event (not across events), a
session cannot end before it starts, and sessions go with their event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from gallery.extensions import db
from gallery.models import Event
from gallery.schedule.models import EventSession
from tests.web.helpers import make_event

T0 = datetime(2024, 5, 7, 8, 0, tzinfo=UTC)


def _add(event: Event, slug: str, uid: str | None = None, minutes: int = 60) -> None:
    with db.session.begin_nested():
        db.session.add(
            EventSession(
                event_id=event.id, slug=slug, title=slug, uid=uid, starts_at=T0, ends_at=T0 + timedelta(minutes=minutes)
            )
        )


def test_constraints(app: Flask) -> None:
    ecc = make_event(db.session, "ecc")
    other = make_event(db.session, "other")
    _add(ecc, "opening", uid="a@x")
    _add(other, "opening", uid="a@x")  # another event may use the same slug and UID
    _add(ecc, "typed-in")
    _add(ecc, "typed-in-2")  # many sessions without a UID
    for slug, uid, minutes in (("opening", "b@x", 60), ("panel", "a@x", 60), ("backwards", None, -5)):
        with pytest.raises(sa.exc.IntegrityError):
            _add(ecc, slug, uid=uid, minutes=minutes)
    db.session.commit()
    first = db.session.scalar(sa.select(EventSession).where(EventSession.event_id == ecc.id).order_by(EventSession.id))
    assert repr(first) == f"<EventSession {first.id} 'opening' 2024-05-07 08:00>"
    assert first.starts_at.tzinfo is not None and first.speakers == [] and first.room == ""

    db.session.execute(sa.delete(Event).where(Event.id == ecc.id))
    db.session.commit()
    assert db.session.scalars(sa.select(EventSession.event_id)).all() == [other.id]
