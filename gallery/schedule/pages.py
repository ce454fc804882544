"""The session page (``/events/<event>/sessions/<session>``): a session of the programme with its
photos from every album of the event the viewer may see (the one visibility rule), in capture
order, a keyset page at a time; and the event page's list of sessions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from gallery.catalog.events import visible_event
from gallery.catalog.visibility import Viewer, photo_filter, shown_photo_filter
from gallery.core.pages import Page, SortKey, keyset_rows
from gallery.models import Album, Event, Photo
from gallery.photos.pages import PAGE_SIZE, PhotoCard, cards_by_id
from gallery.schedule import membership, service
from gallery.schedule.models import EventSession

SESSION_PHOTO_ORDER = (SortKey(Photo.taken_at), SortKey(Photo.id))


@dataclass(frozen=True)
class SessionPage:
    event: Event
    session: EventSession
    photos: list[PhotoCard]  # this page's, in capture order
    albums: dict[int, Album]  # album id → album, for the photos' links and media rights
    next_cursor: str | None
    parallel: list[EventSession]  # sessions of the event that overlap this one


def session_page(
    session: Session,
    event_slug: str,
    session_slug: str,
    *,
    viewer: Viewer,
    cursor: str | None = None,
    margin_minutes: int = membership.DEFAULT_MARGIN_MINUTES,
    limit: int = PAGE_SIZE,
) -> SessionPage:
    """A session of an event the viewer may see, with a page of its photos; 404 otherwise."""
    event = visible_event(session, event_slug, viewer=viewer)
    found = service.get_session(session, event, session_slug)
    query: Select[*tuple[Any, ...]] = (
        select(Photo.id, Photo.taken_at)
        .join(Album, Album.id == Photo.album_id)
        .where(
            Album.event_id == event.id,
            photo_filter(viewer),
            shown_photo_filter(),
            membership.photo_filter(found, margin_minutes),
        )
    )
    rows: Page[Any] = keyset_rows(
        session, query, SESSION_PHOTO_ORDER, name=f"session-{found.id}", cursor=cursor, limit=limit
    )
    ids = [row.id for row in rows.items]
    cards = cards_by_id(session, set(ids))
    photos = [cards[i] for i in ids if i in cards]
    album_ids = sorted({p.album_id for p in photos})
    albums = {a.id: a for a in session.scalars(select(Album).where(Album.id.in_(album_ids)))} if album_ids else {}
    parallel = [
        other
        for other in service.list_sessions(session, event)
        if other.id != found.id and other.starts_at < found.ends_at and found.starts_at < other.ends_at
    ]
    return SessionPage(
        event=event, session=found, photos=photos, albums=albums, next_cursor=rows.next, parallel=parallel
    )
