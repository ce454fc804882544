"""A photo's local capture time: the one place that decides on which clock a capture time is told.

Gallery stores each capture time as an instant (``Photo.taken_at``, aware UTC) and the UTC offset
that applied where the photo was taken (``Photo.taken_at_offset_minutes``: from the file's EXIF/XMP
offset, or the event's zone when the file had none).  From these, three surfaces need a local time:

* **the API** (``taken_at_local``, and the ``taken_at`` column of an album ZIP's ``captions.csv``):
  the offset that applied, as the contract says.  When no offset was recorded (rows from before
  offsets were kept, imported bags without one), the event's zone stands in for it: the same zone a
  naive EXIF time is read in, never UTC (:func:`reported_local_time`);
* **pages** (photo page, management grid, clock page, the CLI's clock preview): the event's zone, so
  that every photo of an event is told on one clock and sorts into the same day as its neighbours;
  the camera's own offset follows in brackets when it differs from the zone's at that instant
  (:func:`page_time`, :func:`event_time`);
* **the day a photo belongs to** (the album page's day headings): the calendar day in the event's zone
  (:func:`event_day`).

Formatting (Babel, the visitor's language) stays in the view helpers; which zone applies is decided
here.  Clock corrections rebuild a photo's
:class:`~gallery.media.metadata.capture_time.CaptureTime` from its stored values
(:func:`stored_capture`) and write a new one back (:func:`store_capture`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from gallery.media.metadata.capture_time import CaptureTime
from gallery.models import Event, Photo


class Dated(Protocol):
    """What this module reads of a photo: an ORM :class:`~gallery.models.Photo` or a page's card."""

    @property
    def taken_at(self) -> datetime | None: ...

    @property
    def taken_at_offset_minutes(self) -> int | None: ...


def event_zone(event: Event) -> tzinfo:
    """The event's time zone; UTC when its name is unknown to this system's zone database
    (event time zones are validated when set, so this only guards against a changed tzdata)."""
    try:
        return ZoneInfo(event.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _aware(instant: datetime) -> datetime:
    """SQLite hands back naive datetimes for aware columns; they are UTC."""
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)


def camera_offset(photo: Dated) -> timedelta | None:
    """The UTC offset that applied where the photo was taken, when one was recorded."""
    if photo.taken_at_offset_minutes is None:
        return None
    return timedelta(minutes=photo.taken_at_offset_minutes)


def reported_local_time(photo: Dated, zone: tzinfo) -> datetime | None:
    """The capture time as the API reports it (``taken_at_local``): in the offset that applied;
    in the event's ``zone`` when no offset was recorded.  None for an undated photo."""
    if photo.taken_at is None:
        return None
    offset = camera_offset(photo)
    return _aware(photo.taken_at).astimezone(zone if offset is None else timezone(offset))


def event_time(instant: datetime | None, zone: tzinfo) -> datetime | None:
    """An instant on the event's clock (aware, with the zone's offset at that moment)."""
    if instant is None:
        return None
    return _aware(instant).astimezone(zone)


@dataclass(frozen=True)
class PageTime:
    """A capture time as pages show it: ``local`` in the event's zone, and the camera's own
    offset when it differs from the zone's at that instant (None when it agrees or is unknown)."""

    local: datetime
    camera_offset: timedelta | None


def page_time(photo: Dated, zone: tzinfo) -> PageTime | None:
    """The capture time as pages show it (see :class:`PageTime`); None for an undated photo."""
    local = event_time(photo.taken_at, zone)
    if local is None:
        return None
    offset = camera_offset(photo)
    return PageTime(local=local, camera_offset=offset if offset is not None and offset != local.utcoffset() else None)


def event_day(photo: Dated, zone: tzinfo) -> date | None:
    """The calendar day of the capture in the event's zone (None when undated)."""
    local = event_time(photo.taken_at, zone)
    return local.date() if local is not None else None


def stored_capture(photo: Photo, zone: tzinfo) -> CaptureTime | None:
    """The photo's stored capture time as a :class:`CaptureTime` (for clock corrections and
    time-zone changes to work on); None for an undated photo.  The local time is in the offset
    that applied, or the event's ``zone`` when none was recorded, as :func:`reported_local_time`."""
    local = reported_local_time(photo, zone)
    if local is None or photo.taken_at is None:
        return None
    return CaptureTime(
        taken_at_utc=_aware(photo.taken_at),
        taken_at_local=local,
        source=photo.taken_at_source.value,
        raw_value=photo.taken_at_raw,
        flags=frozenset(f for f in (photo.taken_at_flags or "").split(",") if f),
        clock_offset=timedelta(seconds=photo.clock_offset_seconds or 0),
    )


def offset_minutes(capture: CaptureTime) -> int | None:
    """The UTC offset a capture time was read with, in minutes, as ``Photo.taken_at_offset_minutes``."""
    offset = capture.taken_at_local.utcoffset() if capture.taken_at_local is not None else None
    return None if offset is None else int(offset.total_seconds() // 60)


def store_capture(photo: Photo, capture: CaptureTime) -> None:
    """Write a (corrected) capture time back onto the photo; the raw EXIF value is kept."""
    assert capture.taken_at_local is not None and capture.taken_at_utc is not None
    photo.taken_at = capture.taken_at_utc
    photo.taken_at_offset_minutes = offset_minutes(capture)
    photo.taken_at_flags = ",".join(sorted(capture.flags))[:200]
    photo.clock_offset_seconds = int((capture.clock_offset or timedelta(0)).total_seconds())
