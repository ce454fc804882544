"""Queries behind the visitors' pages: home, event, report; finding an album a viewer may open.
(The album and photo pages' photos, in display order, are :mod:`gallery.photos.pages`.)

Every function takes the session and the viewer explicitly and issues a fixed
number of SQL statements, whatever the number of albums and photos.

Visibility follows :func:`gallery.photos.service.can_view_album`: public albums
are listed; unlisted ones open only with their share token (and are never
listed); private ones exist only for users who may view private albums.
Visitors see only ``ready``, non-deleted photos.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session, joinedload

from gallery.core.errors import NotFoundError
from gallery.core.permissions import Permission, has_permission
from gallery.models import (
    Album,
    Event,
    Photo,
    PhotoStatus,
    Report,
    ReportStatus,
    SortMode,
    User,
    Visibility,
    report_albums,
)
from gallery.photos.order import listed_in, order_terms
from gallery.photos.pages import PhotoCard, cards_by_id, cover_photo_id, load_cards
from gallery.photos.service import can_view_album

STRIP_SIZE = 6
HOME_EVENTS = 100

# --- visibility -------------------------------------------------------------------------------


def sees_private(user: User | None) -> bool:
    return has_permission(user, Permission.view_private)


def listed_visibilities(user: User | None) -> tuple[Visibility, ...]:
    """Albums that appear in listings for this viewer (never unlisted ones for visitors)."""
    if sees_private(user):
        return (Visibility.public, Visibility.unlisted, Visibility.private)
    return (Visibility.public,)


def find_album(session: Session, slug: str, *, user: User | None, token: str | None) -> Album:
    """The album with its event, if this viewer may see it; else :class:`NotFoundError`."""
    album = session.scalar(select(Album).where(Album.slug == slug).options(joinedload(Album.event)))
    if album is None or not can_view_album(album, user, token):
        raise NotFoundError(f"no album {slug!r}")
    return album


# --- covers, cards, listings --------------------------------------------------------------------


def _ready_count() -> Any:
    return select(func.count(Photo.id)).where(listed_in(Album.id)).correlate(Album).scalar_subquery()


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


def _album_cards(session: Session, query: Select[Any]) -> list[AlbumCard]:
    rows = session.execute(query.add_columns(cover_photo_id(), _ready_count())).all()
    photos = cards_by_id(session, {row[1] for row in rows if row[1] is not None})
    return [AlbumCard(album=row[0], cover=photos.get(row[1]) if row[1] else None, count=int(row[2])) for row in rows]


def home_events(session: Session, *, limit: int = HOME_EVENTS) -> list[EventCard]:
    """Events with at least one public album, newest first, each with its cover: the cover
    of its first public album that has photos.  Three queries."""
    has_public = (
        select(Album.id).where(Album.event_id == Event.id, Album.visibility == Visibility.public).exists()
    )
    events = list(
        session.scalars(select(Event).where(has_public).order_by(Event.starts_on.desc(), Event.id.desc()).limit(limit))
    )
    if not events:
        return []
    cards = _album_cards(
        session,
        select(Album)
        .where(Album.event_id.in_([e.id for e in events]), Album.visibility == Visibility.public)
        .order_by(Album.event_id, Album.id),
    )
    covers: dict[int, PhotoCard] = {}
    counts: dict[int, int] = {}
    for card in cards:
        counts[card.album.event_id] = counts.get(card.album.event_id, 0) + 1
        if card.cover is not None and card.album.event_id not in covers:
            covers[card.album.event_id] = card.cover
    return [EventCard(event=e, cover=covers.get(e.id), album_count=counts.get(e.id, 0)) for e in events]


@dataclass(frozen=True)
class EventContext:
    event: Event
    albums: list[AlbumCard]
    reports: list[Report]
    cover: PhotoCard | None


def _event_reports(session: Session, event: Event, user: User | None) -> list[Report]:
    query = select(Report).where(Report.event_id == event.id)
    if not has_permission(user, Permission.edit_content):
        query = query.where(Report.status == ReportStatus.published)
    return list(
        session.scalars(query.order_by(Report.published_at.is_(None), Report.published_at.desc(), Report.id.desc()))
    )


def event_page(session: Session, slug: str, *, user: User | None) -> EventContext:
    """An event with the albums this viewer may see listed and its reports (drafts for
    editors only).  An event with nothing to show this viewer is a 404."""
    event = session.scalar(select(Event).where(Event.slug == slug))
    if event is None:
        raise NotFoundError(f"no event {slug!r}")
    albums = _album_cards(
        session,
        select(Album)
        .where(Album.event_id == event.id, Album.visibility.in_(listed_visibilities(user)))
        .order_by(Album.id),
    )
    reports = _event_reports(session, event, user)
    if not albums and not reports and not sees_private(user):
        raise NotFoundError(f"no event {slug!r}")
    cover = next(
        (c.cover for c in albums if c.cover is not None and c.album.visibility == Visibility.public),
        next((c.cover for c in albums if c.cover is not None), None),
    )
    return EventContext(event=event, albums=albums, reports=reports, cover=cover)


# --- reports ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AlbumStrip:
    album: Album
    count: int
    photos: list[PhotoCard]


@dataclass(frozen=True)
class ReportContext:
    event: Event
    report: Report
    linked: list[AlbumCard]  # the report's photo reports (report_albums) this viewer may see
    strips: dict[str, AlbumStrip] = field(default_factory=dict)  # slug → strip, visible albums only


def find_report(session: Session, event_slug: str, report_slug: str, *, user: User | None) -> Report:
    report = session.scalar(
        select(Report)
        .join(Event, Event.id == Report.event_id)
        .where(Event.slug == event_slug, Report.slug == report_slug)
        .options(joinedload(Report.event))
    )
    if report is None:
        raise NotFoundError(f"no report {report_slug!r} in event {event_slug!r}")
    if report.status != ReportStatus.published and not has_permission(user, Permission.edit_content):
        raise NotFoundError(f"no report {report_slug!r} in event {event_slug!r}")
    return report


def report_page(
    session: Session, report: Report, *, user: User | None, shortcode_slugs: Iterable[str], strip_size: int = STRIP_SIZE
) -> ReportContext:
    """The report's linked albums and the album strips for its ``[album slug]`` shortcodes,
    limited to albums this viewer may see (without a share token: a report never
    reveals an unlisted or private album to visitors)."""
    linked_query = (
        select(Album)
        .join(report_albums, report_albums.c.album_id == Album.id)
        .where(report_albums.c.report_id == report.id, Album.visibility.in_(listed_visibilities(user)))
        .order_by(report_albums.c.position, Album.id)
    )
    linked = _album_cards(session, linked_query)
    slugs = sorted(set(shortcode_slugs))
    strips: dict[str, AlbumStrip] = {}
    if slugs:
        albums = list(
            session.scalars(
                select(Album).where(Album.slug.in_(slugs), Album.visibility.in_(listed_visibilities(user)))
            )
        )
        albums = [a for a in albums if can_view_album(a, user)]
        if albums:
            strips = _strips(session, albums, strip_size)
    return ReportContext(event=report.event, report=report, linked=linked, strips=strips)


def _strips(session: Session, albums: Sequence[Album], size: int) -> dict[str, AlbumStrip]:
    """The first ``size`` photos of each album, in display order, in two queries (a window
    function numbers the photos of each album) plus one for the counts."""
    manual = [a.id for a in albums if a.sort_mode == SortMode.manual]
    manual_position = case((Photo.album_id.in_(manual), Photo.position), else_=None) if manual else None
    order = order_terms(manual_position)
    numbered = (
        select(Photo.id.label("pid"), func.row_number().over(partition_by=Photo.album_id, order_by=order).label("n"))
        .where(Photo.album_id.in_([a.id for a in albums]), Photo.deleted_at.is_(None), Photo.status == PhotoStatus.ready)
        .subquery()
    )
    rows = load_cards(
        session,
        select(Photo).join(numbered, numbered.c.pid == Photo.id).where(numbered.c.n <= size).order_by(
            Photo.album_id, numbered.c.n
        ),
    )
    counts = dict(
        session.execute(
            select(Photo.album_id, func.count())
            .where(Photo.album_id.in_([a.id for a in albums]), Photo.deleted_at.is_(None), Photo.status == PhotoStatus.ready)
            .group_by(Photo.album_id)
        ).all()
    )
    by_album: dict[int, list[PhotoCard]] = {}
    for photo in rows:
        by_album.setdefault(photo.album_id, []).append(photo)
    return {
        a.slug: AlbumStrip(album=a, count=int(counts.get(a.id, 0)), photos=by_album.get(a.id, [])) for a in albums
    }
