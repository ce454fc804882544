"""Tombstones of erased images: only the SHA-256 stays, and the same bytes are refused anywhere
(the one upload path, :func:`gallery.photos.receive.receive`, asks :func:`refuse_erased`) until
an admin lifts the tombstone."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from gallery.consent.models import Tombstone
from gallery.core.audit import Actor, record
from gallery.core.errors import ConflictError, NotFoundError

_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")

ERASED_MESSAGE = (
    "this image was erased from the gallery at the request of a person in it, and may not be uploaded again; "
    "an admin can lift the erasure"
)


class ImageErased(ConflictError):
    """The bytes of an erased image: 409 with the code ``erased``."""

    code = "erased"


def refuse_erased(session: Session, sha256: str) -> None:
    """Raise :class:`ImageErased` when the image with ``sha256`` was erased."""
    if session.get(Tombstone, sha256) is not None:
        raise ImageErased(ERASED_MESSAGE)


def lay_tombstone(session: Session, sha256: str) -> Tombstone:
    """The tombstone of ``sha256`` (a new one, or the one already there); the caller commits."""
    stone = session.get(Tombstone, sha256)
    if stone is None:
        stone = Tombstone(sha256=sha256)
        session.add(stone)
    return stone


def lift_tombstone(session: Session, sha256: str, *, actor: Actor) -> None:
    """Allow the bytes with ``sha256`` again (admins); 404 when there is no such tombstone.  Commits."""
    sha256 = sha256.lower()
    stone = session.get(Tombstone, sha256) if _SHA256_RE.match(sha256) else None
    if stone is None:
        raise NotFoundError(f"no tombstone for {sha256[:64]!r}")
    session.delete(stone)
    record(session, "tombstone.lift", actor=actor, details={"sha256": sha256})
    session.commit()
