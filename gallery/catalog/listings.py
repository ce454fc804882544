"""What the visitors' pages list: the home page's events, an event's albums and reports, and the
album cards (cover and photo count) they show.

Every function takes the session and the viewer explicitly and issues a fixed number of SQL
statements, whatever the number of albums and photos.  What is listed to whom is
:mod:`gallery.catalog.visibility`'s: only public albums are listed to visitors (an unlisted album
is reached by its link alone), drafts only to those who edit content.  The album and photo pages'
photos, in display order, are :mod:`gallery.photos.pages`'."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from gallery.catalog.visibility import (
    ANONYMOUS,
    Viewer,
    event_filter,
    is_public,
    listed_album_filter,
    report_filter,
)
from gallery.core.errors import NotFoundError
from gallery.core.pages import Page, SortKey, keyset_page
from gallery.models import Album, Event, Report
from gallery.photos import tallies
from gallery.photos.pages import PhotoCard, cards_by_id, cover_photo_id

# The home page shows the newest events (a visitor looks for this season's conference, not one of
# a decade ago); the archive ``/events`` pages through all of them.  Bounded so that the home page
# costs the same with a hundred events as with ten (bench/scale.py).
HOME_EVENTS = 12
ARCHIVE_PAGE = 24
ARCHIVE_CURSOR = "events"
_ARCHIVE_ORDER = (SortKey(Event.starts_on, descending=True), SortKey(Event.id, descending=True))


@dataclass(frozen=True)
class AlbumCard:
    album: Album
    count: int
    cover: PhotoCard | None


@dataclass(frozen=True)
class EventCard:
    event: Event
    cover: PhotoCard | None
    album_count: int
    cover_album: Album | None = None  # the album the cover comes from


def _shown_count() -> Any:
    return tallies.shown_count_of(Album.id)


def album_cards(session: Session, query: Select[Any]) -> list[AlbumCard]:
    """Cards of the albums ``query`` selects (in its order), each with its cover and the number of
    photos it shows: two queries."""
    rows = session.execute(query.add_columns(cover_photo_id(), _shown_count())).all()
    photos = cards_by_id(session, {row[1] for row in rows if row[1] is not None})
    return [AlbumCard(album=row[0], cover=photos.get(row[1]) if row[1] else None, count=int(row[2])) for row in rows]


def _listed_events() -> Select[Any]:
    """Events with at least one album listed to every visitor (the home page's and the archive's:
    the same for every viewer; editors find the rest in the management area)."""
    listed = listed_album_filter(ANONYMOUS)
    return select(Event).where(select(Album.id).where(Album.event_id == Event.id, listed).exists())


def event_cards(session: Session, events: list[Event]) -> list[EventCard]:
    """Cards of ``events`` (in their order), each with the number of albums listed to every visitor
    and its cover: the cover of the first such album that has photos.  Three queries, none of which
    counts photos."""
    if not events:
        return []
    rows = session.execute(
        select(Album, cover_photo_id())
        .where(Album.event_id.in_([e.id for e in events]), listed_album_filter(ANONYMOUS))
        .order_by(Album.event_id, Album.id)
    ).all()
    counts: dict[int, int] = {}
    first: dict[int, tuple[Album, int]] = {}
    for album, cover_id in rows:
        counts[album.event_id] = counts.get(album.event_id, 0) + 1
        if cover_id is not None and album.event_id not in first:
            first[album.event_id] = (album, cover_id)
    photos = cards_by_id(session, {cover_id for _, cover_id in first.values()})
    return [
        EventCard(
            event=e,
            cover=photos.get(first[e.id][1]) if e.id in first else None,
            album_count=counts.get(e.id, 0),
            cover_album=first[e.id][0] if e.id in first else None,
        )
        for e in events
    ]


def home_events(session: Session, *, limit: int = HOME_EVENTS) -> list[EventCard]:
    """The newest ``limit`` events with an album listed to every visitor, newest first, each with
    its cover.  Four queries over at most ``limit`` events: the home page costs the same at a
    million photos as at a thousand (``bench/scale.py``)."""
    query = _listed_events().order_by(*(k.order() for k in _ARCHIVE_ORDER)).limit(limit)
    return event_cards(session, list(session.scalars(query)))


@dataclass(frozen=True)
class EventsArchive:
    cards: list[EventCard]
    next_cursor: str | None  # ?after=… for the page of older events; None on the last page
    first_page: bool


def events_archive(session: Session, *, after: str | None = None, page_size: int = ARCHIVE_PAGE) -> EventsArchive:
    """One page of every event the home page would list, newest first (``/events``): keyset pages
    by (start date, id), so the hundredth page costs what the first does.  A broken cursor is
    :class:`~gallery.core.errors.BadCursor` (400)."""
    page: Page[Event] = keyset_page(
        session, _listed_events(), _ARCHIVE_ORDER, name=ARCHIVE_CURSOR, cursor=after, limit=page_size
    )
    return EventsArchive(cards=event_cards(session, page.items), next_cursor=page.next, first_page=not after)


def upcoming_and_recent(cards: list[EventCard], now: datetime) -> tuple[list[EventCard], list[EventCard]]:
    """The home page's two rows: events not over yet on their own clock (soonest first), and
    the others (newest first, as ``home_events`` lists them)."""

    def today(event: Event) -> date:
        try:
            return now.astimezone(ZoneInfo(event.timezone)).date()
        except (ZoneInfoNotFoundError, ValueError):
            return now.astimezone(UTC).date()

    upcoming = [c for c in cards if c.event.ends_on >= today(c.event)]
    recent = [c for c in cards if c.event.ends_on < today(c.event)]
    upcoming.sort(key=lambda c: (c.event.starts_on, c.event.id))
    return upcoming, recent


@dataclass(frozen=True)
class EventContext:
    event: Event
    albums: list[AlbumCard]
    reports: list[Report]
    cover: PhotoCard | None


def event_reports(session: Session, event: Event, viewer: Viewer) -> list[Report]:
    """The event's reports this viewer may read, newest first (drafts, for editors, after them)."""
    query = select(Report).where(Report.event_id == event.id, report_filter(viewer))
    return list(
        session.scalars(query.order_by(Report.published_at.is_(None), Report.published_at.desc(), Report.id.desc()))
    )


def one_per_topic(reports: list[Report], language: str) -> list[Report]:
    """One report per topic (a report and its translations, ``translation_of``): the one in
    ``language`` when there is one, else the first listed; topics keep the order of ``reports``."""
    chosen: dict[int, Report] = {}
    for report in reports:
        topic = report.translation_of_id or report.id
        current = chosen.get(topic)
        if current is None or (current.language != language and report.language == language):
            chosen[topic] = report
    return list(chosen.values())


def event_page(session: Session, slug: str, *, viewer: Viewer) -> EventContext:
    """An event with the albums listed to this viewer and the reports they may read.  An event
    the viewer may not see (nothing listed to them, nothing to read) is a 404."""
    event = session.scalar(select(Event).where(Event.slug == slug, event_filter(viewer)))
    if event is None:
        raise NotFoundError(f"no event {slug!r}")
    albums = album_cards(
        session, select(Album).where(Album.event_id == event.id, listed_album_filter(viewer)).order_by(Album.id)
    )
    reports = event_reports(session, event, viewer)
    cover = next(
        (c.cover for c in albums if c.cover is not None and is_public(c.album)),
        next((c.cover for c in albums if c.cover is not None), None),
    )
    return EventContext(event=event, albums=albums, reports=reports, cover=cover)
