"""Reading EXIF and XMP into one raw record, within a time budget (gallery.media.metadata.reading)."""

from __future__ import annotations

import io
import struct
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

import exifread
import pytest

from gallery.media.metadata import reading as reading_mod
from gallery.media.metadata.camera import CameraInfo, camera_info
from gallery.media.metadata.captions import extract_captions
from gallery.media.metadata.capture_time import CaptureTime, capture_time
from gallery.media.metadata.gps import GpsPosition, gps
from gallery.media.metadata.reading import read_metadata
from gallery.media.metadata.record import RawMetadata
from gallery.media.sniff import SNIFF_BYTES, detect
from gallery.media.xmp import parse_xmp_packet

UTC = UTC
BRUSSELS = "Europe/Brussels"
DTO = 0x9003


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
    raw = _read(
        media_jpeg(exif={DTO: "2024:05:07 09:30:00"}, xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF></x:xmpmeta>')
    )
    assert not raw.xmp_ok and raw.xmp_error and raw.xmp_error.startswith("XMP unreadable")
    assert raw.exif_ok and raw.exif["EXIF DateTimeOriginal"] == "2024:05:07 09:30:00"


# ======================================================================================
# The time budget: hostile structures never hang


def _tiff(
    entries: list[tuple[int, int, int, bytes]], *, next_ifd: Callable[[int], int], extra_ifd: bool = False
) -> bytes:
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
        out += (
            struct.pack("<H", 1) + struct.pack("<HHI", 0x0100, 3, 1) + struct.pack("<HH", 8, 0) + struct.pack("<I", 8)
        )
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
        tiff = _tiff(
            [
                _DATETIME_ENTRY,
                (0x010E, 2, 0xFFFFFFF0, struct.pack("<I", 40)),
                (0x0111, 3, 999, struct.pack("<I", 0x7FFFFFF0)),
            ],
            next_ifd=lambda _: 0,
        )
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
    data = (
        tiff
        if container == "tiff"
        else b"\xff\xd8\xff\xe1" + struct.pack(">H", len(tiff) + 8) + b"Exif\x00\x00" + tiff + b"\xff\xd9"
    )
    started = time.monotonic()
    raw = _read(data, kind=container, time_budget=30.0)  # the read cap, not the clock, stops it
    assert time.monotonic() - started < 3.0
    assert not raw.exif_ok
    assert raw.exif_error == f"EXIF unreadable: gave up (more than {reading_mod.EXIF_MAX_CALLS} reads)"


def test_budget_stops_a_reader_that_never_finishes(
    monkeypatch: pytest.MonkeyPatch, media_jpeg: Callable[..., bytes]
) -> None:
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
    monkeypatch.setattr(reading_mod, "EXIF_MAX_CALLS", 10**9)
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
    assert max(seen) <= reading_mod.EXIF_MAX_BYTES + 1


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
