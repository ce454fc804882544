"""``gallery reprocess``: which photos need their derivatives (re)made, and how far queued work got.

Derivatives are disposable: they can always be rebuilt from the original.  A photo needs them
again when it failed or never finished, when its derivative rows no longer match the configured
sizes (after ``GALLERY_DERIVATIVE_SIZES`` changed), or always with ``--all``.  Each photo is
finished on its own, so an interrupted run finds only what is left."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from gallery.media.derivatives import plan_sizes
from gallery.models import Album, Photo, PhotoStatus

_CHUNK = 500
_FORMATS = ("jpeg", "webp")


def derivatives_match(photo: Photo, sizes: Sequence[int]) -> bool:
    """Whether the photo's derivative rows are exactly those ``sizes`` produce: the same pixel
    widths in both formats (derivatives are keyed by width; sizes that come out the same for a
    small photo are rendered once)."""
    if photo.width <= 0 or photo.height <= 0:
        return False
    planned = plan_sizes(photo.width, photo.height, list(sizes))
    wanted = {(fmt, p.width) for p in planned for fmt in _FORMATS}
    have = {(d.format, d.width) for d in photo.derivatives}
    return have == wanted and len(photo.derivatives) == len(have)


def photos_to_reprocess(session: Session, *, album: Album | None, sizes: Sequence[int], everything: bool) -> list[int]:
    """Photos whose derivatives need (re)making: failed or unfinished ones, ready ones whose
    derivatives do not match ``sizes`` (after the sizes changed), or every photo with
    ``everything``.  Deleted photos are skipped.  A run that was interrupted finds only what
    is left (unless ``everything``)."""
    query = select(Photo).where(Photo.deleted_at.is_(None)).order_by(Photo.id)
    if album is not None:
        query = query.where(Photo.album_id == album.id)
    ids: list[int] = []
    for photo in session.scalars(query.options(selectinload(Photo.derivatives))).yield_per(_CHUNK):
        if (
            everything
            or photo.status in (PhotoStatus.failed, PhotoStatus.processing)
            or not derivatives_match(photo, sizes)
        ):
            ids.append(photo.id)
    session.rollback()
    return ids


def remaining_work(session: Session, ids: Sequence[int], sizes: Sequence[int]) -> tuple[list[int], dict[str, int]]:
    """Which of ``ids`` are not finished yet (for the progress of queued work), and a count of
    the finished ones by status (``ready``, ``failed``, ``missing`` for rows gone meanwhile)."""
    left: list[int] = []
    done: dict[str, int] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = list(ids[start : start + _CHUNK])
        rows = session.scalars(select(Photo).where(Photo.id.in_(chunk)).options(selectinload(Photo.derivatives)))
        seen = set()
        for photo in rows:
            seen.add(photo.id)
            if photo.status == PhotoStatus.failed:
                done["failed"] = done.get("failed", 0) + 1
            elif photo.status == PhotoStatus.ready and derivatives_match(photo, sizes):
                done["ready"] = done.get("ready", 0) + 1
            else:
                left.append(photo.id)
        vanished = len(set(chunk) - seen)
        if vanished:
            done["missing"] = done.get("missing", 0) + vanished
    session.rollback()
    return left, done
