"""gallery.photos.deletion: the deleted-photos bin (delete, list, purge date, restore) and its
retention, which ``gallery gc`` takes as its default; without HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import inspect
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from gallery.archive.gc import collect_garbage
from gallery.catalog.visibility import ANONYMOUS, can_view_photo
from gallery.core.audit import Actor
from gallery.core.errors import PermissionDenied
from gallery.extensions import db
from gallery.models import Album, AuditLog, Photo, Role
from gallery.photos.deletion import RETENTION, delete_photos, deleted_photos, purge_due, restore_photos
from tests.conftest import make_user
from tests.web.helpers import add_photos, make_album, make_event


@pytest.fixture
def album(app: Flask) -> Album:
    return make_album(db.session, make_event(db.session), "main")


@pytest.fixture
def editor(app: Flask) -> Actor:
    return Actor(user=make_user(Role.editor), via="web")


def _photos(ids: list[int]) -> list[Photo]:
    return list(db.session.scalars(sa.select(Photo).where(Photo.id.in_(ids)).order_by(Photo.id)))


def test_the_bin_keeps_photos_for_the_gc_retention() -> None:
    assert timedelta(days=30) == RETENTION
    assert inspect.signature(collect_garbage).parameters["retention"].default == RETENTION


def test_delete_lists_and_restores(album: Album, editor: Actor) -> None:
    first, second, kept = add_photos(db.session, album, 3)
    assert delete_photos(db.session, _photos([first]), actor=editor) == 1
    db.session.commit()
    assert delete_photos(db.session, _photos([second]), actor=editor) == 1
    db.session.commit()
    binned = deleted_photos(db.session, album)
    assert [p.id for p in binned] == [second, first]  # most recently deleted first
    assert not can_view_photo(binned[0], ANONYMOUS)
    assert all(p.deleted_at is not None and purge_due(p) == p.deleted_at + RETENTION for p in binned)
    assert purge_due(_photos([kept])[0]) is None
    assert restore_photos(db.session, _photos([first, kept]), actor=editor) == 1  # a photo not in the bin is skipped
    db.session.commit()
    assert [p.id for p in deleted_photos(db.session, album)] == [second]
    actions = db.session.scalars(sa.select(AuditLog.action).where(AuditLog.action.like("photo.%"))).all()
    assert sorted(actions) == ["photo.delete", "photo.delete", "photo.restore"]


def test_only_editors_delete_and_restore(album: Album, editor: Actor) -> None:
    (photo_id,) = add_photos(db.session, album, 1)
    photographer = Actor(user=make_user(Role.photographer), via="web")
    with pytest.raises(PermissionDenied):
        delete_photos(db.session, _photos([photo_id]), actor=photographer)
    delete_photos(db.session, _photos([photo_id]), actor=editor)
    with pytest.raises(PermissionDenied):
        restore_photos(db.session, _photos([photo_id]), actor=photographer)
    assert _photos([photo_id])[0].deleted_at is not None
