"""Erasing an image site-wide: every photo row holding its bytes (in any album, deleted or not),
its original and every derivative in storage; a tombstone keeps only the SHA-256.

Rows go first (with the tombstone, in one transaction), objects second: a crash in between leaves
only objects nothing refers to, which ``gallery gc`` removes -- and the tombstone already refuses
the bytes.  Every object under ``derivatives/<sha256>/`` goes, whatever its version."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from gallery.consent.models import TakedownRequest
from gallery.consent.tombstones import lay_tombstone
from gallery.core.audit import Actor, record
from gallery.models import Album, IdempotencyKey, Photo
from gallery.storage import NotFound, Storage

log = logging.getLogger("gallery.consent")


@dataclass
class Erasure:
    sha256: str
    photo_ids: list[int] = field(default_factory=list)
    deleted_keys: list[str] = field(default_factory=list)


def erase_image(session: Session, storage: Storage, sha256: str, *, actor: Actor) -> Erasure:
    """Erase the image ``sha256`` everywhere (see the module's docstring).  Commits."""
    result = Erasure(sha256=sha256)
    photos = list(session.scalars(select(Photo).where(Photo.sha256 == sha256).order_by(Photo.id)))
    keys = {photo.original_key for photo in photos}
    for photo in photos:
        keys.update(d.key for d in photo.derivatives)
        result.photo_ids.append(photo.id)
    if result.photo_ids:
        session.execute(
            update(Album)
            .where(Album.cover_photo_id.in_(result.photo_ids))
            .values(cover_photo_id=None, updated_at=Album.updated_at)
        )
        session.execute(delete(IdempotencyKey).where(IdempotencyKey.photo_id.in_(result.photo_ids)))
        session.execute(
            update(TakedownRequest).where(TakedownRequest.photo_id.in_(result.photo_ids)).values(photo_id=None)
        )
    for photo in photos:
        record(
            session,
            "photo.erase",
            actor=actor,
            obj=photo,
            details={"sha256": sha256, "album_id": photo.album_id},
        )
        session.delete(photo)
    lay_tombstone(session, sha256)
    record(session, "image.erase", actor=actor, details={"sha256": sha256, "photos": result.photo_ids})
    session.commit()

    keys.update(obj.key for obj in storage.list(f"derivatives/{sha256}/"))
    for key in sorted(keys):
        try:
            storage.delete(key)
        except NotFound:
            continue
        result.deleted_keys.append(key)
    log.info("erased %s: %d photo rows, %d objects", sha256, len(result.photo_ids), len(result.deleted_keys))
    return result
