"""Camera clock correction.

An editor says "this camera (make, model, serial) was 1 h 3 min behind during this
event".  Every photo of that camera in the event gets its capture time recomputed
(albums re-sort, since they order by capture time), the original EXIF value is
kept (``taken_at_raw``), and photos of that camera uploaded later are corrected
at ingest.  Corrections replace each other: the stored offset is the total."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, String, func, literal_column, select
from sqlalchemy.orm import Session

from gallery.core.audit import Actor, record
from gallery.core.errors import ValidationError
from gallery.media.metadata.capture_time import CaptureTime, apply_clock_offset
from gallery.models import Album, ClockCorrection, Event, Photo, TakenAtSource
from gallery.photos.capture import event_zone, store_capture, stored_capture
from gallery.photos.order import capture_order

MAX_OFFSET = timedelta(days=3650)
_OFFSET_RE = re.compile(
    r"^\s*(?P<sign>[+-])?\s*(?:(?P<d>\d+)\s*d)?\s*(?:(?P<h>\d+)\s*h)?\s*(?:(?P<m>\d+)\s*m(?:in)?)?\s*(?:(?P<s>\d+)\s*s)?\s*$"
)
_CLOCK_RE = re.compile(r"^\s*(?P<sign>[+-])?(?P<h>\d{1,5}):(?P<m>[0-5]\d)(?::(?P<s>[0-5]\d))?\s*$")


@dataclass(frozen=True)
class Camera:
    make: str
    model: str
    serial: str = ""  # empty: every body of this make and model

    def label(self) -> str:
        text = " ".join(part for part in (self.make, self.model) if part) or "?"
        return f"{text} #{self.serial}" if self.serial else text


@dataclass(frozen=True)
class CameraSummary:
    camera: Camera
    photos: int
    first: datetime | None
    last: datetime | None
    offset_seconds: int


def parse_offset(text: str) -> timedelta:
    """'+1h03m', '-45m', '1:03', '-0:00:30', '90s' → timedelta (positive: the
    camera was behind, so its times move later)."""
    match = _CLOCK_RE.match(text or "") or _OFFSET_RE.match(text or "")
    groups = match.groupdict() if match else {}
    if not match or not any(groups.get(k) for k in ("d", "h", "m", "s")):
        raise ValidationError(f"{text!r} is not a time offset such as +1h03m, -45m or 1:03", field="offset")
    parts = {k: int(v) for k, v in groups.items() if k != "sign" and v}
    delta = timedelta(
        days=parts.get("d", 0), hours=parts.get("h", 0), minutes=parts.get("m", 0), seconds=parts.get("s", 0)
    )
    if groups.get("sign") == "-":
        delta = -delta
    return check_offset(delta)


def check_offset(delta: timedelta) -> timedelta:
    if abs(delta) > MAX_OFFSET:
        raise ValidationError("the offset is larger than ten years", field="offset")
    return delta


def _event_photos(event: Event) -> Select[Photo]:
    return (
        select(Photo)
        .join(Album, Album.id == Photo.album_id)
        .where(Album.event_id == event.id, Photo.deleted_at.is_(None))
    )


def _matches(camera: Camera, *, any_make: bool = False) -> list[ColumnElement[bool]]:
    conditions = [func.coalesce(Photo.camera_model, "") == camera.model]
    if not any_make:
        conditions.append(func.coalesce(Photo.camera_make, "") == camera.make)
    if camera.serial:
        conditions.append(func.coalesce(Photo.camera_serial, "") == camera.serial)
    return conditions


def resolve_camera(session: Session, event: Event, camera: Camera) -> Camera:
    """The camera as the event's photos record it.  Named by its model alone (no make, as
    ``gallery clock-correct EVENT --model 'NIKON Z 6_2'``), it is that model whatever its make:
    the make its photos carry ("NIKON CORPORATION").  When the model appears under several
    makes in the event, :class:`ValidationError` names them.  A camera with a make, or one
    without photos in the event, is returned as it is."""
    if camera.make:
        return camera
    query = _event_photos(event).where(*_matches(camera, any_make=True))
    makes = sorted(set(session.scalars(query.with_only_columns(func.coalesce(Photo.camera_make, "")).distinct())))
    if len(makes) > 1:
        named = ", ".join(repr(make) if make else "(no make)" for make in makes)
        raise ValidationError(
            f"the model {camera.model!r} appears under several makes in {event.slug}: {named}; give the make too",
            field="make",
        )
    return replace(camera, make=makes[0]) if makes else camera


def cameras(session: Session, event: Event) -> list[CameraSummary]:
    """The cameras seen in an event, with photo counts, time ranges and current corrections."""
    # The same expression objects in SELECT and GROUP BY, with a literal '' (not a bound
    # parameter): PostgreSQL matches GROUP BY expressions textually, $1 and $7 differ.
    empty = literal_column("''", type_=String)
    keys = (
        func.coalesce(Photo.camera_make, empty),
        func.coalesce(Photo.camera_model, empty),
        func.coalesce(Photo.camera_serial, empty),
    )
    rows = session.execute(
        select(
            *keys,
            func.count(Photo.id),
            func.min(Photo.taken_at),
            func.max(Photo.taken_at),
        )
        .join(Album, Album.id == Photo.album_id)
        .where(Album.event_id == event.id, Photo.deleted_at.is_(None))
        .group_by(*keys)
        .order_by(func.count(Photo.id).desc())
    ).all()
    corrections = corrections_for(session, event.id)
    out = []
    for make, model, serial, count, first, last in rows:
        camera = Camera(make, model, serial)
        offset = correction_for(corrections, make, model, serial)
        out.append(
            CameraSummary(
                camera,
                int(count),
                _aware(first),
                _aware(last),
                int(offset.total_seconds()) if offset else 0,
            )
        )
    return out


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def corrections_for(session: Session, event_id: int) -> dict[tuple[str, str, str], timedelta]:
    rows = session.scalars(select(ClockCorrection).where(ClockCorrection.event_id == event_id))
    return {(c.camera_make, c.camera_model, c.camera_serial): timedelta(seconds=c.offset_seconds) for c in rows}


def correction_for(
    corrections: Mapping[tuple[str, str, str], timedelta], make: str | None, model: str | None, serial: str | None
) -> timedelta | None:
    """The correction for one body: a serial-specific one wins over make+model."""
    make, model, serial = make or "", model or "", serial or ""
    if serial and (make, model, serial) in corrections:
        return corrections[(make, model, serial)]
    return corrections.get((make, model, ""))


def shifted(photo: Photo, total: timedelta, event: Event) -> CaptureTime | None:
    """The photo's capture time with ``total`` as its clock correction (replacing any earlier one)."""
    current = stored_capture(photo, event_zone(event))
    if current is None or photo.taken_at_source == TakenAtSource.upload:
        return None
    delta = total - timedelta(seconds=photo.clock_offset_seconds or 0)
    if not delta:
        return current
    result = apply_clock_offset(current, delta, event_tz=event.timezone)
    return result if total else _uncorrected(result)


def _uncorrected(capture: CaptureTime) -> CaptureTime:
    """``capture`` without a clock correction (a correction of zero undoes an earlier one)."""
    return replace(capture, flags=capture.flags - {"clock_corrected"}, clock_offset=timedelta(0))


def reread_naive_times(session: Session, event: Event, zone_name: str) -> int:
    """Re-read in ``zone_name`` (the event's new time zone) the capture times whose file gave
    no offset (naive EXIF wall times, read in the event's zone), keeping their wall time and
    any clock correction; times with an offset stay.  Returns how many photos changed (deleted
    ones in the bin too, so that a restored photo is right).  The caller commits."""
    ZoneInfo(zone_name)  # validated already; fail loudly rather than half-way
    query = (
        select(Photo)
        .join(Album, Album.id == Photo.album_id)
        .where(
            Album.event_id == event.id,
            Photo.taken_at.is_not(None),
            Photo.taken_at_flags.contains("naive_in_event_tz"),
        )
    )
    changed = 0
    zone = event_zone(event)
    for photo in session.scalars(query):
        current = stored_capture(photo, zone)
        if current is None or "naive_in_event_tz" not in current.flags:
            continue
        moved = apply_clock_offset(current, timedelta(0), event_tz=zone_name)
        if "clock_corrected" not in current.flags:
            moved = _uncorrected(moved)
        if moved.taken_at_utc != photo.taken_at or ",".join(sorted(moved.flags)) != photo.taken_at_flags:
            store_capture(photo, moved)
            changed += 1
    return changed


@dataclass(frozen=True)
class Preview:
    photo_id: int
    album_slug: str
    filename: str
    before: datetime | None  # UTC: show with gallery.photos.capture.event_time
    after: datetime | None


def preview(session: Session, event: Event, camera: Camera, total: timedelta) -> list[Preview]:
    """What would change, without changing anything (in capture order).  A camera named
    by its model alone is resolved as :func:`resolve_camera` says."""
    camera = resolve_camera(session, event, camera)
    query = _event_photos(event).where(*_matches(camera)).order_by(*capture_order())
    out = []
    for photo in session.scalars(query):
        after = shifted(photo, total, event)
        out.append(
            Preview(
                photo.id,
                photo.album.slug,
                photo.original_filename,
                photo.taken_at,
                after.taken_at_utc if after else None,
            )
        )
    return out


def apply(session: Session, event: Event, camera: Camera, total: timedelta, *, actor: Actor) -> int:
    """Set the correction for ``camera`` in ``event`` to ``total`` and recompute its photos.
    Returns how many photos changed.  The caller commits.  A camera named by its model
    alone is resolved as :func:`resolve_camera` says."""
    check_offset(total)
    camera = resolve_camera(session, event, camera)
    correction = session.scalar(
        select(ClockCorrection).where(
            ClockCorrection.event_id == event.id,
            ClockCorrection.camera_make == camera.make,
            ClockCorrection.camera_model == camera.model,
            ClockCorrection.camera_serial == camera.serial,
        )
    )
    seconds = int(total.total_seconds())
    if correction is None:
        correction = ClockCorrection(
            event_id=event.id,
            camera_make=camera.make,
            camera_model=camera.model,
            camera_serial=camera.serial,
            offset_seconds=seconds,
            created_by_id=actor.user_id,
        )
        session.add(correction)
    else:
        correction.offset_seconds = seconds
    changed = 0
    query = _event_photos(event).where(*_matches(camera))
    for photo in session.scalars(query):
        if camera.serial == "" and photo.camera_serial:
            # A serial-specific correction for this body takes precedence.
            specific = session.scalar(
                select(ClockCorrection.id).where(
                    ClockCorrection.event_id == event.id,
                    ClockCorrection.camera_make == camera.make,
                    ClockCorrection.camera_model == camera.model,
                    ClockCorrection.camera_serial == photo.camera_serial,
                )
            )
            if specific is not None:
                continue
        result = shifted(photo, total, event)
        if result is None:
            continue
        if result.taken_at_utc != photo.taken_at or int((result.clock_offset or timedelta()).total_seconds()) != (
            photo.clock_offset_seconds or 0
        ):
            store_capture(photo, result)
            changed += 1
    record(
        session,
        "camera.clock_correct",
        actor=actor,
        obj=event,
        details={"camera": camera.label(), "offset_seconds": seconds, "photos": changed},
    )
    return changed
