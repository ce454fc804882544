"""The search suite's world: events, albums of every visibility, and photos made as rows (search
reads rows; the upload path has its own suites), on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from gallery.catalog import albums
from gallery.catalog import events as catalog
from gallery.core.audit import SYSTEM
from gallery.extensions import db
from gallery.models import Album, Event, Photo, PhotoStatus, TakenAtSource, Visibility


def make_event(slug: str = "kongres", *, title: str = "Kongres Klastrów 2024", tz: str = "Europe/Warsaw") -> Event:
    found = db.session.scalar(select(Event).where(Event.slug == slug))
    if found is not None:
        return found
    event = catalog.create_event(
        db.session,
        slug=slug,
        title=title,
        starts_on="2024-05-07",
        ends_on="2024-05-08",
        timezone=tz,
        location="Łódź",
        actor=SYSTEM,
    )
    db.session.commit()
    return event


def make_album(
    slug: str, *, event: Event | None = None, title: str | None = None, visibility: str = "public", **fields: Any
) -> Album:
    album = albums.create_album(
        db.session,
        event=event or make_event(),
        slug=slug,
        title=title or f"Album {slug}",
        visibility=Visibility(visibility),
        actor=SYSTEM,
        **fields,
    )
    db.session.commit()
    return album


_counter = [0]


def make_photo(
    album: Album,
    caption: str = "",
    *,
    taken_at: datetime | None = None,
    status: PhotoStatus = PhotoStatus.ready,
    commit: bool = True,
    **fields: Any,
) -> Photo:
    _counter[0] += 1
    sha = hashlib.sha256(f"photo {_counter[0]}".encode()).hexdigest()
    photo = Photo(
        album_id=album.id,
        sha256=sha,
        original_key=f"originals/sha256/{sha[:2]}/{sha[2:4]}/{sha}",
        original_filename=f"IMG_{_counter[0]:04}.jpg",
        content_type="image/jpeg",
        size=1000,
        width=1200,
        height=800,
        taken_at=taken_at,
        taken_at_offset_minutes=120 if taken_at else None,
        taken_at_source=TakenAtSource.exif_original if taken_at else TakenAtSource.upload,
        caption=caption,
        status=status,
        processing_since=None,
        **fields,
    )
    db.session.add(photo)
    if commit:
        db.session.commit()
    return photo


def at(text: str) -> datetime:
    """An instant written in UTC: ``at("2024-05-07 10:00")``."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)
