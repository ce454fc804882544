"""An album's photos a page at a time (the API's list): in display order
(:mod:`gallery.photos.order`, whose keyset cursors page through it), optionally of one status or
one credit, as the viewer may see them."""

from __future__ import annotations

from sqlalchemy.orm import Session, selectinload

from gallery.catalog import albums
from gallery.catalog.visibility import Viewer, can_view_album, photo_state_filter
from gallery.core.errors import NotFoundError
from gallery.core.pages import DEFAULT_LIMIT, Page, check_limit
from gallery.models import Photo, PhotoStatus
from gallery.photos.order import beyond, decode_cursor, encode_cursor, ordered_photos


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
    query = (
        ordered_photos(album, include_unready=viewer.sees_unready)
        .where(photo_state_filter(viewer))
        .options(selectinload(Photo.derivatives))
    )
    if status is not None:
        query = query.where(Photo.status == PhotoStatus(status))
    if credit is not None:
        query = query.where(Photo.credit == credit)
    number = 0
    if cursor:
        place = decode_cursor(album, cursor)
        query = query.where(beyond(album, place.key, forward=True))
        number = place.number
    rows: list[Photo] = list(session.scalars(query.limit(limit + 1)))
    if len(rows) <= limit:
        return Page(items=rows, next=None)
    rows = rows[:limit]
    return Page(items=rows, next=encode_cursor(album, rows[-1], number + len(rows)))
