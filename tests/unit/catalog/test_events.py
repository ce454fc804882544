"""Events and albums (gallery/catalog/events.py): the lists and deletes the API calls, without HTTP,
on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from flask import Flask

from gallery.catalog import albums
from gallery.catalog import events as catalog
from gallery.catalog.visibility import ANONYMOUS, Viewer
from gallery.core.audit import SYSTEM, Actor
from gallery.core.errors import ConflictError, NotFoundError, PermissionDenied, ValidationError
from gallery.extensions import db
from gallery.models import Album, Event, Role, User, Visibility
from tests.conftest import make_user
from tests.web.helpers import add_photos, make_album, make_event


@pytest.fixture
def editor(app: Flask) -> User:
    return make_user(Role.editor)


@pytest.fixture
def world(app: Flask) -> dict[str, Event]:
    shown = make_event(db.session, "shown", starts_on="2024-05-07", ends_on="2024-05-08")
    make_album(db.session, shown, "shown-public")
    make_album(db.session, shown, "shown-unlisted", visibility="unlisted")
    hidden = make_event(db.session, "hidden", starts_on="2024-06-01", ends_on="2024-06-01")
    make_album(db.session, hidden, "hidden-private", visibility="private")
    return {"shown": shown, "hidden": hidden}


def test_list_events_follows_the_viewer(world: dict[str, Event], editor: User) -> None:
    assert [e.slug for e in catalog.list_events(db.session, viewer=ANONYMOUS).items] == ["shown"]
    everyone = catalog.list_events(db.session, viewer=Viewer.of(editor)).items
    assert [e.slug for e in everyone] == ["hidden", "shown"]
    june = catalog.list_events(db.session, viewer=Viewer.of(editor), since=date(2024, 5, 9)).items
    assert [e.slug for e in june] == ["hidden"]
    with pytest.raises(ValidationError):
        catalog.list_events(db.session, viewer=ANONYMOUS, since=date(2024, 5, 9), until=date(2024, 5, 1))


def test_visible_event_and_its_listed_albums(world: dict[str, Event], editor: User) -> None:
    with pytest.raises(NotFoundError):
        catalog.visible_event(db.session, "hidden", viewer=ANONYMOUS)
    assert catalog.visible_event(db.session, "hidden", viewer=Viewer.of(editor)).slug == "hidden"
    listed = albums.list_albums(db.session, "shown", viewer=ANONYMOUS).items
    assert [a.slug for a in listed] == ["shown-public"]  # an unlisted album is never listed to visitors
    unlisted = albums.list_albums(db.session, "shown", viewer=Viewer.of(editor), visibility=Visibility.unlisted)
    assert [a.slug for a in unlisted.items] == ["shown-unlisted"]


def test_deleting_needs_the_editor_permission(world: dict[str, Event]) -> None:
    with pytest.raises(PermissionDenied):
        catalog.delete_event(db.session, "shown", actor=SYSTEM)
    with pytest.raises(PermissionDenied):
        albums.delete_album(db.session, "shown-public", actor=SYSTEM)


def test_delete_with_the_409_rule(world: dict[str, Event], editor: User) -> None:
    actor = Actor(user=editor, via="cli")
    album = db.session.scalar(sa.select(Album).where(Album.slug == "shown-public"))
    add_photos(db.session, album, 1)
    with pytest.raises(ConflictError) as refused:
        catalog.delete_event(db.session, "shown", actor=actor)
    assert refused.value.code == "not_empty" and refused.value.status == 409
    with pytest.raises(ConflictError):
        albums.delete_album(db.session, "shown-public", actor=actor)
    albums.delete_album(db.session, "shown-unlisted", actor=actor)
    catalog.delete_event(db.session, "hidden", actor=actor)
    db.session.commit()
    remaining = db.session.scalars(sa.select(Album.slug).order_by(Album.slug)).all()
    assert remaining == ["shown-public"]
    assert db.session.scalars(sa.select(Event.slug)).all() == ["shown"]
