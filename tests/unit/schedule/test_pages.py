"""gallery.schedule.pages: a session page shows the photos of every album of the event the viewer
may see (the one visibility rule), in capture order, and the sessions running at the same time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import update

from gallery.catalog.visibility import ANONYMOUS, Viewer
from gallery.core.errors import NotFoundError
from gallery.extensions import db
from gallery.models import Photo, PhotoStatus, Role
from gallery.schedule import pages
from gallery.schedule.models import EventSession
from tests.conftest import make_user
from tests.web.helpers import add_photos, make_album, make_event

T0 = datetime(2024, 5, 7, 8, 0, tzinfo=UTC)


def _session(event_id: int, slug: str, start: int, minutes: int) -> None:
    db.session.add(
        EventSession(
            event_id=event_id,
            slug=slug,
            title=slug,
            starts_at=T0 + timedelta(minutes=start),
            ends_at=T0 + timedelta(minutes=start + minutes),
        )
    )
    db.session.commit()


def test_session_page_follows_the_visibility_rule(app: Flask) -> None:
    event = make_event(db.session, "ecc")
    other_event = make_event(db.session, "other")
    _session(event.id, "panel", 0, 60)
    _session(event.id, "workshop", 30, 60)
    _session(event.id, "later", 120, 30)
    public = make_album(db.session, event, "public")
    unlisted = make_album(db.session, event, "unlisted", visibility="unlisted")
    private = make_album(db.session, event, "private", visibility="private")
    elsewhere = make_album(db.session, other_event, "elsewhere")  # same times, another event
    shown = add_photos(db.session, public, 3, start=T0 + timedelta(minutes=5), step=timedelta(minutes=20))
    (processing,) = add_photos(db.session, public, 1, start=T0 + timedelta(minutes=6))
    db.session.execute(update(Photo).where(Photo.id == processing).values(status=PhotoStatus.processing))
    db.session.commit()
    (link_only,) = add_photos(db.session, unlisted, 1, start=T0 + timedelta(minutes=7))
    (staff_only,) = add_photos(db.session, private, 1, start=T0 + timedelta(minutes=8))
    add_photos(db.session, elsewhere, 1, start=T0 + timedelta(minutes=9))

    anonymous = pages.session_page(db.session, "ecc", "panel", viewer=ANONYMOUS)
    assert [p.id for p in anonymous.photos] == shown
    assert [s.slug for s in anonymous.parallel] == ["workshop"]
    assert set(anonymous.albums) == {public.id}
    with_token = pages.session_page(db.session, "ecc", "panel", viewer=Viewer(tokens=(unlisted.share_token or "",)))
    assert [p.id for p in with_token.photos] == [shown[0], link_only, shown[1], shown[2]]
    editor = Viewer.of(make_user(Role.editor))
    assert [p.id for p in pages.session_page(db.session, "ecc", "panel", viewer=editor).photos] == [
        shown[0],
        link_only,
        staff_only,
        shown[1],
        shown[2],
    ]
    first = pages.session_page(db.session, "ecc", "panel", viewer=ANONYMOUS, limit=2)
    rest = pages.session_page(db.session, "ecc", "panel", viewer=ANONYMOUS, limit=2, cursor=first.next_cursor)
    assert [p.id for p in first.photos + rest.photos] == shown and rest.next_cursor is None

    with pytest.raises(NotFoundError):
        pages.session_page(db.session, "ecc", "nope", viewer=ANONYMOUS)
    with pytest.raises(NotFoundError):
        pages.session_page(db.session, "other", "panel", viewer=ANONYMOUS)
