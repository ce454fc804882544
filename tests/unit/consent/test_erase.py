"""erase_image (gallery/consent/erase.py): every row with the hash, in every album and state, and
every stored object of it go; what other images share stays; a tombstone remains."""

from __future__ import annotations

import hashlib
import io

from flask import Flask
from sqlalchemy import select

from gallery.consent.erase import erase_image
from gallery.consent.models import TakedownAction, TakedownRequest, Tombstone
from gallery.core.audit import SYSTEM
from gallery.extensions import db
from gallery.models import Album, Derivative, Photo, utcnow
from gallery.storage import Storage
from tests.web.helpers import add_photos, make_album, make_event


def put(storage: Storage, key: str) -> None:
    storage.put(key, io.BytesIO(b"x"), sha256=hashlib.sha256(b"x").hexdigest(), content_type="image/jpeg", size=1)


def test_erase_removes_every_row_and_object_of_the_image(app: Flask) -> None:
    storage: Storage = app.extensions["gallery_storage"]
    event = make_event(db.session, "erase-ev")
    first, second = make_album(db.session, event, "erase-a"), make_album(db.session, event, "erase-b")
    a_id, keep_id = add_photos(db.session, first, 2)
    (b_id,) = add_photos(db.session, second, 1)
    a, keep, b = (db.session.get(Photo, i) for i in (a_id, keep_id, b_id))
    assert a is not None and keep is not None and b is not None
    b.sha256, b.original_key, b.deleted_at = a.sha256, a.original_key, utcnow()  # the same bytes, in the bin
    for derivative in b.derivatives:
        derivative.key = derivative.key.replace(derivative.key.split("/")[1], a.sha256)
    first.cover_photo_id = a.id
    request = TakedownRequest(photo_id=a.id, sha256=a.sha256, action=TakedownAction.erase, history=[])
    db.session.add(request)
    db.session.commit()
    keys = {a.original_key, keep.original_key} | {d.key for p in (a, keep, b) for d in p.derivatives}
    stray = f"derivatives/{a.sha256}/oldversion/400.jpg"  # an older version's leftover
    for key in keys | {stray}:
        put(storage, key)

    result = erase_image(db.session, storage, a.sha256, actor=SYSTEM)

    assert sorted(result.photo_ids) == sorted([a_id, b_id])
    db.session.expire_all()
    assert db.session.scalars(select(Photo.id).order_by(Photo.id)).all() == [keep_id]
    assert db.session.scalar(select(Album.cover_photo_id).where(Album.slug == "erase-a")) is None
    assert db.session.get(TakedownRequest, request.id).photo_id is None
    assert db.session.get(Tombstone, result.sha256) is not None
    left = {obj.key for obj in storage.list("")}
    assert not any(result.sha256 in key for key in left)
    assert keep.original_key in left and all(d.key in left for d in db.session.scalars(select(Derivative)))
    assert stray in result.deleted_keys
