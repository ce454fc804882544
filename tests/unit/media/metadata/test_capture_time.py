"""Capture time from EXIF and XMP, and camera clock corrections (gallery.media.metadata.capture_time)."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from gallery.media.metadata.capture_time import apply_clock_offset, capture_time
from gallery.media.metadata.reading import read_metadata
from gallery.media.metadata.record import RawMetadata

UTC = UTC
BRUSSELS = "Europe/Brussels"

# EXIF tag numbers
MAKE, MODEL, ORIENTATION, DATETIME = 0x010F, 0x0110, 0x0112, 0x0132
DTO, DTD = 0x9003, 0x9004
OFFSET, OFFSET_DTO, OFFSET_DTD = 0x9010, 0x9011, 0x9012
SUBSEC, SUBSEC_DTO, SUBSEC_DTD = 0x9290, 0x9291, 0x9292


def _read(data: bytes, kind: str = "jpeg", **kwargs: Any) -> RawMetadata:
    return read_metadata(io.BytesIO(data), kind=kind, **kwargs)


# ======================================================================================
# Synthetic EXIF: offsets, sub-seconds, fallbacks


def test_offset_plus_0545_with_subseconds(media_jpeg: Callable[..., bytes]) -> None:
    data = media_jpeg(exif={DTO: "2024:05:07 09:30:00", OFFSET_DTO: "+05:45", SUBSEC_DTO: "054"})
    ct = capture_time(_read(data), BRUSSELS)
    assert ct.source == "exif_original"
    assert ct.taken_at_utc == datetime(2024, 5, 7, 3, 45, 0, 54_000, tzinfo=UTC)
    assert ct.taken_at_local is not None
    assert ct.taken_at_local.utcoffset() == timedelta(hours=5, minutes=45)
    assert ct.taken_at_local.isoformat() == "2024-05-07T09:30:00.054000+05:45"
    assert ct.raw_value == "2024:05:07 09:30:00"
    assert ct.raw_subsec == "054" and ct.raw_offset == "+05:45"
    assert ct.flags == frozenset({"offset_from_exif"})
    assert ct.source_tag == "EXIF DateTimeOriginal"


def test_offset_minus_0330(media_jpeg: Callable[..., bytes]) -> None:
    data = media_jpeg(exif={DTO: "2024:07:01 23:10:05", OFFSET_DTO: "-03:30"})
    ct = capture_time(_read(data), BRUSSELS)
    assert ct.taken_at_utc == datetime(2024, 7, 2, 2, 40, 5, tzinfo=UTC)
    assert ct.taken_at_local is not None and ct.taken_at_local.utcoffset() == -timedelta(hours=3, minutes=30)


@pytest.mark.parametrize(
    ("subsec", "micro"),
    [("054", 54_000), ("5", 500_000), ("68", 680_000), ("123456789", 123_456), ("00", 0), (" 42 ", 420_000), ("ab", 0)],
)
def test_subseconds(subsec: str, micro: int) -> None:
    raw = RawMetadata(
        kind="jpeg",
        exif={
            "EXIF DateTimeOriginal": "2024:05:07 09:30:00",
            "EXIF SubSecTimeOriginal": subsec,
            "EXIF OffsetTimeOriginal": "Z",
        },
    )
    ct = capture_time(raw, BRUSSELS)
    assert ct.taken_at_utc == datetime(2024, 5, 7, 9, 30, 0, micro, tzinfo=UTC)


def test_fallback_to_digitized_then_datetime(media_jpeg: Callable[..., bytes]) -> None:
    digitized = media_jpeg(
        exif={DTD: "2024:05:07 10:00:00", OFFSET_DTD: "+02:00", SUBSEC_DTD: "5"}, ifd0={DATETIME: "2024:06:01 00:00:00"}
    )
    ct = capture_time(_read(digitized), BRUSSELS)
    assert ct.source == "exif_digitized"
    assert ct.taken_at_utc == datetime(2024, 5, 7, 8, 0, 0, 500_000, tzinfo=UTC)

    modified = media_jpeg(ifd0={DATETIME: "2024:05:07 11:00:00"}, exif={OFFSET: "+01:00", SUBSEC: "25"})
    ct = capture_time(_read(modified), BRUSSELS)
    assert ct.source == "exif_datetime"
    assert ct.taken_at_utc == datetime(2024, 5, 7, 10, 0, 0, 250_000, tzinfo=UTC)
    assert "offset_from_exif" in ct.flags


def test_original_wins_over_digitized_and_datetime(media_jpeg: Callable[..., bytes]) -> None:
    data = media_jpeg(
        ifd0={DATETIME: "2024:06:01 00:00:00"},
        exif={DTO: "2024:05:07 09:00:00", DTD: "2024:05:07 09:05:00", OFFSET_DTO: "+02:00", OFFSET: "+09:00"},
    )
    ct = capture_time(_read(data), BRUSSELS)
    assert ct.source == "exif_original"
    assert ct.taken_at_utc == datetime(2024, 5, 7, 7, 0, tzinfo=UTC)


def test_the_offset_of_another_field_is_not_borrowed(media_jpeg: Callable[..., bytes]) -> None:
    # OffsetTime belongs to DateTime; a DateTimeOriginal without OffsetTimeOriginal is naive.
    data = media_jpeg(exif={DTO: "2024:05:07 09:00:00", OFFSET: "+09:00"})
    ct = capture_time(_read(data), BRUSSELS)
    assert "naive_in_event_tz" in ct.flags
    assert ct.taken_at_utc == datetime(2024, 5, 7, 7, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "bad",
    [
        "0000:00:00 00:00:00",
        "    :  :     :  :  ",
        "",
        "garbage",
        "2024:13:01 10:00:00",
        "2024:02:30 10:00:00",
        "2024:05:07 25:00:00",
        "2024:05:07",
        "0001:01:01 00:00:00",
        "2024:05:07 10:00:00+99:00",
    ],
)
def test_invalid_values_are_skipped(bad: str) -> None:
    raw = RawMetadata(
        kind="jpeg",
        exif={
            "EXIF DateTimeOriginal": bad,
            "EXIF OffsetTimeOriginal": "+05:00",
            "EXIF DateTimeDigitized": "2024:05:07 12:00:00",
            "EXIF OffsetTimeDigitized": "+02:00",
        },
    )
    ct = capture_time(raw, BRUSSELS)
    assert ct.source == "exif_digitized"
    assert ct.taken_at_utc == datetime(2024, 5, 7, 10, 0, tzinfo=UTC)
    if bad.strip(" :"):
        assert "invalid_value_skipped" in ct.flags


def test_zero_dates_everywhere_mean_upload(media_jpeg: Callable[..., bytes]) -> None:
    data = media_jpeg(
        ifd0={DATETIME: "0000:00:00 00:00:00"}, exif={DTO: "0000:00:00 00:00:00", DTD: "    :  :     :  :  "}
    )
    ct = capture_time(_read(data), BRUSSELS)
    assert ct.source == "upload"
    assert ct.taken_at_utc is None and ct.taken_at_local is None and ct.raw_value is None


def test_invalid_offset_is_ignored_and_flagged() -> None:
    raw = RawMetadata(
        kind="jpeg", exif={"EXIF DateTimeOriginal": "2024:01:15 12:00:00", "EXIF OffsetTimeOriginal": "+25:00"}
    )
    ct = capture_time(raw, BRUSSELS)
    assert {"invalid_offset_ignored", "naive_in_event_tz"} <= ct.flags
    assert ct.taken_at_utc == datetime(2024, 1, 15, 11, 0, tzinfo=UTC)


# ======================================================================================
# Naive times in the event's zone, DST


@pytest.mark.parametrize(
    ("value", "utc", "offset_hours"),
    [
        ("2024:07:01 12:00:00", datetime(2024, 7, 1, 10, 0, tzinfo=UTC), 2),  # summer, CEST
        ("2024:01:15 12:00:00", datetime(2024, 1, 15, 11, 0, tzinfo=UTC), 1),  # winter, CET
    ],
)
def test_naive_time_in_brussels(media_jpeg: Callable[..., bytes], value: str, utc: datetime, offset_hours: int) -> None:
    ct = capture_time(_read(media_jpeg(exif={DTO: value})), BRUSSELS)
    assert ct.taken_at_utc == utc
    assert ct.taken_at_local is not None and ct.taken_at_local.utcoffset() == timedelta(hours=offset_hours)
    assert ct.flags == frozenset({"naive_in_event_tz"})


def test_spring_forward_gap_is_resolved_with_fold_0_and_flagged(media_jpeg: Callable[..., bytes]) -> None:
    ct = capture_time(_read(media_jpeg(exif={DTO: "2024:03:31 02:30:00"})), BRUSSELS)
    zoneinfo_says = datetime(2024, 3, 31, 2, 30, fold=0, tzinfo=ZoneInfo(BRUSSELS))
    assert ct.taken_at_utc == zoneinfo_says.astimezone(UTC) == datetime(2024, 3, 31, 1, 30, tzinfo=UTC)
    assert ct.taken_at_local is not None
    assert ct.taken_at_local.replace(tzinfo=None) == datetime(2024, 3, 31, 2, 30)
    assert ct.taken_at_local.utcoffset() == timedelta(hours=1)
    assert "nonexistent_local_time" in ct.flags and "ambiguous_local_time" not in ct.flags


def test_fall_back_hour_is_resolved_with_fold_0_and_flagged(media_jpeg: Callable[..., bytes]) -> None:
    ct = capture_time(_read(media_jpeg(exif={DTO: "2024:10:27 02:30:00"})), BRUSSELS)
    zoneinfo_says = datetime(2024, 10, 27, 2, 30, fold=0, tzinfo=ZoneInfo(BRUSSELS))
    assert ct.taken_at_utc == zoneinfo_says.astimezone(UTC) == datetime(2024, 10, 27, 0, 30, tzinfo=UTC)
    assert ct.taken_at_local is not None and ct.taken_at_local.utcoffset() == timedelta(hours=2)
    assert "ambiguous_local_time" in ct.flags and "nonexistent_local_time" not in ct.flags


def test_ordinary_times_around_transitions_are_not_flagged() -> None:
    for value in ("2024:03:31 01:59:59", "2024:03:31 03:00:00", "2024:10:27 01:59:59", "2024:10:27 03:00:00"):
        ct = capture_time(RawMetadata(kind="jpeg", exif={"EXIF DateTimeOriginal": value}), BRUSSELS)
        assert ct.flags == frozenset({"naive_in_event_tz"}), value


@pytest.mark.parametrize(
    ("zone", "utc"),
    [
        ("Asia/Kathmandu", datetime(2024, 5, 7, 3, 45, tzinfo=UTC)),
        ("America/St_Johns", datetime(2024, 5, 7, 12, 0, tzinfo=UTC)),
        ("UTC", datetime(2024, 5, 7, 9, 30, tzinfo=UTC)),
    ],
)
def test_naive_time_in_other_zones(zone: str, utc: datetime) -> None:
    raw = RawMetadata(kind="jpeg", exif={"EXIF DateTimeOriginal": "2024:05:07 09:30:00"})
    assert capture_time(raw, zone).taken_at_utc == utc


def test_unknown_zone_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="time zone"):
        capture_time(RawMetadata(kind="jpeg"), "Mars/Olympus_Mons")


# ======================================================================================
# XMP dates


def test_xmp_create_date_with_offset(media_jpeg: Callable[..., bytes], media_xmp: Callable[..., str]) -> None:
    data = media_jpeg(xmp=media_xmp("<xmp:CreateDate>2024-05-07T09:30:00.25-03:30</xmp:CreateDate>"))
    ct = capture_time(_read(data), BRUSSELS)
    assert ct.source == "xmp" and ct.source_tag == "xmp:CreateDate"
    assert ct.taken_at_utc == datetime(2024, 5, 7, 13, 0, 0, 250_000, tzinfo=UTC)
    assert ct.raw_value == "2024-05-07T09:30:00.25-03:30"
    assert "offset_from_xmp" in ct.flags


def test_xmp_attribute_form_and_z(media_jpeg: Callable[..., bytes], media_xmp: Callable[..., str]) -> None:
    packet = media_xmp("").replace('rdf:about=""', 'rdf:about="" xmp:CreateDate="2024-05-07T09:30Z"')
    ct = capture_time(_read(media_jpeg(xmp=packet)), BRUSSELS)
    assert ct.source == "xmp" and ct.taken_at_utc == datetime(2024, 5, 7, 9, 30, tzinfo=UTC)


def test_xmp_order_original_then_create_then_photoshop(
    media_jpeg: Callable[..., bytes], media_xmp: Callable[..., str]
) -> None:
    body = (
        "<photoshop:DateCreated>2024-05-01T08:00:00+02:00</photoshop:DateCreated>"
        "<xmp:CreateDate>2024-05-02T08:00:00+02:00</xmp:CreateDate>"
        "<exif:DateTimeOriginal>2024-05-03T08:00:00+02:00</exif:DateTimeOriginal>"
        "<xmp:ModifyDate>2024-06-01T08:00:00+02:00</xmp:ModifyDate>"
    )
    ct = capture_time(_read(media_jpeg(xmp=media_xmp(body))), BRUSSELS)
    assert ct.source_tag == "exif:DateTimeOriginal" and ct.taken_at_utc == datetime(2024, 5, 3, 6, 0, tzinfo=UTC)


def test_photoshop_date_created_naive_is_read_in_event_zone(
    media_jpeg: Callable[..., bytes], media_xmp: Callable[..., str]
) -> None:
    body = "<photoshop:DateCreated>2024-05-07T09:30:00</photoshop:DateCreated>"
    ct = capture_time(_read(media_jpeg(xmp=media_xmp(body))), BRUSSELS)
    assert ct.source == "xmp" and ct.source_tag == "photoshop:DateCreated"
    assert ct.taken_at_utc == datetime(2024, 5, 7, 7, 30, tzinfo=UTC)
    assert "naive_in_event_tz" in ct.flags


def test_date_only_xmp_value_is_not_a_time(media_jpeg: Callable[..., bytes], media_xmp: Callable[..., str]) -> None:
    body = "<photoshop:DateCreated>2024-05-07</photoshop:DateCreated>"
    assert capture_time(_read(media_jpeg(xmp=media_xmp(body))), BRUSSELS).source == "upload"


def test_modify_date_only_means_upload(media_jpeg: Callable[..., bytes], media_xmp: Callable[..., str]) -> None:
    body = (
        "<xmp:ModifyDate>2024-05-07T09:30:00+02:00</xmp:ModifyDate>"
        "<xmp:MetadataDate>2024-05-07T09:30:00+02:00</xmp:MetadataDate>"
    )
    ct = capture_time(_read(media_jpeg(xmp=media_xmp(body))), BRUSSELS)
    assert ct.source == "upload" and ct.taken_at_utc is None


def test_exif_wins_over_xmp(media_jpeg: Callable[..., bytes], media_xmp: Callable[..., str]) -> None:
    data = media_jpeg(
        exif={DTO: "2024:05:07 09:30:00"}, xmp=media_xmp("<xmp:CreateDate>2020-01-01T00:00:00Z</xmp:CreateDate>")
    )
    assert capture_time(_read(data), BRUSSELS).source == "exif_original"


# ======================================================================================
# Camera clock correction


def test_apply_clock_offset_shifts_both_and_keeps_the_raw_value() -> None:
    raw = RawMetadata(
        kind="jpeg", exif={"EXIF DateTimeOriginal": "2024:05:07 09:30:00", "EXIF OffsetTimeOriginal": "+02:00"}
    )
    ct = capture_time(raw, BRUSSELS)
    fixed = apply_clock_offset(ct, timedelta(hours=1, minutes=3))
    assert fixed.taken_at_utc == datetime(2024, 5, 7, 8, 33, tzinfo=UTC)
    assert fixed.taken_at_local is not None and fixed.taken_at_local.isoformat() == "2024-05-07T10:33:00+02:00"
    assert fixed.raw_value == "2024:05:07 09:30:00" and fixed.source == "exif_original"
    assert "clock_corrected" in fixed.flags and "offset_from_exif" in fixed.flags
    assert fixed.clock_offset == timedelta(hours=1, minutes=3)
    again = apply_clock_offset(fixed, timedelta(minutes=-3))
    assert again.clock_offset == timedelta(hours=1)
    assert again.taken_at_utc == datetime(2024, 5, 7, 8, 30, tzinfo=UTC)


def test_apply_clock_offset_across_dst_in_event_zone() -> None:
    # Camera 2 h behind, naive time just before the spring-forward change.
    raw = RawMetadata(kind="jpeg", exif={"EXIF DateTimeOriginal": "2024:03:31 01:30:00"})
    ct = capture_time(raw, BRUSSELS)
    assert ct.taken_at_utc == datetime(2024, 3, 31, 0, 30, tzinfo=UTC)
    fixed = apply_clock_offset(ct, timedelta(hours=2), event_tz=BRUSSELS)
    assert fixed.taken_at_local is not None and fixed.taken_at_local.isoformat() == "2024-03-31T03:30:00+02:00"
    assert fixed.taken_at_utc == datetime(2024, 3, 31, 1, 30, tzinfo=UTC)
    # Without the zone, the shift is plain arithmetic on both values.
    plain = apply_clock_offset(ct, timedelta(hours=2))
    assert plain.taken_at_utc == datetime(2024, 3, 31, 2, 30, tzinfo=UTC)


def test_apply_clock_offset_leaves_upload_times_alone() -> None:
    ct = capture_time(RawMetadata(kind="jpeg"), BRUSSELS)
    assert apply_clock_offset(ct, timedelta(hours=1)) == ct
