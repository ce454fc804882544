"""Albums (gallery/catalog/albums.py): creating, changing, the share link, the cover picker, listing
and deleting them; without HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from gallery.catalog import albums
from gallery.catalog.visibility import ANONYMOUS, Viewer
from gallery.core.audit import SYSTEM, Actor
from gallery.core.errors import ConflictError, PermissionDenied, ValidationError
from gallery.extensions import db
from gallery.models import Album, AuditLog, Event, OriginalDownloads, Photo, Role, SortMode, User, Visibility
from gallery.storage import MemoryStorage
from tests.conftest import make_user
from tests.web.helpers import add_photos


def _album(slug: str) -> Album:
    album = db.session.scalar(sa.select(Album).where(Album.slug == slug))
    assert album is not None
    return album


def test_an_events_listed_albums(world: dict[str, Event], editor: User) -> None:
    listed = albums.list_albums(db.session, "shown", viewer=ANONYMOUS).items
    assert [a.slug for a in listed] == ["shown-public"]  # an unlisted album is never listed to visitors
    unlisted = albums.list_albums(db.session, "shown", viewer=Viewer.of(editor), visibility=Visibility.unlisted)
    assert [a.slug for a in unlisted.items] == ["shown-unlisted"]
    assert [a.slug for a in albums.event_albums(db.session, world["shown"])] == ["shown-public", "shown-unlisted"]


def test_deleting_an_album_needs_the_editor_permission(world: dict[str, Event]) -> None:
    with pytest.raises(PermissionDenied):
        albums.delete_album(db.session, "shown-public", actor=SYSTEM)


def test_delete_album_with_the_409_rule(world: dict[str, Event], editor: User) -> None:
    actor = Actor(user=editor, via="cli")
    add_photos(db.session, _album("shown-public"), 1)
    with pytest.raises(ConflictError) as refused:
        albums.delete_album(db.session, "shown-public", actor=actor)
    assert refused.value.code == "not_empty" and "1 photo " in refused.value.message
    albums.delete_album(db.session, "shown-unlisted", actor=actor)
    db.session.commit()
    remaining = db.session.scalars(sa.select(Album.slug).order_by(Album.slug)).all()
    assert remaining == ["hidden-private", "shown-public"]


def test_create_album_validates_its_settings(world: dict[str, Event]) -> None:
    event = world["shown"]
    for bad, field in (
        ({"visibility": "secret"}, "visibility"),
        ({"sort_mode": "random"}, "sort_mode"),
        ({"original_downloads": "always"}, "original_downloads"),
        ({"title": ""}, "title"),
        ({"slug": 7}, "slug"),
    ):
        with pytest.raises(ValidationError) as refused:
            albums.create_album(db.session, event=event, **{"title": "Day two", **bad}, actor=SYSTEM)
        assert refused.value.field == field, bad
    with pytest.raises(ConflictError):
        albums.create_album(db.session, event=event, title="Again", slug="shown-public", actor=SYSTEM)
    first = albums.create_album(db.session, event=event, title="Day two", actor=SYSTEM)
    second = albums.create_album(db.session, event=world["hidden"], title="Day two", actor=SYSTEM)
    assert (first.slug, second.slug) == ("day-two", "day-two-2")  # album slugs are unique across the site
    assert first.visibility == Visibility.public and first.sort_mode == SortMode.capture_time
    assert first.share_token and first.share_token != second.share_token


def test_update_album(world: dict[str, Event], editor: User) -> None:
    album = _album("shown-public")
    actor = Actor(user=editor, via="web")
    photo_ids = add_photos(db.session, album, 2)
    versions = dict(
        db.session.execute(sa.select(Photo.id, Photo.media_version).where(Photo.album_id == album.id)).all()
    )
    with pytest.raises(TypeError):  # it stops being public: its media must be retired, which needs the store
        albums.update_album(db.session, album, visibility="private", actor=actor)
    db.session.rollback()
    changed = albums.update_album(
        db.session,
        album,
        visibility="unlisted",
        cover_photo_id=photo_ids[1],
        original_downloads="exact",
        actor=actor,
        storage=MemoryStorage(),
    )
    assert changed == ["cover_photo_id", "original_downloads", "visibility"]
    assert all(db.session.get(Photo, i).media_version != v for i, v in versions.items())  # type: ignore[union-attr]
    assert album.title == "Album shown-public" and album.sort_mode == SortMode.capture_time  # kept
    assert albums.update_album(db.session, album, title="Album shown-public", actor=actor) == []
    with pytest.raises(ValidationError) as refused:
        albums.update_album(db.session, album, sort_mode="random", actor=actor)
    assert refused.value.field == "sort_mode"
    other = add_photos(db.session, _album("shown-unlisted"), 1)
    with pytest.raises(ValidationError) as refused:
        albums.update_album(db.session, album, cover_photo_id=other[0], actor=actor)
    assert refused.value.field == "cover_photo_id"
    with pytest.raises(PermissionDenied):
        albums.update_album(db.session, album, title="Mine", actor=Actor(user=make_user(Role.photographer), via="web"))
    db.session.commit()
    entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "album.update"))
    assert entry is not None and "location data" in entry.details["warning"]
    assert album.original_downloads == OriginalDownloads.exact


def test_a_new_share_link_replaces_the_old_one(world: dict[str, Event], editor: User) -> None:
    album = _album("shown-unlisted")
    old = album.share_token
    new = albums.regenerate_share_token(db.session, album, actor=Actor(user=editor, via="web"))
    assert new == album.share_token and new != old and len(new) >= 32
    with pytest.raises(PermissionDenied):
        albums.regenerate_share_token(db.session, album, actor=SYSTEM)


def test_cover_choices_in_display_order(world: dict[str, Event]) -> None:
    album = _album("shown-public")
    first, second = add_photos(db.session, album, 2)
    photo = db.session.get(Photo, second)
    assert photo is not None
    photo.caption = "x" * 70
    db.session.commit()
    choices = albums.cover_choices(db.session, album)
    assert [pid for pid, _ in choices] == [first, second]
    assert choices[0][1] == f"1. IMG_{first:05d}.jpg – Caption of photo {first}"
    assert choices[1][1] == f"2. IMG_{second:05d}.jpg – " + "x" * 59 + "…"
