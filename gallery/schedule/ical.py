"""Reading an event programme from an iCalendar file (RFC 5545, with ``icalendar``).

:func:`parse` turns the file's bytes into :class:`ParsedSession` values -- or raises
:class:`ScheduleFileError` with a message a person can act on, before anything is written.

* **Times**: a ``DTSTART`` with a ``TZID`` or in UTC is taken as it says; a floating time (no zone:
  many programme tools export those) is read in the calendar's ``X-WR-TIMEZONE`` when it names a
  known zone, else in the event's zone.  ``DTEND``, else ``DURATION``, else the start, ends it; a
  session may cross midnight.  All-day entries ("Day 1", "Exhibition open") are not sessions:
  they are skipped and reported, as are cancelled entries and repeating ones (``RRULE``), which
  a conference programme does not use for sessions.
* **Room**: ``LOCATION``.  **Speakers**: the ``CN`` of each ``ATTENDEE`` (chairs first, as the file
  orders them); when there is none, a description line such as ``Speakers: Anna Nowak, Jan
  Kowalski`` (also ``Speaker``, ``Panellists``, ``Moderator``, ``Prelegenci``, ``Mówcy``...).
* **Identity**: the ``UID``; an entry without one gets a stable stand-in from its title and start,
  so that re-importing the same file finds it again.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar

from gallery.core.errors import ValidationError
from gallery.models import max_length
from gallery.schedule.models import EventSession

#: A programme file larger than this is not a programme (a big conference's is ~200 KB).
MAX_FILE_BYTES = 5 * 1024 * 1024
#: More sessions than this in one file are refused.
MAX_SESSIONS = 2000
SPEAKER_MAX = 200
SPEAKERS_MAX = 50

_SPEAKER_LINE = re.compile(
    r"^\s*(?:speakers?|panel+ists?|moderators?|chairs?|presenters?|hosts?|"
    r"prelegen(?:ci|t|tka|tki)|mówc(?:a|y)|moderator(?:ka|zy)?|paneli[sś]ci|prowadząc[ya])\s*:\s*(?P<names>.+)$",
    re.IGNORECASE | re.MULTILINE,
)
_NAME_SPLIT = re.compile(r"\s*(?:[,;/|]|\s+and\s+|\s+i\s+|\s+&\s+)\s*")


class ScheduleFileError(ValidationError):
    """The file is not a programme Gallery can read (not iCalendar, no sessions, a bad entry)."""

    code = "invalid_schedule"


@dataclass(frozen=True)
class ParsedSession:
    uid: str
    title: str
    starts_at: datetime  # aware UTC
    ends_at: datetime  # aware UTC
    room: str = ""
    speakers: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class Skipped:
    title: str
    reason: str


@dataclass
class ParsedProgramme:
    sessions: list[ParsedSession] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def _text(value: Any, limit: int) -> str:
    text = str(value or "").replace("\x00", "").replace("\r\n", "\n").strip()
    return text[:limit]


def _file_zone(calendar: icalendar.Calendar, fallback: tzinfo) -> tzinfo:
    name = str(calendar.get("X-WR-TIMEZONE") or "").strip()
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return fallback


def as_utc(value: datetime) -> datetime:
    """An aware datetime as UTC, to the second (sessions are programmed to the minute)."""
    return value.astimezone(UTC).replace(microsecond=0)


def _instant(value: datetime, zone: tzinfo) -> datetime:
    """A DTSTART/DTEND as an aware UTC instant: floating times are read in ``zone``."""
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=zone)
    return as_utc(value)


def _speakers(entry: icalendar.Component, description: str) -> tuple[str, ...]:
    attendees = entry.get("ATTENDEE")
    if attendees is not None and not isinstance(attendees, list):
        attendees = [attendees]
    names: list[str] = []
    for attendee in attendees or []:
        params = getattr(attendee, "params", {})
        name = _text(params.get("CN", ""), SPEAKER_MAX)
        if name:
            # A chair (moderator) first, as programmes print them.
            names.insert(0, name) if str(params.get("ROLE", "")).upper() == "CHAIR" else names.append(name)
    if not names:
        for match in _SPEAKER_LINE.finditer(description):
            names += [_text(n, SPEAKER_MAX) for n in _NAME_SPLIT.split(match.group("names").strip(" .")) if n.strip()]
    unique = list(dict.fromkeys(n for n in names if n))
    return tuple(unique[:SPEAKERS_MAX])


def _stand_in_uid(title: str, start: datetime) -> str:
    digest = hashlib.sha256(f"{title}\n{start.isoformat()}".encode()).hexdigest()[:32]
    return f"gallery-{digest}"


def _session(entry: icalendar.Component, zone: tzinfo, number: int) -> ParsedSession | Skipped:
    title = _text(entry.get("SUMMARY"), max_length(EventSession.title))
    label = title or f"entry {number}"
    if str(entry.get("STATUS") or "").upper() == "CANCELLED":
        return Skipped(label, "cancelled")
    if entry.get("RRULE") is not None:
        return Skipped(label, "repeating entries (RRULE) are not sessions")
    start_prop = entry.get("DTSTART")
    if start_prop is None:
        raise ScheduleFileError(f"{label!r} has no start time (DTSTART)", field="file")
    start = start_prop.dt
    if not isinstance(start, datetime):
        if isinstance(start, date):
            return Skipped(label, "all-day entry")
        raise ScheduleFileError(f"{label!r} has a start (DTSTART) that is not a date and time", field="file")
    if not title:
        raise ScheduleFileError(f"entry {number} (starting {start.isoformat()}) has no title (SUMMARY)", field="file")
    starts_at = _instant(start, zone)
    end_prop = entry.get("DTEND")
    duration = entry.get("DURATION")
    if end_prop is not None:
        end = end_prop.dt
        if not isinstance(end, datetime):
            raise ScheduleFileError(f"{label!r} ends (DTEND) on a date without a time", field="file")
        ends_at = _instant(end, zone)
    elif duration is not None and isinstance(duration.dt, timedelta):
        ends_at = starts_at + duration.dt
    else:
        ends_at = starts_at
    if ends_at < starts_at:
        raise ScheduleFileError(f"{label!r} ends before it starts", field="file")
    if ends_at - starts_at > timedelta(days=2):
        raise ScheduleFileError(f"{label!r} lasts more than two days: not a session", field="file")
    description = _text(entry.get("DESCRIPTION"), max_length(EventSession.description))
    uid = _text(entry.get("UID"), max_length(EventSession.uid)) or _stand_in_uid(title, starts_at)
    return ParsedSession(
        uid=uid,
        title=title,
        starts_at=starts_at,
        ends_at=ends_at,
        room=_text(entry.get("LOCATION"), max_length(EventSession.room)),
        speakers=_speakers(entry, description),
        description=description,
    )


def parse(data: bytes, zone: tzinfo) -> ParsedProgramme:
    """The sessions of an iCalendar file; floating times are read in ``zone`` (the event's) unless
    the file names its own (``X-WR-TIMEZONE``).  :class:`ScheduleFileError` when it is not one."""
    if not data.strip():
        raise ScheduleFileError("the file is empty", field="file")
    if len(data) > MAX_FILE_BYTES:
        raise ScheduleFileError(f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB", field="file")
    if not data.lstrip(b"\xef\xbb\xbf \t\r\n").upper().startswith(b"BEGIN:VCALENDAR"):
        raise ScheduleFileError("not an iCalendar file (it must start with BEGIN:VCALENDAR)", field="file")
    try:
        calendar = icalendar.Calendar.from_ical(data.decode("utf-8-sig", errors="replace"))
        entries = list(calendar.walk("VEVENT"))
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise ScheduleFileError(f"not a valid iCalendar file: {str(exc)[:200]}", field="file") from None
    zone = _file_zone(calendar, zone)
    programme = ParsedProgramme()
    seen: set[str] = set()
    for number, entry in enumerate(entries, start=1):
        try:
            parsed = _session(entry, zone, number)
        except (ValueError, TypeError, AttributeError) as exc:  # a value icalendar could not read
            raise ScheduleFileError(f"entry {number} cannot be read: {str(exc)[:200]}", field="file") from None
        if isinstance(parsed, Skipped):
            programme.skipped.append(parsed)
            continue
        if parsed.uid in seen:
            raise ScheduleFileError(f"two entries share the UID {parsed.uid!r}", field="file")
        seen.add(parsed.uid)
        programme.sessions.append(parsed)
    if not programme.sessions:
        raise ScheduleFileError("the file holds no sessions (no timed VEVENT entries)", field="file")
    if len(programme.sessions) > MAX_SESSIONS:
        raise ScheduleFileError(f"the file holds more than {MAX_SESSIONS} sessions", field="file")
    return programme
