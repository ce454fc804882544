"""Build events, albums and photos straight in the database (fake derivative rows),
fast enough for albums of thousands of photos."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from gallery.catalog import albums
from gallery.catalog import events as catalog
from gallery.core.audit import SYSTEM
from gallery.models import (
    Album,
    Derivative,
    Event,
    Photo,
    PhotoStatus,
    Report,
    ReportStatus,
    SortMode,
    TakenAtSource,
    report_albums,
)

START = datetime(2024, 5, 7, 6, 0, tzinfo=UTC)  # 08:00 in Brussels
SIZES = (400, 1024, 2048)


def make_event(session: Session, slug: str = "ecc-2024", *, tz: str = "Europe/Brussels", **extra: Any) -> Event:
    values: dict[str, Any] = {
        "title": "European Cluster Conference 2024",
        "starts_on": "2024-05-07",
        "ends_on": "2024-05-08",
        "location": "Brussels, The Square",
        "description": "Two days on clusters and the twin transition.",
    }
    values.update(extra)
    event = catalog.create_event(session, slug=slug, timezone=tz, actor=SYSTEM, **values)
    session.commit()
    return event


def make_album(
    session: Session,
    event: Event,
    slug: str,
    *,
    visibility: str = "public",
    title: str | None = None,
    sort_mode: str = "capture_time",
    description: str = "",
) -> Album:
    album = albums.create_album(
        session,
        event=event,
        slug=slug,
        title=title or f"Album {slug}",
        visibility=visibility,
        sort_mode=sort_mode,
        description=description,
        actor=SYSTEM,
    )
    session.commit()
    return album


def add_photos(
    session: Session,
    album: Album,
    count: int,
    *,
    start: datetime = START,
    step: timedelta = timedelta(minutes=1),
    undated: int = 0,
    status: PhotoStatus = PhotoStatus.ready,
    portrait_every: int = 5,
    offset_minutes: int | None = 120,
    times: Sequence[datetime | None] | None = None,
    extra: dict[str, Any] | None = None,
) -> list[int]:
    """``count`` dated photos (``step`` apart from ``start``, or at ``times``) plus
    ``undated`` photos without a capture time, each with six derivative rows."""
    first_id = (session.scalar(select(Photo.id).order_by(Photo.id.desc()).limit(1)) or 0) + 1
    when: list[datetime | None] = list(times) if times is not None else [start + step * i for i in range(count)]
    when += [None] * undated
    rows: list[dict[str, Any]] = []
    derivative_rows: list[dict[str, Any]] = []
    for i, taken in enumerate(when):
        photo_id = first_id + i
        sha = hashlib.sha256(f"{album.slug}/{photo_id}".encode()).hexdigest()
        portrait = portrait_every and i % portrait_every == portrait_every - 1
        width, height = (2400, 3600) if portrait else (3600, 2400)
        rows.append(
            {
                "id": photo_id,
                "album_id": album.id,
                "sha256": sha,
                "original_key": f"originals/{sha[:2]}/{sha}",
                "media_version": sha[:16],
                "original_filename": f"IMG_{photo_id:05d}.jpg",
                "content_type": "image/jpeg",
                "size": 5_000_000,
                "width": width,
                "height": height,
                "taken_at": taken,
                "taken_at_offset_minutes": offset_minutes if taken is not None else None,
                "taken_at_source": TakenAtSource.exif_original if taken is not None else TakenAtSource.upload,
                "caption": f"Caption of photo {photo_id}",
                "credit": "Jan Kowalski",
                "status": status,
                **(extra or {}),
            }
        )
        for edge in SIZES:
            w, h = (edge * 2 // 3, edge) if portrait else (edge, edge * 2 // 3)
            for fmt, ext in (("jpeg", "jpg"), ("webp", "webp")):
                derivative_rows.append(
                    {
                        "photo_id": photo_id,
                        "width": w,
                        "height": h,
                        "format": fmt,
                        "key": f"derivatives/{sha}/{sha[:16]}/{w}.{ext}",
                        "size": 100_000,
                    }
                )
    if rows:
        session.execute(insert(Photo), rows)
        session.execute(insert(Derivative), derivative_rows)
    session.commit()
    return [r["id"] for r in rows]


def make_report(
    session: Session,
    event: Event,
    slug: str,
    body: str,
    *,
    title: str = "A report",
    language: str = "en",
    published: bool = True,
    albums: Sequence[Album] = (),
) -> Report:
    report = Report(
        event_id=event.id,
        slug=slug,
        title=title,
        language=language,
        body=body,
        status=ReportStatus.published if published else ReportStatus.draft,
        published_at=datetime(2024, 5, 9, 10, 0, tzinfo=UTC) if published else None,
    )
    session.add(report)
    session.flush()
    for position, album in enumerate(albums):
        session.execute(report_albums.insert().values(report_id=report.id, album_id=album.id, position=position))
    session.commit()
    return report


PHOTO_ID_RE = re.compile(r'id="photo-(\d+)"')
NEXT_RE = re.compile(r'<a href="([^"]+)" rel="next">')
PREV_RE = re.compile(r'<a href="([^"]+)" rel="prev">')


def grid_ids(html: str) -> list[int]:
    return [int(m) for m in PHOTO_ID_RE.findall(html)]


def unescape_href(href: str) -> str:
    return href.replace("&amp;", "&")


def set_sort_manual(session: Session, album: Album) -> None:
    album.sort_mode = SortMode.manual
    session.commit()
