"""Which stored objects the database refers to: the originals and derivatives of photo rows.

Objects under :data:`TRACKED_PREFIXES` that no row refers to are *untracked*: ``gallery verify``
lists them and ``gallery gc`` deletes them after a grace period.  Objects outside these prefixes
are never ours to judge."""

from __future__ import annotations

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from gallery.models import Derivative, Photo
from gallery.storage import Storage, StoredObject

TRACKED_PREFIXES = ("originals/", "derivatives/")


def referenced_keys(session: Session, prefix: str) -> set[str]:
    """The keys under ``prefix`` that a photo (original) or derivative row refers to."""
    keys: set[str] = set()
    if prefix.startswith("originals/"):
        keys.update(session.scalars(select(Photo.original_key).where(Photo.original_key.startswith(prefix))))
    if prefix.startswith("derivatives/"):
        keys.update(session.scalars(select(Derivative.key).where(Derivative.key.startswith(prefix))))
    return keys


def is_referenced(session: Session, key: str) -> bool:
    """Whether any photo or derivative row refers to ``key``."""
    query = select(
        or_(
            exists(select(Photo.id).where(Photo.original_key == key)),
            exists(select(Derivative.id).where(Derivative.key == key)),
        )
    )
    return bool(session.scalar(query))


def find_untracked(session: Session, storage: Storage) -> list[StoredObject]:
    """Objects under ``originals/`` and ``derivatives/`` that no row refers to.

    The store is listed *before* the references are read, so an upload committed meanwhile is
    never reported (an upload still between its store and its commit may be; ``gc`` has a grace
    period for that)."""
    found: list[StoredObject] = []
    for prefix in TRACKED_PREFIXES:
        listed = list(storage.list(prefix))
        refs = referenced_keys(session, prefix)
        session.rollback()
        found.extend(obj for obj in listed if obj.key not in refs)
    return found
