"""The deleted-photos bin: deleting photos (they stay in their album's bin, restorable), what the
bin holds, when ``gallery gc`` may purge a photo, and restoring photos.

Deleted photos are gone from every surface at once (:mod:`gallery.catalog.visibility`); their
rows and files stay until ``gallery gc`` purges those deleted more than :data:`RETENTION` ago
(:mod:`gallery.archive.gc`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from gallery.core.audit import Actor, record
from gallery.core.permissions import Permission, require_permission
from gallery.models import Album, Photo
from gallery.photos.service import soft_delete

#: How long a deleted photo stays in its album's bin, restorable, before ``gallery gc`` purges it
#: (``gc``'s default retention).
RETENTION = timedelta(days=30)


def delete_photos(session: Session, photos: Sequence[Photo], *, actor: Actor) -> int:
    """Put photos in their album's bin; returns how many."""
    require_permission(actor.user, Permission.edit_content, "only editors may delete photos")
    for photo in photos:
        soft_delete(session, photo, actor=actor)
    return len(photos)


def deleted_photos(session: Session, album: Album) -> list[Photo]:
    """The album's bin, most recently deleted first, with derivatives (for the thumbnails)."""
    return list(
        session.scalars(
            select(Photo)
            .where(Photo.album_id == album.id, Photo.deleted_at.is_not(None))
            .options(selectinload(Photo.derivatives))
            .order_by(Photo.deleted_at.desc(), Photo.id.desc())
        )
    )


def purge_due(photo: Photo) -> datetime | None:
    """When ``gallery gc`` (with its default retention) may purge this deleted photo."""
    return photo.deleted_at + RETENTION if photo.deleted_at else None


def restore_photos(session: Session, photos: Sequence[Photo], *, actor: Actor) -> int:
    """Take photos out of the bin (as long as ``gallery gc`` has not purged them)."""
    require_permission(actor.user, Permission.edit_content, "only editors may restore photos")
    restored = 0
    for photo in photos:
        if photo.deleted_at is None:
            continue
        record(
            session,
            "photo.restore",
            actor=actor,
            obj=photo,
            details={"album_id": photo.album_id, "deleted_at": photo.deleted_at.isoformat()},
        )
        photo.deleted_at = None
        restored += 1
    return restored
