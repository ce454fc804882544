"""Reading and editing photos (gallery/photos/service.py): a photo only for who may see it, captions and
position changed by who may, within the column limits, audited; deleting is for editors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from gallery.catalog.visibility import Viewer
from gallery.core.audit import Actor
from gallery.core.errors import NotFoundError, PermissionDenied, ValidationError
from gallery.extensions import db
from gallery.models import AuditLog, Photo, PhotoStatus, User, max_length
from gallery.photos import service
from tests.unit.manage.conftest import START, World, add_photo, world

__all__ = ["world"]  # the management tests' world: two events, three albums, photos by two people


def actor(world: World, role: str) -> Actor:
    return Actor(user=world.users[role], via="api")


def test_editable_limits_come_from_the_columns() -> None:
    assert service.EDITABLE_TEXT == {"caption": 10_000, "alt_text": 2_000, "credit": 1_000}
    assert service.EDITABLE_TEXT["caption"] == max_length(Photo.caption)


def test_list_photos_in_display_order_with_or_without_unready(app: Flask, world: World) -> None:
    late = add_photo(world.album, taken_at=START - timedelta(hours=1), status=PhotoStatus.processing)
    ready = [p.id for p in service.list_photos(db.session, world.album, include_unready=False)]
    e, o = world.editor_photos, world.own_photos
    assert ready == [e[0], o[0], e[1], o[1], e[2], e[3]]  # by capture time: 09:00, 09:05, 09:10, ...
    everything = [p.id for p in service.list_photos(db.session, world.album, include_unready=True)]
    assert everything[0] == late.id and len(everything) == len(ready) + 1
    assert all("derivatives" in vars(p) for p in service.list_photos(db.session, world.album, include_unready=False))


def test_get_photo_for_who_may_see_it(app: Flask, world: World) -> None:
    photo_id = world.editor_photos[0]
    assert service.get_photo(db.session, photo_id, viewer=Viewer.of(None)).id == photo_id  # a public album
    hidden = add_photo(world.far)  # the private album
    with pytest.raises(NotFoundError):
        service.get_photo(db.session, hidden.id, viewer=Viewer.of(None))
    assert service.get_photo(db.session, hidden.id, viewer=Viewer.of(world.users["editor"])).id == hidden.id
    for bad in (0, -1, 2**31, 999_999):
        with pytest.raises(NotFoundError):
            service.get_photo(db.session, bad, viewer=Viewer.of(world.users["admin"]))


def test_who_may_edit(app: Flask, world: World) -> None:
    editors, own = db.session.get(Photo, world.editor_photos[0]), db.session.get(Photo, world.own_photos[0])
    assert editors is not None and own is not None
    photographer: User = world.users["photographer"]
    assert service.can_edit_photo(editors, world.users["editor"]) and service.can_edit_photo(own, world.users["admin"])
    assert service.can_edit_photo(own, photographer) and not service.can_edit_photo(editors, photographer)
    assert not service.can_edit_photo(own, None)


def test_update_photo_cleans_checks_and_audits(app: Flask, world: World) -> None:
    photo = db.session.get(Photo, world.own_photos[0])
    assert photo is not None
    service.update_photo(
        db.session,
        photo,
        {"caption": "  Opening\x00 plenary ", "credit": None, "position": 3},
        actor=actor(world, "photographer"),
    )
    db.session.commit()
    assert (photo.caption, photo.credit, photo.position) == ("Opening plenary", "", 3)
    entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "photo.update"))
    assert entry is not None and entry.details["fields"] == ["caption", "credit", "position"]
    assert entry.details["before"] == {"caption": "", "credit": "", "position": None}
    limit = service.EDITABLE_TEXT["alt_text"]
    service.update_photo(db.session, photo, {"alt_text": "x" * limit, "position": None}, actor=actor(world, "editor"))
    assert photo.position is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"caption": 5}, "caption"),
        ({"credit": "x" * 10_000}, "credit"),
        ({"position": -1}, "position"),
        ({"position": True}, "position"),
        ({"position": "3"}, "position"),
        ({"position": 1_000_001}, "position"),
        ({"sha256": "x", "caption": "ok"}, "sha256"),
        ({"width": 1}, "width"),
    ],
)
def test_update_photo_refuses_what_is_not_allowed(
    app: Flask, world: World, changes: dict[str, object], field: str
) -> None:
    photo = db.session.get(Photo, world.editor_photos[0])
    assert photo is not None
    with pytest.raises(ValidationError) as info:
        service.update_photo(db.session, photo, changes, actor=actor(world, "editor"))
    assert info.value.field == field


def test_photographers_edit_their_own_photos_only(app: Flask, world: World) -> None:
    photo = db.session.get(Photo, world.editor_photos[0])
    assert photo is not None
    with pytest.raises(PermissionDenied):
        service.update_photo(db.session, photo, {"caption": "mine now"}, actor=actor(world, "photographer"))
    assert photo.caption == "Caption 0"


def test_soft_delete_is_for_editors(app: Flask, world: World) -> None:
    own = db.session.get(Photo, world.own_photos[0])
    assert own is not None
    with pytest.raises(PermissionDenied):
        service.soft_delete(db.session, own, actor=actor(world, "photographer"))
    assert own.deleted_at is None
    service.soft_delete(db.session, own, actor=actor(world, "editor"))
    db.session.commit()
    assert own.deleted_at is not None and abs(datetime.now(UTC) - own.deleted_at.replace(tzinfo=UTC)) < timedelta(1)
    entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "photo.delete"))
    assert entry is not None and entry.details["album_id"] == world.album.id
    with pytest.raises(NotFoundError):
        service.get_photo(db.session, own.id, viewer=Viewer.of(None))
