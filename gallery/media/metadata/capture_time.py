"""When a photo was taken: capture time from EXIF and XMP, and camera clock corrections.

Capture time order (first usable value wins; invalid values are skipped):

1. EXIF DateTimeOriginal (+ SubSecTimeOriginal, + OffsetTimeOriginal)  -> ``exif_original``
2. EXIF DateTimeDigitized (+ SubSecTimeDigitized, + OffsetTimeDigitized) -> ``exif_digitized``
3. IFD0 DateTime (+ SubSecTime, + OffsetTime)                          -> ``exif_datetime``
4. XMP exif:DateTimeOriginal, then xmp:CreateDate, then photoshop:DateCreated -> ``xmp``
   (never xmp:ModifyDate or xmp:MetadataDate; a date without a time is skipped)
5. nothing                                                            -> ``upload``

A time without an offset is read in the event's time zone.  A wall time that does not
exist there (spring-forward gap) or exists twice (fall-back hour) is resolved the way
``zoneinfo`` resolves it with ``fold=0`` and flagged, never rejected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Final, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from gallery.media.metadata.record import RawMetadata, as_text, first_exif

__all__ = ["CaptureSource", "CaptureTime", "apply_clock_offset", "capture_time"]

CaptureSource = Literal["exif_original", "exif_digitized", "exif_datetime", "xmp", "upload"]


@dataclass(frozen=True)
class CaptureTime:
    """When a photo was taken, and where that knowledge came from.

    ``taken_at_utc`` is aware UTC, ``taken_at_local`` aware with the fixed offset that
    applied (both None when ``source == "upload"``).  ``raw_value`` is the date-time string
    exactly as found in the file; ``raw_subsec`` and ``raw_offset`` the companion EXIF
    sub-second and offset strings that were used.  ``source_tag`` names the field
    ("EXIF DateTimeOriginal", "xmp:CreateDate").  ``clock_offset`` is the total camera
    clock correction applied by :func:`apply_clock_offset`.

    Flags: ``offset_from_exif`` / ``offset_from_xmp`` (the file said which offset applied),
    ``naive_in_event_tz`` (no offset in the file; the event's zone was used),
    ``nonexistent_local_time`` (wall time in a spring-forward gap),
    ``ambiguous_local_time`` (wall time in a fall-back hour), ``invalid_offset_ignored``,
    ``invalid_value_skipped`` (an earlier source held garbage), ``clock_corrected``.
    """

    taken_at_utc: datetime | None
    taken_at_local: datetime | None
    source: CaptureSource
    raw_value: str | None
    flags: frozenset[str] = frozenset()
    source_tag: str | None = None
    raw_subsec: str | None = None
    raw_offset: str | None = None
    clock_offset: timedelta | None = None


_DATETIME_RE: Final = re.compile(
    r"""^\s*
    (?P<y>\d{4})[:\-/.](?P<mo>\d{1,2})[:\-/.](?P<d>\d{1,2})
    (?:[\sT]+(?P<h>\d{1,2}):(?P<mi>\d{1,2})(?::(?P<s>\d{1,2}))?(?:[.,](?P<frac>\d+))?)?
    \s*(?P<tz>Z|z|[+-]\d{2}(?::?\d{2})?)?
    \s*$""",
    re.VERBOSE,
)
_OFFSET_RE: Final = re.compile(r"^\s*(?:(?P<z>[Zz])|(?P<sign>[+-])(?P<h>\d{2})(?::?(?P<m>\d{2}))?)\s*$")
_MAX_OFFSET: Final = timedelta(hours=14)


@dataclass(frozen=True)
class _Parsed:
    wall: datetime  # naive
    offset: timedelta | None
    had_fraction: bool


def _parse_offset(text: str | None) -> timedelta | None:
    """Parse "+05:45", "-0330", "Z"; None for blanks and anything invalid."""
    if not text:
        return None
    match = _OFFSET_RE.match(text.replace("\x00", ""))
    if match is None:
        return None
    if match.group("z"):
        return timedelta(0)
    hours, minutes = int(match.group("h")), int(match.group("m") or 0)
    if minutes >= 60:
        return None
    offset = timedelta(hours=hours, minutes=minutes)
    if offset > _MAX_OFFSET:
        return None
    return -offset if match.group("sign") == "-" else offset


def _microseconds(digits: str) -> int:
    return int((digits + "000000")[:6])


def _parse_datetime(text: str | None) -> _Parsed | None:
    """Parse an EXIF or ISO 8601 date-time; None for blanks, zeros, dates without time."""
    if not text:
        return None
    match = _DATETIME_RE.match(text.replace("\x00", " "))
    if match is None or match.group("h") is None:
        return None
    try:
        wall = datetime(
            int(match.group("y")),
            int(match.group("mo")),
            int(match.group("d")),
            int(match.group("h")),
            int(match.group("mi")),
            int(match.group("s") or 0),
            _microseconds(match.group("frac") or ""),
        )
    except ValueError:
        return None
    if wall.year < 1800:
        return None
    tz_text = match.group("tz")
    offset = _parse_offset(tz_text) if tz_text else None
    if tz_text and offset is None:
        return None
    return _Parsed(wall=wall, offset=offset, had_fraction=match.group("frac") is not None)


def _zone(event_tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(event_tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as err:
        raise ValueError(f"unknown time zone: {event_tz!r}") from err


def _localize(wall: datetime, zone: ZoneInfo) -> tuple[datetime, set[str]]:
    """Aware datetime for a naive wall time in ``zone`` (fold=0), with gap/fold flags."""
    flags: set[str] = set()
    first = wall.replace(tzinfo=zone, fold=0)
    round_trip = first.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    if round_trip != wall:
        flags.add("nonexistent_local_time")
    elif first.utcoffset() != wall.replace(tzinfo=zone, fold=1).utcoffset():
        flags.add("ambiguous_local_time")
    offset = first.utcoffset() or timedelta(0)
    return wall.replace(tzinfo=timezone(offset)), flags


def _build(
    parsed: _Parsed,
    *,
    offset: timedelta | None,
    offset_flag: str,
    zone: ZoneInfo,
) -> tuple[datetime, datetime, set[str]]:
    if offset is not None:
        local = parsed.wall.replace(tzinfo=timezone(offset))
        flags = {offset_flag}
    else:
        local, flags = _localize(parsed.wall, zone)
        flags.add("naive_in_event_tz")
    return local.astimezone(UTC), local, flags


_EXIF_TIME_SOURCES: Final[tuple[tuple[CaptureSource, tuple[str, ...], tuple[str, ...], tuple[str, ...]], ...]] = (
    (
        "exif_original",
        ("EXIF DateTimeOriginal", "Image DateTimeOriginal"),
        ("EXIF SubSecTimeOriginal", "Image SubSecTimeOriginal"),
        ("EXIF OffsetTimeOriginal", "Image OffsetTimeOriginal"),
    ),
    (
        "exif_digitized",
        ("EXIF DateTimeDigitized", "Image DateTimeDigitized"),
        ("EXIF SubSecTimeDigitized", "Image SubSecTimeDigitized"),
        ("EXIF OffsetTimeDigitized", "Image OffsetTimeDigitized"),
    ),
    (
        "exif_datetime",
        ("Image DateTime",),
        ("EXIF SubSecTime", "Image SubSecTime"),
        ("EXIF OffsetTime", "Image OffsetTime"),
    ),
)
_XMP_TIME_SOURCES: Final = ("exif:DateTimeOriginal", "xmp:CreateDate", "photoshop:DateCreated")


def capture_time(raw: RawMetadata, event_tz: str) -> CaptureTime:
    """When the photo was taken (see the module docstring for the order of sources).

    ``event_tz`` is an IANA zone name used for times stored without an offset;
    ``ValueError`` if it is not a known zone.
    """
    zone = _zone(event_tz)
    skipped = False

    for source, dt_keys, subsec_keys, offset_keys in _EXIF_TIME_SOURCES:
        for dt_key in dt_keys:
            raw_value = as_text(raw.exif.get(dt_key))
            if raw_value is None or not raw_value.strip():
                continue
            parsed = _parse_datetime(raw_value)
            if parsed is None:
                skipped = True
                continue
            subsec_text = as_text(first_exif(raw, *subsec_keys))
            wall = parsed.wall
            subsec_used: str | None = None
            if subsec_text is not None:
                digits = subsec_text.replace("\x00", "").strip()
                if digits.isdigit() and digits.isascii():
                    wall = wall.replace(microsecond=_microseconds(digits))
                    subsec_used = subsec_text
            offset_text = as_text(first_exif(raw, *offset_keys))
            offset = _parse_offset(offset_text)
            flags: set[str] = set()
            if offset_text is not None and offset_text.strip(" \x00:") and offset is None:
                flags.add("invalid_offset_ignored")
            offset_flag = "offset_from_exif"
            if offset is None and parsed.offset is not None:
                offset = parsed.offset  # non-standard: offset written into the value
            utc, local, more = _build(replace(parsed, wall=wall), offset=offset, offset_flag=offset_flag, zone=zone)
            flags |= more
            if skipped:
                flags.add("invalid_value_skipped")
            return CaptureTime(
                taken_at_utc=utc,
                taken_at_local=local,
                source=source,
                raw_value=raw_value,
                flags=frozenset(flags),
                source_tag=dt_key,
                raw_subsec=subsec_used,
                raw_offset=offset_text if offset is not None and offset_text else None,
            )

    for key in _XMP_TIME_SOURCES:
        for raw_value in raw.xmp.get(key, ()):
            if not raw_value.strip():
                continue
            parsed = _parse_datetime(raw_value)
            if parsed is None:
                skipped = True
                continue
            utc, local, flags = _build(parsed, offset=parsed.offset, offset_flag="offset_from_xmp", zone=zone)
            if skipped:
                flags.add("invalid_value_skipped")
            return CaptureTime(
                taken_at_utc=utc,
                taken_at_local=local,
                source="xmp",
                raw_value=raw_value,
                flags=frozenset(flags),
                source_tag=key,
            )
            # (only the first value of a property is considered)

    return CaptureTime(
        taken_at_utc=None,
        taken_at_local=None,
        source="upload",
        raw_value=None,
        flags=frozenset({"invalid_value_skipped"} if skipped else ()),
    )


def apply_clock_offset(ct: CaptureTime, delta: timedelta, *, event_tz: str | None = None) -> CaptureTime:
    """Correct a wrong camera clock: the true time is the recorded time plus ``delta``.

    (A camera 1 h 3 min behind needs ``delta=timedelta(hours=1, minutes=3)``.)  Shifts both
    the UTC and the local time, keeps ``raw_value`` and the source, adds the flag
    ``clock_corrected`` and accumulates ``clock_offset``.  When ``event_tz`` is given and
    the time had been read naively in the event zone, the corrected wall time is resolved
    in that zone again, so a correction across a DST change gets the right offset.  A
    time-less capture (``source == "upload"``) is returned unchanged.
    """
    if ct.taken_at_utc is None or ct.taken_at_local is None:
        return ct
    flags = set(ct.flags) | {"clock_corrected"}
    total = (ct.clock_offset or timedelta(0)) + delta
    if event_tz is not None and "naive_in_event_tz" in ct.flags:
        wall = ct.taken_at_local.replace(tzinfo=None) + delta
        local, dst_flags = _localize(wall, _zone(event_tz))
        flags -= {"nonexistent_local_time", "ambiguous_local_time"}
        flags |= dst_flags
        utc = local.astimezone(UTC)
    else:
        utc = ct.taken_at_utc + delta
        local = ct.taken_at_local + delta
    return replace(ct, taken_at_utc=utc, taken_at_local=local, flags=frozenset(flags), clock_offset=total)
