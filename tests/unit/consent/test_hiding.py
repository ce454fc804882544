"""hide_photos / unhide_photos (gallery/consent/hiding.py): the one writer of Photo.hidden_reason,
audit-logged, idempotent; the visibility rule follows at once."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from gallery.catalog import visibility as v
from gallery.consent.hiding import hide_photos, unhide_photos
from gallery.core.audit import Actor
from gallery.extensions import db
from gallery.models import AuditLog, HiddenReason, Photo, Role
from gallery.storage import MemoryStorage
from tests.conftest import make_user
from tests.web.helpers import add_photos, make_album, make_event


def test_hide_and_unhide_change_what_visitors_see_and_are_audited(app: Flask) -> None:
    editor = make_user(Role.editor)
    album = make_album(db.session, make_event(db.session, "hide-ev"), "hide-album")
    first, second = (db.session.get(Photo, i) for i in add_photos(db.session, album, 2))
    assert first is not None and second is not None
    actor = Actor(user=editor, via="web")
    anonymous, staff = v.Viewer.of(None), v.Viewer.of(editor)
    store = MemoryStorage()

    changed = hide_photos(db.session, [first, second], reason=HiddenReason.takedown, actor=actor, storage=store)
    db.session.commit()
    assert changed == [first, second]
    assert first.hidden_reason == HiddenReason.takedown and first.hidden_at is not None
    assert not v.can_view_photo(first, anonymous) and v.can_view_photo(first, staff)
    assert set(db.session.scalars(select(Photo.id).where(v.shown_photo_filter()))) == set()

    # The same reason again changes nothing; another reason replaces it.
    assert hide_photos(db.session, [first], reason=HiddenReason.takedown, actor=actor, storage=store) == []
    assert hide_photos(db.session, [first], reason=HiddenReason.editor, actor=actor, storage=store) == [first]
    assert first.hidden_reason == HiddenReason.editor

    assert unhide_photos(db.session, [first, second], actor=actor, storage=store) == [first, second]
    assert unhide_photos(db.session, [first], actor=actor, storage=store) == []
    db.session.commit()
    assert first.hidden_reason is None and first.hidden_at is None
    assert v.can_view_photo(first, anonymous)

    entries = list(db.session.scalars(select(AuditLog).where(AuditLog.action.like("photo.%")).order_by(AuditLog.id)))
    steps = [(e.action, e.object_id, e.details.get("reason"), e.details.get("was")) for e in entries]
    assert steps == [
        ("photo.hide", str(first.id), "takedown", None),
        ("photo.hide", str(second.id), "takedown", None),
        ("photo.hide", str(first.id), "editor", "takedown"),
        ("photo.unhide", str(first.id), None, "editor"),
        ("photo.unhide", str(second.id), None, "takedown"),
    ]
    assert all(e.user_id == editor.id and e.details["via"] == "web" for e in entries)
