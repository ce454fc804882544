"""An album's photos a page at a time (the API's list): in display order
(:mod:`gallery.photos.order`, whose keyset cursors page through it), optionally of one status or
one credit, as the viewer may see them."""

from __future__ import annotations

from sqlalchemy import and_, select
from sqlalchemy.orm import Session, selectinload

from gallery.catalog import albums
from gallery.catalog.visibility import Viewer, can_view_album, photo_state_filter, shown_photo_filter
from gallery.core.errors import NotFoundError
from gallery.core.pages import DEFAULT_LIMIT, Page, check_limit
from gallery.models import Photo, PhotoStatus
from gallery.photos.order import decode_cursor, encode_cursor, page_query, sort_columns


def album_photos(
    session: Session,
    album_slug: str,
    *,
    viewer: Viewer,
    status: PhotoStatus | str | None = None,
    credit: str | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Page[Photo]:
    """Up to ``limit`` photos of the album after ``cursor``: those ``viewer`` may see (staff see
    unfinished ones too); 404 when the viewer may not open the album."""
    check_limit(limit)
    album = albums.get_album(session, album_slug)
    if not can_view_album(album, viewer):
        raise NotFoundError(f"no album {album_slug!r}")
    state = photo_state_filter(viewer)
    if not viewer.sees_unready:
        state = and_(state, shown_photo_filter())
    if status is not None:
        state = and_(state, Photo.status == PhotoStatus(status))
    if credit is not None:
        state = and_(state, Photo.credit == credit)
    key, number = None, 0
    if cursor:
        place = decode_cursor(album, cursor)
        key, number = place.key, place.number
    # The page's ids through the album's order index (never a sort of the whole album), then the photos.
    order = [column for column, _ in sort_columns(album)]
    query = page_query(album, key, forward=True, limit=limit + 1, columns=order, where=state)
    ids = [row.id for row in session.execute(query)]
    found = session.scalars(select(Photo).where(Photo.id.in_(ids)).options(selectinload(Photo.derivatives)))
    by_id = {photo.id: photo for photo in found}
    rows = [by_id[i] for i in ids if i in by_id]
    if len(rows) <= limit:
        return Page(items=rows, next=None)
    rows = rows[:limit]
    return Page(items=rows, next=encode_cursor(album, rows[-1], number + len(rows)))
