"""What a camera clock correction does to each album's order, before it is applied: the preview
the clock page shows (the corrected camera's photos among their neighbours, their numbers before
and after).  The corrections themselves are :mod:`gallery.photos.clock`'s; the order is
:func:`gallery.photos.order.sort_values`'."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gallery.models import Album, Event, Photo, SortMode
from gallery.photos import clock
from gallery.photos.order import sort_values


@dataclass(frozen=True)
class OrderRow:
    photo_id: int
    filename: str
    affected: bool  # taken by the corrected camera
    before_number: int
    after_number: int
    before: datetime | None
    after: datetime | None


@dataclass(frozen=True)
class AlbumReorder:
    album: Album
    manual: bool  # manual order: the correction changes times, not the order
    rows: list[OrderRow | None]  # None: photos left out here ("…")
    affected: int
    moved: int  # photos whose place in the album changes


def clock_preview(
    session: Session, event: Event, camera: clock.Camera, total: timedelta, *, context: int = 2, max_rows: int = 400
) -> list[AlbumReorder]:
    """For each album with photos from ``camera``: its photos in order before and after
    the correction, the camera's photos interleaved with the others (the affected photos
    and ``context`` neighbours either side)."""
    camera = clock.resolve_camera(session, event, camera)
    changes = clock.preview(session, event, camera, total)
    if not changes:
        return []
    corrections = clock.corrections_for(session, event.id)
    after_by_id = {c.photo_id: c.after for c in changes}
    album_slugs = sorted({c.album_slug for c in changes})
    albums = list(session.scalars(select(Album).where(Album.slug.in_(album_slugs)).order_by(Album.id)))
    rows = session.execute(
        select(
            Photo.id, Photo.album_id, Photo.taken_at, Photo.original_filename, Photo.position, Photo.camera_serial
        ).where(Photo.album_id.in_([a.id for a in albums]), Photo.deleted_at.is_(None))
    ).all()
    out = []
    for album in albums:
        photos = [r for r in rows if r.album_id == album.id]
        affected: set[int] = set()
        after: dict[int, datetime | None] = {}
        for r in photos:
            new = r.taken_at
            if r.id in after_by_id:
                specific = (
                    not camera.serial
                    and r.camera_serial
                    and (camera.make, camera.model, r.camera_serial) in corrections
                )
                if not specific and after_by_id[r.id] is not None:
                    new = after_by_id[r.id]
                    affected.add(r.id)
            after[r.id] = new
        if not affected:
            continue
        manual = album.sort_mode == SortMode.manual

        def order_key(r: Any, taken: datetime | None, mode: SortMode = album.sort_mode) -> tuple[Any, ...]:
            return sort_values(mode, position=r.position, taken_at=taken, photo_id=r.id)

        before_order = sorted(photos, key=lambda r: order_key(r, r.taken_at))
        after_order = sorted(photos, key=lambda r: order_key(r, after[r.id]))
        before_number = {r.id: n for n, r in enumerate(before_order, start=1)}
        shown: set[int] = set()
        for index, r in enumerate(after_order):
            if r.id in affected:
                shown.update(range(max(0, index - context), min(len(after_order), index + context + 1)))
        listing: list[OrderRow | None] = []
        previous = -1
        for index in sorted(shown):
            if len(listing) >= max_rows:
                listing.append(None)
                break
            if index != previous + 1:
                listing.append(None)
            r = after_order[index]
            listing.append(
                OrderRow(
                    photo_id=r.id,
                    filename=r.original_filename,
                    affected=r.id in affected,
                    before_number=before_number[r.id],
                    after_number=index + 1,
                    before=r.taken_at,
                    after=after[r.id],
                )
            )
            previous = index
        if previous != len(after_order) - 1 and (not listing or listing[-1] is not None):
            listing.append(None)
        moved = sum(1 for n, r in enumerate(after_order, start=1) if before_number[r.id] != n)
        out.append(AlbumReorder(album=album, manual=manual, rows=listing, affected=len(affected), moved=moved))
    return out
