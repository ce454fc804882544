"""Reading a programme from iCalendar: zones (TZID, UTC, floating in the event's zone or the
file's X-WR-TIMEZONE), ends (DTEND, DURATION, none), speakers (ATTENDEE CN or the description),
skipped entries, and files that are not programmes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from gallery.schedule import ical

FILES = Path(__file__).resolve().parents[2] / "schedule"
BRUSSELS = ZoneInfo("Europe/Brussels")
WARSAW = ZoneInfo("Europe/Warsaw")


def _cal(*lines: str, head: tuple[str, ...] = ()) -> bytes:
    return "\r\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:test", *head, *lines, "END:VCALENDAR", ""]).encode()


def _event(*lines: str) -> tuple[str, ...]:
    return ("BEGIN:VEVENT", *lines, "END:VEVENT")


def test_the_pretalx_programme() -> None:
    programme = ical.parse((FILES / "programme.ics").read_bytes(), WARSAW)  # the file's TZIDs win
    by_uid = {s.uid: s for s in programme.sessions}
    assert list(by_uid) == [
        "opening@ecc.example",
        "skills@ecc.example",
        "green@ecc.example",
        "digital@ecc.example",
        "dinner@ecc.example",
        "closing@ecc.example",
    ]
    opening = by_uid["opening@ecc.example"]
    assert (opening.starts_at, opening.ends_at) == (
        datetime(2024, 5, 7, 7, tzinfo=UTC),
        datetime(2024, 5, 7, 8, tzinfo=UTC),
    )
    assert opening.room == "Hemicycle"
    assert opening.speakers == ("Anna Nowak", "Thierry Breton")  # the chair first
    assert opening.description == "Welcome by the Commissioner, followed by a keynote."
    # Speakers from the description when no ATTENDEE names them.
    assert by_uid["skills@ecc.example"].speakers == ("Maria Rossi", "Jan Kowalski", "Élodie Martin", "Piotr Wiśniewski")
    assert by_uid["digital@ecc.example"].title == "Podpisanie deklaracji – Digital clusters"
    # 21:00 to 00:30 the next day, Brussels time.
    dinner = by_uid["dinner@ecc.example"]
    assert dinner.ends_at.astimezone(BRUSSELS) == datetime(2024, 5, 8, 0, 30, tzinfo=BRUSSELS)
    # DURATION instead of DTEND.
    closing = by_uid["closing@ecc.example"]
    assert (closing.ends_at - closing.starts_at).total_seconds() == 45 * 60
    assert [(s.title, s.reason) for s in programme.skipped] == [
        ("Day 1 – Exhibition open", "all-day entry"),
        ("Cancelled side event", "cancelled"),
    ]


def test_floating_times_are_read_in_the_events_zone() -> None:
    data = (FILES / "programme-floating.ics").read_bytes()
    in_brussels = ical.parse(data, BRUSSELS).sessions
    assert in_brussels[0].starts_at == datetime(2024, 5, 7, 7, 30, tzinfo=UTC)
    assert in_brussels[1].starts_at.astimezone(BRUSSELS).hour == 23
    assert in_brussels[1].ends_at.astimezone(BRUSSELS) == datetime(2024, 5, 8, 1, 0, tzinfo=BRUSSELS)
    in_london = ical.parse(data, ZoneInfo("Europe/London")).sessions
    assert in_london[0].starts_at == datetime(2024, 5, 7, 8, 30, tzinfo=UTC)
    # No UID: a stand-in from title and start, the same on every reading.
    assert (
        in_brussels[2].uid.startswith("gallery-") and in_brussels[2].uid == ical.parse(data, BRUSSELS).sessions[2].uid
    )


def test_the_files_own_zone_wins_for_floating_times() -> None:
    data = _cal(*_event("UID:a", "DTSTART:20240507T100000", "SUMMARY:Talk"), head=("X-WR-TIMEZONE:Europe/Warsaw",))
    session = ical.parse(data, ZoneInfo("America/New_York")).sessions[0]
    assert session.starts_at == datetime(2024, 5, 7, 8, tzinfo=UTC)
    assert session.ends_at == session.starts_at  # no DTEND, no DURATION: a point in time


def test_utc_times_and_repeating_entries() -> None:
    data = _cal(
        *_event("UID:a", "DTSTART:20240507T100000Z", "DTEND:20240507T110000Z", "SUMMARY:In UTC"),
        *_event("UID:b", "DTSTART:20240507T103000Z", "RRULE:FREQ=DAILY;COUNT=2", "SUMMARY:Coffee"),
    )
    programme = ical.parse(data, BRUSSELS)
    assert [s.starts_at for s in programme.sessions] == [datetime(2024, 5, 7, 10, tzinfo=UTC)]
    assert programme.skipped == [ical.Skipped("Coffee", "repeating entries (RRULE) are not sessions")]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not an iCalendar file"),
        (b"BEGIN:VCARD\r\nFN:Anna\r\nEND:VCARD\r\n", "not an iCalendar file"),
        (b"BEGIN:VCALENDAR\r\nthis is not a content line\r\nEND:VCALENDAR\r\n", "not a valid iCalendar file"),
        (_cal(), "holds no sessions"),
        (_cal(*_event("UID:a", "SUMMARY:No start")), "has no start time"),
        (_cal(*_event("UID:a", "DTSTART:20240507T100000", "DTEND:20240507T090000", "SUMMARY:Back")), "ends before"),
        (_cal(*_event("UID:a", "DTSTART:20240507T100000")), "has no title"),
        (
            _cal(
                *_event("UID:a", "DTSTART:20240507T100000", "SUMMARY:X"),
                *_event("UID:a", "DTSTART:20240507T110000", "SUMMARY:Y"),
            ),
            "two entries share the UID",
        ),
        (
            _cal(*_event("UID:a", "DTSTART:20240507T100000", "DTEND:20240517T100000", "SUMMARY:Long")),
            "more than two days",
        ),
        (_cal(*_event("UID:a", "DTSTART:notadate", "SUMMARY:X")), "cannot be read"),
    ],
)
def test_files_that_are_not_programmes(data: bytes, message: str) -> None:
    with pytest.raises(ical.ScheduleFileError) as raised:
        ical.parse(data, BRUSSELS)
    assert message in raised.value.message
    assert raised.value.status == 422 and raised.value.code == "invalid_schedule"


def test_a_file_too_large_is_refused_before_reading() -> None:
    with pytest.raises(ical.ScheduleFileError, match="larger than"):
        ical.parse(b"BEGIN:VCALENDAR\r\n" + b"X" * ical.MAX_FILE_BYTES, BRUSSELS)
