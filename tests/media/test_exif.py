"""EXIF/XMP reading and interpretation (gallery.media.exif)."""

from __future__ import annotations

import io
import struct
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from fractions import Fraction
from pathlib import Path
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

import exifread
import pytest

from gallery.media import exif as exif_mod
from gallery.media.captions import extract_captions
from gallery.media.exif import (
    CameraInfo,
    CaptureTime,
    GpsPosition,
    RawMetadata,
    apply_clock_offset,
    camera_info,
    capture_time,
    gps,
    parse_xmp_packet,
    read_metadata,
)
from gallery.media.sniff import SNIFF_BYTES, detect

UTC = timezone.utc
BRUSSELS = "Europe/Brussels"

# EXIF tag numbers
MAKE, MODEL, ORIENTATION, DATETIME = 0x010F, 0x0110, 0x0112, 0x0132
DTO, DTD = 0x9003, 0x9004
OFFSET, OFFSET_DTO, OFFSET_DTD = 0x9010, 0x9011, 0x9012
SUBSEC, SUBSEC_DTO, SUBSEC_DTD = 0x9290, 0x9291, 0x9292


def _kind(path: Path) -> str:
    with path.open("rb") as handle:
        return detect(handle.read(SNIFF_BYTES)).kind


def _read(data: bytes, kind: str = "jpeg", **kwargs: Any) -> RawMetadata:
    return read_metadata(io.BytesIO(data), kind=kind, **kwargs)


def _offset(text: str) -> timedelta:
    sign = -1 if text.startswith("-") else 1
    hours, minutes = text[1:].split(":")
    return sign * timedelta(hours=int(hours), minutes=int(minutes))


# ======================================================================================
# The ExifTool oracle


def test_capture_time_agrees_with_exiftool(media_oracle_dto_entry: dict[str, Any], media_corpus: Path) -> None:
    entry = media_oracle_dto_entry
    path = media_corpus / "exif-samples" / entry["file"]
    raw = read_metadata(path, kind=_kind(path))
    ct = capture_time(raw, BRUSSELS)

    # Build the expected value from the oracle's strings, independently of the code under test.
    wall = datetime.strptime(entry["DateTimeOriginal"], "%Y:%m:%d %H:%M:%S")
    if entry.get("SubSecTimeOriginal"):
        wall = wall.replace(microsecond=int((entry["SubSecTimeOriginal"] + "000000")[:6]))
    assert ct.source == "exif_original"
    assert ct.raw_value is not None and ct.raw_value.strip() == entry["DateTimeOriginal"]
    assert ct.taken_at_local is not None and ct.taken_at_utc is not None
    assert ct.taken_at_utc.tzinfo is not None and ct.taken_at_utc.utcoffset() == timedelta(0)
    assert ct.taken_at_local.replace(tzinfo=None) == wall
    if entry.get("OffsetTimeOriginal"):
        offset = _offset(entry["OffsetTimeOriginal"])
        assert ct.taken_at_local.utcoffset() == offset
        assert ct.taken_at_utc == (wall - offset).replace(tzinfo=UTC)
        assert "offset_from_exif" in ct.flags
    else:
        expected = wall.replace(tzinfo=ZoneInfo(BRUSSELS))
        assert ct.taken_at_utc == expected.astimezone(UTC)
        assert ct.taken_at_local.utcoffset() == expected.utcoffset()
        assert "naive_in_event_tz" in ct.flags


# ExifTool reads these from blocks exifread does not parse (Canon CIFF, Olympus PictureInfo).
_NOT_IN_EXIF = {"jpg/exif-org/sony-powershota5.jpg", "jpg/exif-org/olympus-d320l.jpg"}


def test_camera_and_gps_agree_with_exiftool(media_oracle_entry: dict[str, Any], media_corpus: Path) -> None:
    entry = media_oracle_entry
    path = media_corpus / "exif-samples" / entry["file"]
    raw = read_metadata(path, kind=_kind(path))
    position = gps(raw)
    assert (position is not None) == bool(entry["has_GPSLatitude"])
    if position is not None:
        assert -90 <= position.latitude <= 90 and -180 <= position.longitude <= 180
    camera = camera_info(raw)
    if entry["file"] not in _NOT_IN_EXIF:
        assert camera.make == (entry["Make"].strip() if entry["Make"] else None)
        assert camera.model == (entry["Model"].strip() if entry["Model"] else None)
    ifd0_orientation = (entry.get("Orientation_sources") or {}).get("IFD0:Orientation")
    if ifd0_orientation is not None:
        assert camera.orientation == ifd0_orientation


# ======================================================================================
# Every corpus file


def test_every_corpus_file_is_read_without_raising_and_quickly(media_corpus_file: Path) -> None:
    kind = _kind(media_corpus_file)
    started = time.monotonic()
    raw = read_metadata(media_corpus_file, kind=kind)
    elapsed = time.monotonic() - started
    assert elapsed < 5.0
    assert isinstance(raw, RawMetadata)
    assert raw.exif_ok or (raw.exif_error or "").startswith("EXIF unreadable")
    # The pure functions never raise on what read_metadata returned.
    assert isinstance(capture_time(raw, BRUSSELS), CaptureTime)
    assert isinstance(camera_info(raw), CameraInfo)
    position = gps(raw)
    assert position is None or isinstance(position, GpsPosition)
    extract_captions(raw, None)


def test_corpus_quirks(media_corpus: Path) -> None:
    pillow = media_corpus / "pillow-images"
    # WebP EXIF chunk without the "Exif\0\0" prefix: exifread misses it, the chunk walk finds it.
    flower = read_metadata(pillow / "flower2.webp", kind="webp")
    assert flower.exif.get("Image DateTime") and flower.exif_ok
    # PNG EXIF in a tEXt chunk / an ImageMagick hex dump: orientation still found.
    for name in ("exif_text.png", "exif_imagemagick.png", "exif.png"):
        assert camera_info(read_metadata(pillow / name, kind="png")).orientation == 1
    # Orientation only in XMP (PNG iTXt, AVIF item).
    assert camera_info(read_metadata(pillow / "xmp_tags_orientation.png", kind="png")).orientation == 3
    assert camera_info(read_metadata(pillow / "avif" / "xmp_tags_orientation.avif", kind="avif")).orientation == 3
    # AVIF EXIF item.
    assert read_metadata(pillow / "avif" / "exif.avif", kind="avif").exif
    # Fuzzer TIFF with 61 457 directory entries: exifread would churn; the budget stops it.
    started = time.monotonic()
    hostile = read_metadata(pillow / "timeout-6646305047838720", kind="tiff")
    assert time.monotonic() - started < 3
    assert not hostile.exif_ok and hostile.exif_error and hostile.exif_error.startswith("EXIF unreadable")
    # exifread chokes on a corrupt PNG chunk: reported, not raised.
    broken = read_metadata(pillow / "broken_data_stream.png", kind="png")
    assert not broken.exif_ok and (broken.exif_error or "").startswith("EXIF unreadable")
    # BigTIFF: exifread does not understand it; nothing is read, nothing breaks.
    big = read_metadata(pillow / "seek_too_large.tif", kind="tiff")
    assert big.exif == {} and big.exif_ok
    # HEIC from an iPhone: EXIF with offset, XMP found too.
    heic = read_metadata(media_corpus / "exif-samples" / "heic" / "IMG_5195.HEIC", kind="heic")
    assert heic.exif.get("EXIF OffsetTimeOriginal") == "-05:00"
    assert heic.xmp


def test_heic_brand_exifread_does_not_know_falls_back_to_pillow_heif(media_corpus: Path) -> None:
    data = (media_corpus / "exif-samples" / "heic" / "IMG_5195.HEIC").read_bytes()
    assert data[8:12] == b"heic"
    heix = data[:8] + b"heix" + data[12:]  # exifread only recognises heic/avif/mif1 major brands
    assert detect(heix).kind == "heic"
    raw = read_metadata(io.BytesIO(heix), kind="heic")
    assert raw.exif_ok and "EXIF read from the embedded EXIF payload" in raw.warnings
    ct = capture_time(raw, BRUSSELS)
    assert ct.source == "exif_original" and ct.raw_offset == "-05:00" and ct.raw_subsec == "054"
    assert gps(raw) is not None


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
    raw = RawMetadata(kind="jpeg", exif={"EXIF DateTimeOriginal": "2024:05:07 09:30:00", "EXIF SubSecTimeOriginal": subsec, "EXIF OffsetTimeOriginal": "Z"})
    ct = capture_time(raw, BRUSSELS)
    assert ct.taken_at_utc == datetime(2024, 5, 7, 9, 30, 0, micro, tzinfo=UTC)


def test_fallback_to_digitized_then_datetime(media_jpeg: Callable[..., bytes]) -> None:
    digitized = media_jpeg(exif={DTD: "2024:05:07 10:00:00", OFFSET_DTD: "+02:00", SUBSEC_DTD: "5"}, ifd0={DATETIME: "2024:06:01 00:00:00"})
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
    ["0000:00:00 00:00:00", "    :  :     :  :  ", "", "garbage", "2024:13:01 10:00:00", "2024:02:30 10:00:00",
     "2024:05:07 25:00:00", "2024:05:07", "0001:01:01 00:00:00", "2024:05:07 10:00:00+99:00"],
)
def test_invalid_values_are_skipped(bad: str) -> None:
    raw = RawMetadata(
        kind="jpeg",
        exif={"EXIF DateTimeOriginal": bad, "EXIF OffsetTimeOriginal": "+05:00", "EXIF DateTimeDigitized": "2024:05:07 12:00:00", "EXIF OffsetTimeDigitized": "+02:00"},
    )
    ct = capture_time(raw, BRUSSELS)
    assert ct.source == "exif_digitized"
    assert ct.taken_at_utc == datetime(2024, 5, 7, 10, 0, tzinfo=UTC)
    if bad.strip(" :"):
        assert "invalid_value_skipped" in ct.flags


def test_zero_dates_everywhere_mean_upload(media_jpeg: Callable[..., bytes]) -> None:
    data = media_jpeg(ifd0={DATETIME: "0000:00:00 00:00:00"}, exif={DTO: "0000:00:00 00:00:00", DTD: "    :  :     :  :  "})
    ct = capture_time(_read(data), BRUSSELS)
    assert ct.source == "upload"
    assert ct.taken_at_utc is None and ct.taken_at_local is None and ct.raw_value is None


def test_invalid_offset_is_ignored_and_flagged() -> None:
    raw = RawMetadata(kind="jpeg", exif={"EXIF DateTimeOriginal": "2024:01:15 12:00:00", "EXIF OffsetTimeOriginal": "+25:00"})
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


def test_xmp_order_original_then_create_then_photoshop(media_jpeg: Callable[..., bytes], media_xmp: Callable[..., str]) -> None:
    body = (
        "<photoshop:DateCreated>2024-05-01T08:00:00+02:00</photoshop:DateCreated>"
        "<xmp:CreateDate>2024-05-02T08:00:00+02:00</xmp:CreateDate>"
        "<exif:DateTimeOriginal>2024-05-03T08:00:00+02:00</exif:DateTimeOriginal>"
        "<xmp:ModifyDate>2024-06-01T08:00:00+02:00</xmp:ModifyDate>"
    )
    ct = capture_time(_read(media_jpeg(xmp=media_xmp(body))), BRUSSELS)
    assert ct.source_tag == "exif:DateTimeOriginal" and ct.taken_at_utc == datetime(2024, 5, 3, 6, 0, tzinfo=UTC)


def test_photoshop_date_created_naive_is_read_in_event_zone(media_jpeg: Callable[..., bytes], media_xmp: Callable[..., str]) -> None:
    body = "<photoshop:DateCreated>2024-05-07T09:30:00</photoshop:DateCreated>"
    ct = capture_time(_read(media_jpeg(xmp=media_xmp(body))), BRUSSELS)
    assert ct.source == "xmp" and ct.source_tag == "photoshop:DateCreated"
    assert ct.taken_at_utc == datetime(2024, 5, 7, 7, 30, tzinfo=UTC)
    assert "naive_in_event_tz" in ct.flags


def test_date_only_xmp_value_is_not_a_time(media_jpeg: Callable[..., bytes], media_xmp: Callable[..., str]) -> None:
    body = "<photoshop:DateCreated>2024-05-07</photoshop:DateCreated>"
    assert capture_time(_read(media_jpeg(xmp=media_xmp(body))), BRUSSELS).source == "upload"


def test_modify_date_only_means_upload(media_jpeg: Callable[..., bytes], media_xmp: Callable[..., str]) -> None:
    body = "<xmp:ModifyDate>2024-05-07T09:30:00+02:00</xmp:ModifyDate><xmp:MetadataDate>2024-05-07T09:30:00+02:00</xmp:MetadataDate>"
    ct = capture_time(_read(media_jpeg(xmp=media_xmp(body))), BRUSSELS)
    assert ct.source == "upload" and ct.taken_at_utc is None


def test_exif_wins_over_xmp(media_jpeg: Callable[..., bytes], media_xmp: Callable[..., str]) -> None:
    data = media_jpeg(exif={DTO: "2024:05:07 09:30:00"}, xmp=media_xmp("<xmp:CreateDate>2020-01-01T00:00:00Z</xmp:CreateDate>"))
    assert capture_time(_read(data), BRUSSELS).source == "exif_original"


def test_xmp_with_entities_is_refused_without_expanding(media_jpeg: Callable[..., bytes]) -> None:
    bomb = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(f'<!ENTITY lol{i} "{"&lol" + str(i - 1) + ";" if i else "&lol;"}' * 10 + '">' for i in range(9))
        + ']><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
        'xmlns:xmp="http://ns.adobe.com/xap/1.0/"><xmp:CreateDate>&lol8;</xmp:CreateDate></rdf:Description></rdf:RDF></x:xmpmeta>'
    )
    started = time.monotonic()
    raw = _read(media_jpeg(exif={DTO: "2024:05:07 09:30:00"}, xmp=bomb))
    assert time.monotonic() - started < 2
    assert raw.xmp == {} and not raw.xmp_ok and "DOCTYPE" in (raw.xmp_error or "")
    assert raw.exif_ok and capture_time(raw, BRUSSELS).source == "exif_original"
    with pytest.raises(ValueError):
        parse_xmp_packet(b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>')


def test_malformed_xmp_is_reported_not_raised(media_jpeg: Callable[..., bytes]) -> None:
    raw = _read(media_jpeg(exif={DTO: "2024:05:07 09:30:00"}, xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF></x:xmpmeta>'))
    assert not raw.xmp_ok and raw.xmp_error and raw.xmp_error.startswith("XMP unreadable")
    assert raw.exif_ok and raw.exif["EXIF DateTimeOriginal"] == "2024:05:07 09:30:00"


def test_parse_xmp_packet_structures(media_xmp: Callable[..., str]) -> None:
    body = (
        '<dc:title><rdf:Alt><rdf:li xml:lang="pl">Tytuł</rdf:li><rdf:li xml:lang="x-default">Title</rdf:li></rdf:Alt></dc:title>'
        "<dc:subject><rdf:Bag><rdf:li>one</rdf:li><rdf:li>two</rdf:li></rdf:Bag></dc:subject>"
        "<dc:creator><rdf:Seq><rdf:li>Ann</rdf:li><rdf:li>Bob</rdf:li></rdf:Seq></dc:creator>"
        '<xmpRights:WebStatement rdf:resource="https://example.org/licence"/>'
        "<other:Thing>x</other:Thing>"
        "<xmpMM:Pantry><rdf:Bag><rdf:li><rdf:Description><dc:description>not ours</dc:description>"
        "<xmp:CreateDate>1999-01-01T00:00:00Z</xmp:CreateDate></rdf:Description></rdf:li></rdf:Bag></xmpMM:Pantry>"
    )
    packet = media_xmp(
        body,
        {
            "xmpRights": "http://ns.adobe.com/xap/1.0/rights/",
            "other": "urn:example:other/",
            "xmpMM": "http://ns.adobe.com/xap/1.0/mm/",
        },
    )
    props = parse_xmp_packet(packet)
    assert props["dc:title"] == ("Title", "Tytuł")
    assert props["dc:subject"] == ("one", "two")
    assert props["dc:creator"] == ("Ann", "Bob")
    assert props["xmpRights:WebStatement"] == ("https://example.org/licence",)
    assert props["{urn:example:other/}Thing"] == ("x",)
    assert "dc:description" not in props and "xmp:CreateDate" not in props


def test_xmp_prefix_is_resolved_by_namespace_not_by_name(media_jpeg: Callable[..., bytes], media_xmp: Callable[..., str]) -> None:
    packet = media_xmp("<a:CreateDate>2024-05-07T09:30:00Z</a:CreateDate>", {"a": "http://ns.adobe.com/xap/1.0/"})
    assert capture_time(_read(media_jpeg(xmp=packet)), BRUSSELS).source_tag == "xmp:CreateDate"


# ======================================================================================
# Camera clock correction


def test_apply_clock_offset_shifts_both_and_keeps_the_raw_value() -> None:
    raw = RawMetadata(kind="jpeg", exif={"EXIF DateTimeOriginal": "2024:05:07 09:30:00", "EXIF OffsetTimeOriginal": "+02:00"})
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


# ======================================================================================
# Camera facts


def test_camera_info_from_a_synthetic_jpeg(media_jpeg: Callable[..., bytes]) -> None:
    from PIL.TiffImagePlugin import IFDRational

    data = media_jpeg(
        ifd0={MAKE: "Canon\x00\x00  ", MODEL: "  Canon EOS R5 ", ORIENTATION: 6},
        exif={
            0xA431: "012345678901",  # BodySerialNumber
            0xA434: "RF24-70mm F2.8 L IS USM",  # LensModel
            0xA433: "Canon",  # LensMake
            0x920A: IFDRational(70, 1),  # FocalLength
            0x829D: IFDRational(28, 10),  # FNumber
            0x829A: IFDRational(1, 250),  # ExposureTime
            0x8827: 400,  # ISO
        },
    )
    info = camera_info(_read(data))
    assert info == CameraInfo(
        make="Canon", model="Canon EOS R5", serial="012345678901", lens="RF24-70mm F2.8 L IS USM", lens_make="Canon",
        focal_length_mm=70.0, aperture=2.8, exposure_time="1/250", iso=400, orientation=6,
    )


@pytest.mark.parametrize(
    ("value", "text"),
    [(Fraction(1, 250), "1/250"), (Fraction(10, 2500), "1/250"), (Fraction(2), "2"), (Fraction(13, 10), "1.3"),
     (Fraction(10, 30), "1/3"), (Fraction(1, 3) + Fraction(1, 1000), "1/3"), (Fraction(0), None)],
)
def test_exposure_time_formatting(value: Fraction, text: str | None) -> None:
    assert camera_info(RawMetadata(kind="jpeg", exif={"EXIF ExposureTime": value})).exposure_time == text


def test_camera_strings_are_cleaned_and_capped() -> None:
    raw = RawMetadata(kind="jpeg", exif={"Image Make": "A\x00B\x07C" + "x" * 400, "Image Orientation": 9, "EXIF ISOSpeedRatings": (200, 200)})
    info = camera_info(raw)
    assert info.make is not None and info.make.startswith("A B C") and len(info.make) == 255
    assert info.orientation is None and info.iso == 200


def test_aperture_from_apex_and_unusable_values() -> None:
    assert camera_info(RawMetadata(kind="jpeg", exif={"EXIF ApertureValue": Fraction(3)})).aperture == 2.8
    assert camera_info(RawMetadata(kind="jpeg", exif={"EXIF FNumber": Fraction(0)})).aperture is None


# ======================================================================================
# GPS


def test_gps_south_west_and_below_sea_level(media_jpeg: Callable[..., bytes]) -> None:
    from PIL.TiffImagePlugin import IFDRational

    data = media_jpeg(
        gps={
            1: "S", 2: (IFDRational(33, 1), IFDRational(52, 1), IFDRational(1234, 100)),
            3: "W", 4: (IFDRational(151, 1), IFDRational(12, 1), IFDRational(30, 1)),
            5: b"\x01", 6: IFDRational(15, 1),
        }
    )
    position = gps(_read(data))
    assert position is not None
    assert position.latitude == pytest.approx(-(33 + 52 / 60 + 12.34 / 3600))
    assert position.longitude == pytest.approx(-(151 + 12 / 60 + 30 / 3600))
    assert position.altitude == pytest.approx(-15.0)


@pytest.mark.parametrize(
    "exif",
    [
        {"GPS GPSLatitude": (Fraction(0), Fraction(0), Fraction(0)), "GPS GPSLongitude": (Fraction(0), Fraction(0), Fraction(0))},
        {"GPS GPSLatitude": (Fraction(91), Fraction(0), Fraction(0)), "GPS GPSLongitude": (Fraction(1), Fraction(0), Fraction(0))},
        {"GPS GPSLatitude": (Fraction(50), Fraction(0), Fraction(0)), "GPS GPSLongitude": (Fraction(4), Fraction(0), Fraction(0)), "GPS GPSStatus": "V"},
        {"GPS GPSLatitude": (Fraction(50), Fraction(0), Fraction(0))},
        {},
    ],
)
def test_gps_without_a_usable_fix(exif: dict[str, Any]) -> None:
    assert gps(RawMetadata(kind="jpeg", exif=exif)) is None


def test_gps_from_xmp() -> None:
    raw = RawMetadata(kind="jpeg", xmp={"exif:GPSLatitude": ("50,50.5N",), "exif:GPSLongitude": ("4,21.5W",), "exif:GPSAltitude": ("120/2",)})
    assert gps(raw) == GpsPosition(latitude=pytest.approx(50 + 50.5 / 60), longitude=pytest.approx(-(4 + 21.5 / 60)), altitude=60.0)  # type: ignore[arg-type]


# ======================================================================================
# The time budget: hostile structures never hang


def _tiff(entries: list[tuple[int, int, int, bytes]], *, next_ifd: Callable[[int], int], extra_ifd: bool = False) -> bytes:
    """Little-endian TIFF with IFD0 at 8; ``next_ifd(ifd0_end)`` gives IFD0's next pointer.

    Entries are (tag, type, count, 4-byte value); ASCII values longer than 4 bytes are
    placed after the IFD(s).
    """
    header = b"II*\x00" + struct.pack("<I", 8)
    ifd_size = 2 + 12 * len(entries) + 4
    data_start = 8 + ifd_size * (2 if extra_ifd else 1)
    blobs = b""
    body = struct.pack("<H", len(entries))
    for tag, ftype, count, value in entries:
        if len(value) > 4:
            body += struct.pack("<HHII", tag, ftype, count, data_start + len(blobs))
            blobs += value
        else:
            body += struct.pack("<HHI", tag, ftype, count) + value.ljust(4, b"\x00")
    second_at = 8 + ifd_size
    body += struct.pack("<I", next_ifd(second_at))
    out = header + body
    if extra_ifd:  # a second IFD that points back to IFD0
        out += struct.pack("<H", 1) + struct.pack("<HHI", 0x0100, 3, 1) + struct.pack("<HH", 8, 0) + struct.pack("<I", 8)
    return out + blobs


_DATETIME_ENTRY = (0x0132, 2, 20, b"2024:05:07 09:30:00\x00")


@pytest.mark.parametrize(
    "case",
    ["self-loop", "two-ifd-loop", "exif-ifd-points-to-ifd0", "huge-count"],
)
@pytest.mark.parametrize("container", ["tiff", "jpeg"])
def test_cyclic_and_hostile_ifds_never_hang(case: str, container: str) -> None:
    if case == "self-loop":
        tiff = _tiff([_DATETIME_ENTRY], next_ifd=lambda _: 8)
    elif case == "two-ifd-loop":
        tiff = _tiff([_DATETIME_ENTRY], next_ifd=lambda second: second, extra_ifd=True)
    elif case == "exif-ifd-points-to-ifd0":
        tiff = _tiff([_DATETIME_ENTRY, (0x8769, 4, 1, struct.pack("<I", 8))], next_ifd=lambda _: 0)
    else:  # an ASCII tag claiming 4 GB, and a SHORT array claiming 999 values off the end
        tiff = _tiff([_DATETIME_ENTRY, (0x010E, 2, 0xFFFFFFF0, struct.pack("<I", 40)), (0x0111, 3, 999, struct.pack("<I", 0x7FFFFFF0))], next_ifd=lambda _: 0)
    data = tiff
    if container == "jpeg":
        app1 = b"Exif\x00\x00" + tiff
        data = b"\xff\xd8" + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + b"\xff\xd9"
    started = time.monotonic()
    raw = _read(data, kind=container, time_budget=2.0)
    assert time.monotonic() - started < 3.0
    if raw.exif_ok:  # read what could be read
        assert capture_time(raw, BRUSSELS).source in ("exif_datetime", "upload")
    else:
        assert (raw.exif_error or "").startswith("EXIF unreadable")


@pytest.mark.parametrize("container", ["tiff", "jpeg"])
def test_a_directory_claiming_65535_entries_is_given_up_deterministically(container: str) -> None:
    tiff = b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 0xFFFF) + b"\x00" * 64
    data = tiff if container == "tiff" else b"\xff\xd8\xff\xe1" + struct.pack(">H", len(tiff) + 8) + b"Exif\x00\x00" + tiff + b"\xff\xd9"
    started = time.monotonic()
    raw = _read(data, kind=container, time_budget=30.0)  # the read cap, not the clock, stops it
    assert time.monotonic() - started < 3.0
    assert not raw.exif_ok
    assert raw.exif_error == f"EXIF unreadable: gave up (more than {exif_mod.EXIF_MAX_CALLS} reads)"


def test_budget_stops_a_reader_that_never_finishes(monkeypatch: pytest.MonkeyPatch, media_jpeg: Callable[..., bytes]) -> None:
    def endless(fh: BinaryIO, **_: Any) -> dict[str, Any]:
        while True:  # what exifread does on some cyclic structures
            fh.seek(0)
            fh.read(2)

    monkeypatch.setattr(exifread, "process_file", endless)
    started = time.monotonic()
    raw = _read(media_jpeg(exif={DTO: "2024:05:07 09:30:00"}), time_budget=2.0)
    assert time.monotonic() - started < 3.0
    assert not raw.exif_ok
    assert raw.exif_error is not None and raw.exif_error.startswith("EXIF unreadable: gave up")


def test_budget_deadline_stops_slow_reads(monkeypatch: pytest.MonkeyPatch, media_jpeg: Callable[..., bytes]) -> None:
    def slow(fh: BinaryIO, **_: Any) -> dict[str, Any]:
        while True:
            time.sleep(0.002)
            fh.read(1)

    monkeypatch.setattr(exifread, "process_file", slow)
    monkeypatch.setattr(exif_mod, "EXIF_MAX_CALLS", 10**9)
    started = time.monotonic()
    raw = _read(media_jpeg(), time_budget=0.3)
    assert time.monotonic() - started < 1.5
    assert not raw.exif_ok and "time budget" in (raw.exif_error or "")


def test_budget_refuses_huge_reads(monkeypatch: pytest.MonkeyPatch, media_jpeg: Callable[..., bytes]) -> None:
    seen: list[int] = []

    def greedy(fh: BinaryIO, **_: Any) -> dict[str, Any]:
        fh.seek(0)
        while True:
            data = fh.read(1 << 31)
            seen.append(len(data))
            fh.seek(0)

    monkeypatch.setattr(exifread, "process_file", greedy)
    raw = _read(media_jpeg(), time_budget=2.0)
    assert not raw.exif_ok
    assert max(seen) <= exif_mod.EXIF_MAX_BYTES + 1


def test_any_exifread_exception_is_reported(monkeypatch: pytest.MonkeyPatch, media_jpeg: Callable[..., bytes]) -> None:
    def broken(fh: BinaryIO, **_: Any) -> dict[str, Any]:
        raise struct.error("unpack requires a buffer of 4 bytes")

    monkeypatch.setattr(exifread, "process_file", broken)
    raw = _read(media_jpeg(exif={DTO: "2024:05:07 09:30:00"}))
    # The JPEG segment walk still finds the EXIF payload and reads it another way...
    # ...but exifread is what parses it, so the failure is what is reported.
    assert not raw.exif_ok
    assert raw.exif_error == "EXIF unreadable: error: unpack requires a buffer of 4 bytes"


def test_file_position_is_restored_and_paths_work(tmp_path: Path, media_jpeg: Callable[..., bytes]) -> None:
    data = media_jpeg(exif={DTO: "2024:05:07 09:30:00"})
    handle = io.BytesIO(data)
    handle.seek(5)
    raw = read_metadata(handle, kind="jpeg")
    assert handle.tell() == 5 and raw.exif["EXIF DateTimeOriginal"] == "2024:05:07 09:30:00"
    path = tmp_path / "photo.jpg"
    path.write_bytes(data)
    assert read_metadata(path, kind="jpeg") == raw
    assert read_metadata(str(path), kind="jpeg") == raw


def test_no_metadata_at_all(media_jpeg: Callable[..., bytes]) -> None:
    raw = _read(media_jpeg())
    assert raw.exif_ok and raw.xmp_ok and raw.exif == {} and raw.xmp == {}
    assert capture_time(raw, BRUSSELS).source == "upload"
    assert gps(raw) is None
