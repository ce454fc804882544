"""An album while its event is on: the newest photos, for open album pages to pick up new ones
without a reload and for the hall screen's slideshow (``/albums/<album>/live``).

"Newest" is upload order (the photo id), not the display order: the hall wants what was just
uploaded, whatever the camera's clock says.  Only photos the viewer may see and that have a web
size are listed (:func:`gallery.catalog.visibility.photo_filter`; a photo whose first size is made
is already ``ready``, see :func:`gallery.photos.process.publish_progressively`).  The lists are
bounded (:data:`LIVE_LIMIT`), so a client polling all day keeps a fixed amount of state."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from gallery.catalog.visibility import Viewer, photo_filter
from gallery.models import Album, Photo, PhotoStatus
from gallery.photos.pages import PhotoCard, load_cards

#: The most photos one answer lists (the slideshow's loop, an album page's "just added" strip).
LIVE_LIMIT = 24


def _visible(album: Album, viewer: Viewer) -> ColumnElement[bool]:
    return and_(Photo.album_id == album.id, photo_filter(viewer), Photo.status == PhotoStatus.ready)


def newest_photos(
    session: Session, album: Album, viewer: Viewer, *, after: int = 0, limit: int = LIVE_LIMIT
) -> list[PhotoCard]:
    """Up to ``limit`` (at most :data:`LIVE_LIMIT`) of the album's newest photos the viewer may
    see, newest first, uploaded after the photo ``after`` (0: from the newest)."""
    limit = max(1, min(limit, LIVE_LIMIT))
    query = select(Photo).where(_visible(album, viewer)).order_by(Photo.id.desc()).limit(limit)
    if after > 0:
        query = query.where(Photo.id > after)
    return load_cards(session, query)
