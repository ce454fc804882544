"""gallery.photos.capture: the one place that decides on which clock a capture time is told."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from gallery.media.metadata.capture_time import CaptureTime
from gallery.models import Event, Photo, TakenAtSource
from gallery.photos.capture import (
    camera_offset,
    event_day,
    event_time,
    event_zone,
    offset_minutes,
    page_time,
    reported_local_time,
    store_capture,
    stored_capture,
)

BRUSSELS = ZoneInfo("Europe/Brussels")
KATHMANDU = timedelta(hours=5, minutes=45)


@dataclass
class Card:
    """What a page's photo card carries of a capture time."""

    taken_at: datetime | None
    taken_at_offset_minutes: int | None


def _event(tz: str = "Europe/Brussels") -> Event:
    return Event(slug="ecc", title="ECC", timezone=tz, starts_on=date(2024, 5, 7), ends_on=date(2024, 5, 8))


def _photo(taken_at: datetime | None, offset: int | None, **values: object) -> Photo:
    return Photo(
        taken_at=taken_at,
        taken_at_offset_minutes=offset,
        taken_at_source=TakenAtSource.exif_original if taken_at else TakenAtSource.upload,
        taken_at_flags=values.pop("flags", "offset_from_exif"),
        taken_at_raw=values.pop("raw", None),
        clock_offset_seconds=values.pop("clock", 0),
        **values,
    )


def test_event_zone_is_the_events_zone_and_utc_for_an_unknown_name() -> None:
    assert event_zone(_event()) == BRUSSELS
    assert event_zone(_event("Mars/Olympus_Mons")) == UTC


def test_api_local_time_keeps_the_offset_that_applied() -> None:
    # taken in Kathmandu during a Brussels event: the API says so
    card = Card(datetime(2024, 5, 7, 10, 0, tzinfo=UTC), 345)
    local = reported_local_time(card, BRUSSELS)
    assert local is not None and local.isoformat() == "2024-05-07T15:45:00+05:45"


def test_api_local_time_without_a_recorded_offset_is_in_the_events_zone_not_utc() -> None:
    card = Card(datetime(2024, 5, 7, 7, 31, 55, tzinfo=UTC), None)
    local = reported_local_time(card, BRUSSELS)
    assert local is not None and local.isoformat() == "2024-05-07T09:31:55+02:00"


def test_undated_photos_have_no_local_time_page_time_or_day() -> None:
    card = Card(None, None)
    assert reported_local_time(card, BRUSSELS) is None
    assert page_time(card, BRUSSELS) is None
    assert event_day(card, BRUSSELS) is None
    assert event_time(None, BRUSSELS) is None


def test_page_time_is_on_the_events_clock_without_brackets_when_the_camera_agrees() -> None:
    shown = page_time(Card(datetime(2024, 5, 7, 7, 31, tzinfo=UTC), 120), BRUSSELS)
    assert shown is not None
    assert shown.local.isoformat() == "2024-05-07T09:31:00+02:00"
    assert shown.camera_offset is None


def test_page_time_names_the_cameras_offset_when_it_differs() -> None:
    shown = page_time(Card(datetime(2024, 5, 7, 10, 0, tzinfo=UTC), 345), BRUSSELS)
    assert shown is not None
    assert shown.local.isoformat() == "2024-05-07T12:00:00+02:00"  # the event's clock, not 15:45
    assert shown.camera_offset == KATHMANDU


def test_page_time_compares_with_the_zones_offset_at_that_instant() -> None:
    # Brussels is +01:00 in winter: a camera on +01:00 agrees in January, differs in May
    winter = page_time(Card(datetime(2024, 1, 10, 9, 0, tzinfo=UTC), 60), BRUSSELS)
    summer = page_time(Card(datetime(2024, 5, 7, 9, 0, tzinfo=UTC), 60), BRUSSELS)
    assert winter is not None and winter.camera_offset is None
    assert summer is not None and summer.camera_offset == timedelta(hours=1)


def test_page_time_without_a_recorded_offset_has_no_brackets() -> None:
    shown = page_time(Card(datetime(2024, 5, 7, 7, 0, tzinfo=UTC), None), BRUSSELS)
    assert shown is not None and shown.camera_offset is None


@pytest.mark.parametrize(
    ("taken", "offset", "day"),
    [
        # 23:30 UTC on the 7th is 01:30 on the 8th in Brussels, whatever the camera said
        (datetime(2024, 5, 7, 23, 30, tzinfo=UTC), 0, date(2024, 5, 8)),
        (datetime(2024, 5, 7, 23, 30, tzinfo=UTC), -300, date(2024, 5, 8)),
        (datetime(2024, 5, 7, 21, 59, tzinfo=UTC), 345, date(2024, 5, 7)),  # 03:44 on the 8th in Kathmandu
    ],
)
def test_the_day_of_a_photo_is_taken_in_the_events_zone(taken: datetime, offset: int, day: date) -> None:
    assert event_day(Card(taken, offset), BRUSSELS) == day


def test_page_time_and_day_agree() -> None:
    card = Card(datetime(2024, 5, 7, 22, 30, tzinfo=UTC), -240)  # 18:30 on the 7th on the camera
    shown = page_time(card, BRUSSELS)
    assert shown is not None and shown.local.date() == event_day(card, BRUSSELS) == date(2024, 5, 8)


def test_naive_datetimes_are_read_as_utc() -> None:
    assert event_time(datetime(2024, 5, 7, 7, 0), BRUSSELS) == datetime(2024, 5, 7, 9, 0, tzinfo=BRUSSELS)


def test_camera_offset() -> None:
    assert camera_offset(Card(None, 345)) == KATHMANDU
    assert camera_offset(Card(None, None)) is None
    assert camera_offset(Card(None, 0)) == timedelta(0)


def test_stored_capture_round_trips_through_store_capture() -> None:
    taken = datetime(2024, 3, 31, 0, 30, tzinfo=UTC)
    photo = _photo(taken, 60, flags="clock_corrected,naive_in_event_tz", raw="2024:03:31 01:30:00", clock=600)
    capture = stored_capture(photo, BRUSSELS)
    assert capture is not None
    assert capture.taken_at_utc == taken
    assert capture.taken_at_local is not None and capture.taken_at_local.isoformat() == "2024-03-31T01:30:00+01:00"
    assert capture.source == "exif_original" and capture.raw_value == "2024:03:31 01:30:00"
    assert capture.flags == {"clock_corrected", "naive_in_event_tz"}
    assert capture.clock_offset == timedelta(minutes=10)

    other = _photo(None, None, flags="")
    store_capture(other, capture)
    assert (other.taken_at, other.taken_at_offset_minutes) == (taken, 60)
    assert other.taken_at_flags == "clock_corrected,naive_in_event_tz" and other.clock_offset_seconds == 600


def test_stored_capture_without_an_offset_uses_the_events_zone() -> None:
    capture = stored_capture(_photo(datetime(2024, 5, 7, 7, 0, tzinfo=UTC), None), BRUSSELS)
    assert capture is not None and capture.taken_at_local is not None
    assert capture.taken_at_local.utcoffset() == timedelta(hours=2)


def test_stored_capture_of_an_undated_photo_is_none() -> None:
    assert stored_capture(_photo(None, None), BRUSSELS) is None


def test_offset_minutes() -> None:
    local = datetime(2024, 5, 7, 15, 45, tzinfo=timezone(KATHMANDU))
    assert offset_minutes(CaptureTime(taken_at_utc=local, taken_at_local=local, source="xmp", raw_value=None)) == 345
    assert offset_minutes(CaptureTime(taken_at_utc=None, taken_at_local=None, source="upload", raw_value=None)) is None
