"""What ``/feed.atom`` and ``/sitemap.xml`` list: only what every visitor may see.

Both are public artefacts, so they show what :mod:`gallery.catalog.visibility` lets ``AUDIENCE``
(anyone, without a share token) see and lists to them: public albums with at least one ready
photo, published reports (once their publication time has come), the events that have either,
and the photo pages of public albums.  Unlisted and private albums, draft reports, photos still
processing, failed or deleted never appear.  Queries return plain values; the web layer renders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import ColumnElement, exists, func, or_, select
from sqlalchemy.orm import Session

from gallery.catalog.visibility import Viewer, listed_album_filter, photo_filter, report_filter, shown_photo_filter
from gallery.core.errors import NotFoundError
from gallery.models import Album, Event, Photo, Report
from gallery.reports.render import excerpt
from gallery.schedule.models import EventSession

FEED_LIMIT = 50
#: The sitemap protocol's limit of URLs per file.
SITEMAP_MAX_URLS = 50_000
EXCERPT_CHARS = 300


@dataclass(frozen=True)
class FeedEntry:
    kind: str  # "report" | "album"
    key: int
    title: str
    summary: str
    path: str
    created: datetime
    published: datetime
    updated: datetime
    event_title: str
    photo_count: int | None = None


@dataclass(frozen=True)
class SitemapUrl:
    path: str  # absolute path, with query if any
    lastmod: date | None = None


@dataclass(frozen=True)
class Sitemap:
    """``kind`` is ``urlset`` (``urls`` are pages) or ``index`` (``urls`` are sitemap files)."""

    kind: str
    urls: list[SitemapUrl]


def report_path(event_slug: str, report_slug: str) -> str:
    return f"/events/{event_slug}/reports/{report_slug}"


def album_path(album_slug: str) -> str:
    return f"/albums/{album_slug}"


def photo_path(album_slug: str, photo_id: int) -> str:
    return f"/albums/{album_slug}/photos/{photo_id}"


#: Who reads the feed and the sitemap: anyone (cached publicly, whoever asked first).
AUDIENCE = Viewer.artefact()


def _published_report(now: datetime) -> list[ColumnElement[bool]]:
    """Reports anyone may read whose publication time has come (a report scheduled for later
    joins the feed then)."""
    return [report_filter(AUDIENCE), Report.published_at.is_not(None), Report.published_at <= now]


def feed_entries(session: Session, *, limit: int = FEED_LIMIT, now: datetime | None = None) -> list[FeedEntry]:
    """Newest published reports and public albums, newest first (two queries)."""
    now = now or datetime.now(UTC)
    report_rows = session.execute(
        select(Report, Event.slug, Event.title)
        .join(Event, Event.id == Report.event_id)
        .where(*_published_report(now))
        .order_by(Report.published_at.desc(), Report.id.desc())
        .limit(limit)
    ).all()
    counts = (
        select(Photo.album_id.label("album_id"), func.count(Photo.id).label("n"))
        .where(shown_photo_filter())
        .group_by(Photo.album_id)
        .subquery()
    )
    album_rows = session.execute(
        select(Album, Event.title, counts.c.n)
        .join(Event, Event.id == Album.event_id)
        .join(counts, counts.c.album_id == Album.id)
        .where(listed_album_filter(AUDIENCE))
        .order_by(Album.created_at.desc(), Album.id.desc())
        .limit(limit)
    ).all()
    entries: list[FeedEntry] = []
    for report, event_slug, event_title in report_rows:
        published = report.published_at or report.created_at
        entries.append(
            FeedEntry(
                kind="report",
                key=report.id,
                title=report.title,
                summary=excerpt(report.body, EXCERPT_CHARS),
                path=report_path(event_slug, report.slug),
                created=report.created_at,
                published=published,
                updated=max(report.updated_at, published),
                event_title=event_title,
            )
        )
    for album, event_title, count in album_rows:
        entries.append(
            FeedEntry(
                kind="album",
                key=album.id,
                title=album.title,
                summary=excerpt(album.description, EXCERPT_CHARS) if album.description else "",
                path=album_path(album.slug),
                created=album.created_at,
                published=album.created_at,
                updated=max(album.updated_at, album.created_at),
                event_title=event_title,
                photo_count=int(count),
            )
        )
    entries.sort(key=lambda e: (e.published, e.kind, e.key), reverse=True)
    return entries[:limit]


# ---------------------------------------------------------------------------------------------
# Sitemap


def _page_urls(session: Session, now: datetime) -> list[SitemapUrl]:
    listed_album = exists().where(Album.event_id == Event.id, listed_album_filter(AUDIENCE))
    published_report = exists().where(Report.event_id == Event.id, *_published_report(now))
    urls = [SitemapUrl("/"), SitemapUrl("/events")]  # the home page and the events archive
    for slug, updated in session.execute(
        select(Event.slug, Event.updated_at).where(or_(listed_album, published_report)).order_by(Event.id)
    ):
        urls.append(SitemapUrl(f"/events/{slug}", updated.date()))
    for event_slug, session_slug, updated in session.execute(  # the programme of those events
        select(Event.slug, EventSession.slug, EventSession.updated_at)
        .join(Event, Event.id == EventSession.event_id)
        .where(or_(listed_album, published_report))
        .order_by(EventSession.event_id, EventSession.starts_at, EventSession.id)
    ):
        urls.append(SitemapUrl(f"/events/{event_slug}/sessions/{session_slug}", updated.date()))
    for event_slug, report_slug, updated in session.execute(
        select(Event.slug, Report.slug, Report.updated_at)
        .join(Event, Event.id == Report.event_id)
        .where(*_published_report(now))
        .order_by(Report.id)
    ):
        urls.append(SitemapUrl(report_path(event_slug, report_slug), updated.date()))
    for slug, updated in session.execute(
        select(Album.slug, Album.updated_at).where(listed_album_filter(AUDIENCE)).order_by(Album.id)
    ):
        urls.append(SitemapUrl(album_path(slug), updated.date()))
    return urls


def _photo_filter() -> ColumnElement[bool]:
    return photo_filter(AUDIENCE)


def _photo_urls(session: Session, *, start: int, limit: int) -> list[SitemapUrl]:
    rows = session.execute(
        select(Album.slug, Photo.id, Photo.updated_at)
        .join(Album, Album.id == Photo.album_id)
        .where(_photo_filter(), Photo.id >= start)
        .order_by(Photo.id)
        .limit(limit)
    )
    return [SitemapUrl(photo_path(slug, photo_id), updated.date()) for slug, photo_id, updated in rows]


def _photo_count(session: Session) -> int:
    return int(
        session.scalar(select(func.count(Photo.id)).join(Album, Album.id == Photo.album_id).where(_photo_filter())) or 0
    )


def _photo_part_starts(session: Session, per_part: int) -> list[int]:
    """The first photo id of each sitemap file of photos (keyset boundaries, one query)."""
    numbered = (
        select(Photo.id.label("id"), func.row_number().over(order_by=Photo.id).label("n"))
        .join(Album, Album.id == Photo.album_id)
        .where(_photo_filter())
        .subquery()
    )
    return list(
        session.scalars(select(numbered.c.id).where((numbered.c.n - 1) % per_part == 0).order_by(numbered.c.id))
    )


def sitemap(
    session: Session,
    *,
    part: str | None = None,
    start: str | None = None,
    max_urls: int = SITEMAP_MAX_URLS,
    now: datetime | None = None,
) -> Sitemap:
    """The sitemap, or, past ``max_urls``, a sitemap index of ``?part=pages`` and
    ``?part=photos&from=<id>`` files of at most ``max_urls`` URLs each."""
    now = now or datetime.now(UTC)
    if part is None:
        pages = _page_urls(session, now)
        if len(pages) + _photo_count(session) <= max_urls:
            return Sitemap("urlset", pages + _photo_urls(session, start=0, limit=max_urls))
        files = [SitemapUrl("/sitemap.xml?part=pages")]
        files += [
            SitemapUrl(f"/sitemap.xml?part=photos&from={first}") for first in _photo_part_starts(session, max_urls)
        ]
        return Sitemap("index", files)
    if part == "pages":
        return Sitemap("urlset", _page_urls(session, now)[:max_urls])
    if part == "photos" and start is not None and start.isdigit() and len(start) <= 12:
        return Sitemap("urlset", _photo_urls(session, start=int(start), limit=max_urls))
    raise NotFoundError("no such sitemap")
