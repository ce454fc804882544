"""What a report's page shows: the report (if the viewer may read it), its linked photo reports
and the album strips of its ``[album slug]`` shortcodes.

A report never reveals an album that is not listed to the viewer (an unlisted one is reached by
its link alone, so its strip is left out for visitors: :func:`gallery.catalog.visibility.listed_album_filter`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, joinedload

from gallery.catalog.listings import AlbumCard, album_cards
from gallery.catalog.visibility import Viewer, listed_album_filter, report_filter, shown_photo_filter
from gallery.core.errors import NotFoundError
from gallery.models import Album, Event, Photo, Report, SortMode, report_albums
from gallery.photos.order import order_terms
from gallery.photos.pages import PhotoCard, load_cards

STRIP_SIZE = 6


@dataclass(frozen=True)
class AlbumStrip:
    album: Album
    count: int
    photos: list[PhotoCard]


@dataclass(frozen=True)
class ReportContext:
    event: Event
    report: Report
    linked: list[AlbumCard]  # the report's photo reports (report_albums) listed to this viewer
    strips: dict[str, AlbumStrip] = field(default_factory=dict)  # slug → strip, listed albums only


def find_report(session: Session, event_slug: str, report_slug: str, *, viewer: Viewer) -> Report:
    """The report with its event, if this viewer may read it; else :class:`NotFoundError`."""
    report: Report | None = session.scalar(
        select(Report)
        .join(Event, Event.id == Report.event_id)
        .where(Event.slug == event_slug, Report.slug == report_slug, report_filter(viewer))
        .options(joinedload(Report.event))
    )
    if report is None:
        raise NotFoundError(f"no report {report_slug!r} in event {event_slug!r}")
    return report


def report_page(
    session: Session, report: Report, *, viewer: Viewer, shortcode_slugs: Iterable[str], strip_size: int = STRIP_SIZE
) -> ReportContext:
    """The report's linked albums and the album strips for its shortcodes, limited to the albums
    listed to this viewer."""
    linked_query = (
        select(Album)
        .join(report_albums, report_albums.c.album_id == Album.id)
        .where(report_albums.c.report_id == report.id, listed_album_filter(viewer))
        .order_by(report_albums.c.position, Album.id)
    )
    linked = album_cards(session, linked_query)
    slugs = sorted(set(shortcode_slugs))
    strips: dict[str, AlbumStrip] = {}
    if slugs:
        albums = list(session.scalars(select(Album).where(Album.slug.in_(slugs), listed_album_filter(viewer))))
        if albums:
            strips = _strips(session, albums, strip_size)
    return ReportContext(event=report.event, report=report, linked=linked, strips=strips)


def _strips(session: Session, albums: Sequence[Album], size: int) -> dict[str, AlbumStrip]:
    """The first ``size`` photos of each album, in display order, in two queries (a window
    function numbers the photos of each album) plus one for the counts."""
    album_ids = [a.id for a in albums]
    manual = [a.id for a in albums if a.sort_mode == SortMode.manual]
    manual_position = case((Photo.album_id.in_(manual), Photo.position), else_=None) if manual else None
    order = order_terms(manual_position)
    numbered = (
        select(Photo.id.label("pid"), func.row_number().over(partition_by=Photo.album_id, order_by=order).label("n"))
        .where(Photo.album_id.in_(album_ids), shown_photo_filter())
        .subquery()
    )
    rows = load_cards(
        session,
        select(Photo)
        .join(numbered, numbered.c.pid == Photo.id)
        .where(numbered.c.n <= size)
        .order_by(Photo.album_id, numbered.c.n),
    )
    counts = dict(
        session.execute(
            select(Photo.album_id, func.count())
            .where(Photo.album_id.in_(album_ids), shown_photo_filter())
            .group_by(Photo.album_id)
        ).all()
    )
    by_album: dict[int, list[PhotoCard]] = {}
    for photo in rows:
        by_album.setdefault(photo.album_id, []).append(photo)
    return {a.slug: AlbumStrip(album=a, count=int(counts.get(a.id, 0)), photos=by_album.get(a.id, [])) for a in albums}
